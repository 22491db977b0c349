# shellcheck shell=bash disable=SC2034
# Functional check of the 'nginx' corpus service; lib/common.sh is prepended when it runs.
CHECK=nginx
expect "nginx.service is active" retry "$WAIT" active nginx.service
expect "GET http://127.0.0.1/ serves the Debian nginx page" retry "$WAIT" page_has http://127.0.0.1/ 'Welcome to nginx'
probe="/hush-check-$$-$RANDOM"
expect "a missing page answers 404" equals "$(http_code "http://127.0.0.1$probe")" 404
expect "the request reached the access log" retry 5 grep -qF -- "$probe" /var/log/nginx/access.log
finish
