# shellcheck shell=bash disable=SC2034
# Functional check of the 'caddy' corpus service; lib/common.sh is prepended when it runs.
CHECK=caddy
expect "caddy.service is active" retry "$WAIT" active caddy.service
expect "GET http://127.0.0.1:8080/ serves the Caddy page" retry "$WAIT" page_has http://127.0.0.1:8080/ 'Caddy'
expect "a missing page answers 404" equals "$(http_code "http://127.0.0.1:8080/hush-check-$$")" 404
expect "the admin API answers on localhost:2019" retry 10 page_has http://127.0.0.1:2019/config/ ':8080'
finish
