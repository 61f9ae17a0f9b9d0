# outboxd %postun: %systemd_postun_with_restart written out. systemd rereads the units; an
# upgrade restarts a running relay with the new binary (it drains on SIGTERM first).
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload >/dev/null 2>&1 || :
  if [ $1 -ge 1 ]; then
    systemctl try-restart outboxd.service >/dev/null 2>&1 || :
  fi
fi
