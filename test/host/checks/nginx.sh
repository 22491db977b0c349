# shellcheck shell=bash disable=SC2034
# Functional check of the 'nginx' corpus service; lib/common.sh is prepended when it runs.
CHECK=nginx
expect "nginx.service is active" retry "$WAIT" active nginx.service
expect "GET http://127.0.0.1/ serves the Debian nginx page" retry "$WAIT" page_has http://127.0.0.1/ 'Welcome to nginx'
probe="/hush-check-$$-$RANDOM"
expect "a missing page answers 404" equals "$(http_code "http://127.0.0.1$probe")" 404
# the access log nginx is configured with (a test may move it), else Debian's
log=$(nginx -T 2>/dev/null | awk '$1 == "access_log" { sub(/;$/, "", $2); print $2; exit }')
log=${log:-/var/log/nginx/access.log}
expect "the request reached the access log ($log)" retry 5 grep -qF -- "$probe" "$log"
finish
