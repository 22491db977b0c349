# shellcheck shell=bash disable=SC2034
# Functional check of the 'hush-socket' corpus service (socket-activated); lib/common.sh is prepended.
CHECK=hush-socket
u=hush-testsvc-socket.service
health() { curl -fsS --max-time 10 "http://127.0.0.1:9107/health" 2>/dev/null | sed -n "s/^$1=//p"; }
expect "hush-testsvc-socket.socket listens" retry "$WAIT" active hush-testsvc-socket.socket
expect "a connection starts $u and is answered" retry "$WAIT" yields ok health status
expect "$u is active" retry "$WAIT" active "$u"
expect "$u runs as hush-testsvc" equals "$(health user)" hush-testsvc
expect "the process answering is the unit's MainPID" equals "$(health pid)" "$(systemctl show -p MainPID --value "$u")"
expect "after a stop, the next connection starts it again" systemctl stop "$u"
expect "and is answered" retry "$WAIT" yields ok health status
finish
