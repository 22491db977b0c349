# shellcheck shell=bash disable=SC2034
# Functional check of the 'hush-wsgi' corpus service; lib/common.sh is prepended when it runs.
CHECK=hush-wsgi
u=hush-wsgi.service
url=http://127.0.0.1:9105
note="note-$$-$RANDOM"
worker() { curl -fsS --max-time 5 "$url/" 2>/dev/null | sed -n 's/.*worker=\([0-9]*\).*/\1/p'; }
expect "$u is active" retry "$WAIT" active "$u"
expect "GET / answers from a gunicorn worker" retry "$WAIT" page_has "$url/" 'hello from hush-wsgi'
expect "the workers run as hush-wsgi" bash -c "[ \"\$(ps -o user= --ppid \$(systemctl show -p MainPID --value $u) | sort -u)\" = hush-wsgi ]"
expect "POST /notes stores a note in the StateDirectory" equals "$(curl -fsS --max-time 5 -d "$note" "$url/notes" 2>/dev/null)" stored
expect "GET /notes returns it" page_has "$url/notes" "$note"
expect "a missing page answers 404" equals "$(http_code "$url/hush-check-$$")" 404
old=$(pgrep -d, -P "$(systemctl show -p MainPID --value $u)")
expect "systemctl reload (HUP) succeeds" systemctl reload "$u"
fresh() { w=$(pgrep -d, -P "$(systemctl show -p MainPID --value $u)"); [ -n "$w" ] && [ "$w" != "$old" ] && page_has "$url/" 'hello from hush-wsgi'; }
expect "new workers serve after the reload" retry "$WAIT" fresh
expect "the note survived the reload" page_has "$url/notes" "$note"
finish
