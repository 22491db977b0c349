#!/usr/bin/env bash
# Generates the parser benchmark's input: a real strace log (hush's own flags, see
# core/strace/invocation.ts) of a busy workload (find, tar, ls -R, python), at least MIN_LINES
# lines, written to $1 atomically. Idempotent: an existing log is kept. Installs strace if missing.
#
# STRACE_FLAGS overrides the format flags (word-split). bench/compare.ts uses SHH's exact format
# flags (`-f -r -xx -v -y -A --status=successful,failed`, shh.md §1.3) so that SHH's parser and
# hush's read the identical file.
set -euo pipefail
out=${1:?usage: make-strace-log.sh OUTPUT [MIN_LINES]}
min_lines=${2:-1000000}
[ -s "$out" ] && exit 0
if ! command -v strace >/dev/null; then
  echo "bench: installing strace" >&2
  apt-get install -y -q strace >/dev/null
fi
mkdir -p "$(dirname "$out")"
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
: >"$tmp"
workload='
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
echo "bench: tracing a workload into $out (takes a minute or two)" >&2
while [ "$(wc -l <"$tmp")" -lt "$min_lines" ]; do
  # shellcheck disable=SC2086 # the flags are meant to be split into words
  env -i PATH=/usr/bin:/bin LC_ALL=C strace ${STRACE_FLAGS:--f -xx -y -v -A} -o "$tmp" sh -c "$workload"
done
mv "$tmp" "$out"
trap - EXIT
