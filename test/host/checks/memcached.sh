# shellcheck shell=bash disable=SC2034
# Functional check of the 'memcached' corpus service; lib/common.sh is prepended when it runs.
CHECK=memcached
key="hush-$$-$RANDOM"
# mc HOST COMMANDS: one connection (a new one each call), the memcached text protocol
mc() { printf '%b' "$2" | timeout 15 socat -t 10 - "TCP:$1:11211" 2>/dev/null | tr -d '\r'; }
expect "memcached.service is active" retry "$WAIT" active memcached.service
# a function, so that retry dials again: memcached is a Type=simple unit, 'active' before it listens
# (under strace for seconds; a "$(mc …)" argument would be evaluated once and retried as it was)
stored() { equals "$(mc 127.0.0.1 "set $key 0 60 5\r\nhello\r\nquit\r\n")" STORED; }
expect "set over 127.0.0.1" retry "$WAIT" stored
expect "get over [::1] returns it (both addresses, one cache)" equals "$(mc '[::1]' "get $key\r\nquit\r\n" | sed -n 2p)" hello
expect "incr over ::1" equals "$(mc '[::1]' "set n$key 0 60 1\r\n1\r\nincr n$key 41\r\nquit\r\n" | tail -1)" 42
expect "delete over 127.0.0.1" equals "$(mc 127.0.0.1 "delete $key\r\nquit\r\n")" DELETED
expect "stats counts the connections" bash -c "printf 'stats\r\nquit\r\n' | timeout 15 socat -t 10 - TCP:127.0.0.1:11211 | grep -q 'STAT total_connections [1-9]'"
finish
