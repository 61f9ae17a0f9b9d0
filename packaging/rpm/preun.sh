# outboxd %preun: %systemd_preun written out. The last removal (not an upgrade) disables the
# unit and stops it where systemd runs.
if [ $1 -eq 0 ]; then
  systemctl --no-reload disable --now outboxd.service >/dev/null 2>&1 || :
fi
