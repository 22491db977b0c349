# shellcheck shell=bash disable=SC2034
# Functional check of the 'postgresql' corpus service; lib/common.sh is prepended when it runs.
CHECK=postgresql
psql_q() { runuser -u postgres -- psql -XAtq -v ON_ERROR_STOP=1 -c "$1" 2>&1; }
cluster=$(systemctl list-units --all --plain --no-legend --type=service 'postgresql@*-main.service' | awk '{print $1; exit}')
expect "a postgresql@VERSION-main unit exists" [ -n "$cluster" ]
expect "${cluster:-postgresql@-main.service} is active" retry "$WAIT" active "${cluster:-none}"
expect "postgresql answers a query" retry "$WAIT" yields 42 psql_q 'select 40 + 2'
table="hush_check_$$"
expect "a table is written and read back" equals "$(psql_q "create table $table (v text); insert into $table values ('hush'); select v from $table; drop table $table;")" hush
expect "TCP on 127.0.0.1:5432 accepts connections" retry 10 bash -c ': </dev/tcp/127.0.0.1/5432'
finish
