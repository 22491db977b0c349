#!/usr/bin/env bash
# Setup of the real-CPU overhead bench (npm run bench:overhead), run as root on the machine that is
# measured: Debian's nginx, redis, wrk and bpftrace (nothing starts them: the bench runs each
# service from a private config), and tracefs, which bpftrace's tracepoints need and which is not
# always mounted. Idempotent. Not part of npm test.
set -euo pipefail
pkgs=(nginx-light redis-server redis-tools wrk bpftrace strace)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  apt-get update -qq
  # policy-rc.d 101: the packages' postinst must not start the host's own nginx/redis
  prc=/usr/sbin/policy-rc.d
  added=0
  if [[ ! -e $prc ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$prc" && chmod +x "$prc" && added=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
  ((added)) && rm -f "$prc"
fi
mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing
echo "bench:overhead setup: ${pkgs[*]} installed; tracefs at /sys/kernel/tracing"
