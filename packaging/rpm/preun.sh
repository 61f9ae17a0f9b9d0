# outboxd %preun: %systemd_preun written out. The last removal (not an upgrade) disables and
# stops the unit.
if [ $1 -eq 0 ] && [ -d /run/systemd/system ]; then
  systemctl --no-reload disable --now outboxd.service >/dev/null 2>&1 || :
fi
