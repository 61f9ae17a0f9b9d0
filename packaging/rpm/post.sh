# outboxd %post: %systemd_post written out. A first install enables the unit as the system's
# preset says; nothing runs where systemd does not.
if [ $1 -eq 1 ] && [ -d /run/systemd/system ]; then
  systemctl --no-reload preset outboxd.service >/dev/null 2>&1 || :
fi
