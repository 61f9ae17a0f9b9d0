# outboxd %pre: the system user of the unit, before its files are owned by it. What
# %sysusers_create_compat expands to, without the macro (Debian's rpm has none): the entry of
# /usr/lib/sysusers.d/outboxd.conf through systemd-sysusers where it exists, else useradd.
if command -v systemd-sysusers >/dev/null 2>&1; then
  echo 'u outboxd - "outboxd relay" /var/lib/outboxd' | systemd-sysusers --replace=/usr/lib/sysusers.d/outboxd.conf - || :
else
  getent group outboxd >/dev/null || groupadd -r outboxd || :
  getent passwd outboxd >/dev/null ||
    useradd -r -g outboxd -d /var/lib/outboxd -s /sbin/nologin -c "outboxd relay" outboxd || :
fi
