# shellcheck shell=bash disable=SC2034
# Functional check of the 'redis' corpus service; lib/common.sh is prepended when it runs.
CHECK=redis
key="hush:check:$$:$RANDOM"
value="v-$RANDOM-$RANDOM"
expect "redis-server.service is active" retry "$WAIT" active redis-server.service
rcli() { redis-cli -h 127.0.0.1 "$@" 2>&1; }
expect "PING answers PONG" retry "$WAIT" yields PONG rcli PING
expect "SET stores a value" equals "$(redis-cli -h 127.0.0.1 SET "$key" "$value" 2>&1)" OK
expect "GET returns it" equals "$(redis-cli -h 127.0.0.1 GET "$key" 2>&1)" "$value"
expect "DEL removes it" equals "$(redis-cli -h 127.0.0.1 DEL "$key" 2>&1)" 1
expect "SAVE writes the dump under /var/lib/redis" equals "$(redis-cli -h 127.0.0.1 SAVE 2>&1)" OK
finish
