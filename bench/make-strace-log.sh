#!/usr/bin/env bash
# Generates a parser benchmark input: a real strace log (hush's own flags, see
# core/strace/invocation.ts), at least MIN_LINES lines, written to $1 atomically. Idempotent: an
# existing log is kept. Installs what it traces if missing (strace; redis for the service log).
#
# KIND:
#   files   (default) a file-heavy batch workload (find, tar, ls -R, python): 90 % of its lines are
#           calls the summary parses fully, with ~160k distinct paths. The hard case.
#   service redis-server under redis-benchmark load: what profiling a real service looks like,
#           dominated by epoll_wait/read/write that take the parser's name-only fast path.
set -euo pipefail
out=${1:?usage: make-strace-log.sh OUTPUT [MIN_LINES] [files|service]}
min_lines=${2:-1000000}
kind=${3:-files}
[ -s "$out" ] && exit 0
need=(strace)
[ "$kind" = service ] && need+=(redis-server redis-benchmark)
missing=()
for tool in "${need[@]}"; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bench: installing ${missing[*]}" >&2
  pkgs=(strace)
  [ "$kind" = service ] && pkgs+=(redis-server redis-tools)
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${pkgs[@]}" >/dev/null
fi
mkdir -p "$(dirname "$out")"
tmp="$out.tmp.$$"
work=$(mktemp -d)
server=
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$tmp" "$work"
}
trap cleanup EXIT
: >"$tmp"
# STRACE_FLAGS overrides the format flags (word-split): bench/compare.ts records the same files
# workload with SHH's format flags (`-f -r -xx -v -y -A --status=successful,failed`)
# so that SHH's parser and hush's read the identical file.
# shellcheck disable=SC2206 # the flags are meant to be split into words
strace_flags=(${STRACE_FLAGS:--f -xx -y -v -A} -o "$tmp")

files_workload='
find /usr -xdev -printf "%s %p\n" >/dev/null
tar -cf - /usr/share/doc /usr/include 2>/dev/null | cat >/dev/null
ls -laR /usr/lib/python3* >/dev/null 2>&1
python3 - <<PY
import json, os, socket, subprocess, threading, tempfile
def work(n):
    for _ in range(200):
        with tempfile.NamedTemporaryFile(dir="/tmp") as f:
            f.write(b"x" * n); f.flush(); os.stat(f.name)
threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
[t.start() for t in threads]; [t.join() for t in threads]
for port in (1, 9):
    s = socket.socket(); s.settimeout(0.1)
    try: s.connect(("127.0.0.1", port))
    except OSError: pass
    s.close()
subprocess.run(["true"]); json.dumps(dict(os.environ))
PY
'

# redis as a unit would run it: its own directory, a unix socket and a TCP port on loopback, RDB
# snapshots (fork + file writes) while clients hammer it with the usual command mix.
service_round() {
  local sock="$work/redis.sock" port=26379
  env -i PATH=/usr/bin:/bin LC_ALL=C strace "${strace_flags[@]}" \
    redis-server --port "$port" --bind 127.0.0.1 --unixsocket "$sock" --dir "$work" \
    --save "1 1000" --appendonly no --daemonize no --logfile "$work/redis.log" &
  server=$!
  for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
  redis-benchmark -s "$sock" -q -n 60000 -c 20 -t set,get,incr,lpush,lpop,hset,mset >/dev/null
  redis-benchmark -h 127.0.0.1 -p "$port" -q -n 20000 -c 10 -t set,get >/dev/null
  redis-cli -s "$sock" bgsave >/dev/null
  sleep 1
  redis-cli -s "$sock" shutdown nosave >/dev/null 2>&1 || kill "$server"
  wait "$server" 2>/dev/null || true
  server=
}

echo "bench: tracing a $kind workload into $out (takes a minute or two)" >&2
while [ "$(wc -l <"$tmp")" -lt "$min_lines" ]; do
  case $kind in
  files) env -i PATH=/usr/bin:/bin LC_ALL=C strace "${strace_flags[@]}" sh -c "$files_workload" ;;
  service) service_round ;;
  *)
    echo "make-strace-log.sh: unknown kind $kind" >&2
    exit 2
    ;;
  esac
done
mv "$tmp" "$out"
