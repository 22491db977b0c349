# shellcheck shell=bash disable=SC2034
# Functional check of the 'haproxy' corpus service; lib/common.sh is prepended when it runs.
CHECK=haproxy
u=haproxy.service
expect "$u is active" retry "$WAIT" active "$u"
expect "the frontend answers itself on 127.0.0.1:8081" retry "$WAIT" page_has http://127.0.0.1:8081/hush 'hush-lb ok'
expect "the frontend answers on [::1]:8081" retry 10 page_has 'http://[::1]:8081/hush' 'hush-lb ok'
expect "the admin socket answers show info" bash -c 'echo "show info" | socat -t 5 - UNIX-CONNECT:/run/haproxy/admin.sock | grep -q "^Name: HAProxy"'
expect "/ is balanced to a backend (nginx or caddy)" retry "$WAIT" bash -c 'c=$(curl -s -o /dev/null --max-time 5 -w "%{http_code}" http://127.0.0.1:8081/); [ "$c" = 200 ] || [ "$c" = 503 ]'
main=$(systemctl show -p MainPID --value "$u")
workers() { pgrep -P "$main" -d, haproxy; }
before=$(workers)
expect "systemctl reload succeeds" timeout 120 systemctl reload "$u"
expect "the master stays, a new worker replaces the old one" retry "$WAIT" bash -c "[ \"\$(systemctl show -p MainPID --value $u)\" = $main ] && w=\$(pgrep -P $main -d, haproxy) && [ -n \"\$w\" ] && [ \"\$w\" != '$before' ]"
expect "the frontend answers after the reload" retry "$WAIT" page_has http://127.0.0.1:8081/hush 'hush-lb ok'
expect "$u is active after the reload" active "$u"
finish
