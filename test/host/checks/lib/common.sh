# shellcheck shell=bash
# Prelude of every functional check. A check runs as root on the test host with
# `cat lib/common.sh CHECK.sh | ssh HOST bash -s`; it prints PASS/FAIL lines and ends with
# "OK <check>" (exit 0) or "FAILED <check>" (exit 1). Checks wait for services that are still
# (re)starting, because they are also the oracle run right after a hardened restart.
set -uo pipefail
export LC_ALL=C
cd /
FAILS=0
# how long a check waits for a service that is still (re)starting; a negative test lowers it
WAIT=${HUSH_CHECK_WAIT:-60}
[[ "$WAIT" =~ ^[0-9]+$ ]] || WAIT=60
# A check that covers several units runs only UNIT's part when HUSH_CHECK_ONLY=UNIT (a profiling
# workload of one unit must not depend on its siblings, which may be restarting under strace).
want() { [ -z "${HUSH_CHECK_ONLY:-}" ] || [ "$HUSH_CHECK_ONLY" = "$1" ]; }
pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; FAILS=$((FAILS + 1)); }
# expect DESCRIPTION CMD...: one assertion
expect() { local what="$1"; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }
# retry SECONDS CMD...: CMD until it succeeds, polling every 0.5 s
retry() {
  local deadline=$(( $(date +%s) + $1 )); shift
  until "$@"; do [ "$(date +%s)" -lt "$deadline" ] || return 1; sleep 0.5; done
}
active() { [ "$(systemctl is-active "$1" 2>/dev/null)" = active ]; }
# page_has URL TEXT: the URL answers 2xx with TEXT in the body
page_has() { curl -fsS --max-time 5 "$1" 2>/dev/null | grep -qF -- "$2"; }
http_code() { curl -s -o /dev/null --max-time 5 -w '%{http_code}' "$1" 2>/dev/null; }
equals() { [ "$1" = "$2" ] || { echo "  expected '$2', got '$1'"; return 1; }; }
# yields EXPECTED CMD...: CMD's output is EXPECTED. Under retry, CMD runs again on every attempt
# (`retry N equals "$(CMD)" X` would run CMD once, before retry, and re-compare that one answer).
yields() { local want="$1"; shift; equals "$("$@")" "$want"; }
finish() {
  if [ "$FAILS" = 0 ]; then echo "OK $CHECK"; exit 0; fi
  echo "FAILED $CHECK ($FAILS failed)"; exit 1
}
