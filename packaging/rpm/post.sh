# outboxd %post: %systemd_post written out. A first install enables the unit as the system's
# preset says; that only makes symlinks, so it works where systemd does not run, and a failure
# never fails the transaction.
if [ $1 -eq 1 ]; then
  systemctl --no-reload preset outboxd.service >/dev/null 2>&1 || :
fi
