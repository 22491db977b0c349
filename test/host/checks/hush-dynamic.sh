# shellcheck shell=bash disable=SC2034
# Functional check of the 'hush-dynamic' corpus service (DynamicUser=); lib/common.sh is prepended.
CHECK=hush-dynamic
u=hush-testsvc-dynamic.service
health() { curl -fsS --max-time 5 "http://127.0.0.1:9106/health" 2>/dev/null | sed -n "s/^$1=//p"; }
expect "$u is active" retry "$WAIT" active "$u"
expect "$u answers /health" retry "$WAIT" yields ok health status
expect "$u runs as its dynamic user" equals "$(health user)" hush-testsvc-dynamic
expect "the dynamic uid is in systemd's dynamic range (61184-65519)" bash -c "u=\$(curl -fsS --max-time 5 http://127.0.0.1:9106/health | sed -n 's/^uid=//p'); [ \"\$u\" -ge 61184 ] && [ \"\$u\" -le 65519 ]"
expect "its StateDirectory is the private one" test -f /var/lib/private/hush-testsvc-dynamic/dynamic.starts
starts=$(health starts)
expect "a restart gets the state back (the count goes on)" systemctl restart "$u"
more_starts() { local n; n=$(health starts); [ -n "$n" ] && [ "$n" -gt "${starts:-0}" ]; }
expect "$u counts its starts" retry "$WAIT" more_starts
finish
