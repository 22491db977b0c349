# shellcheck shell=bash
# `systemd-analyze security` overall exposure of units: bash -s -- PATTERN...
# Prints "UNIT SCORE LABEL" per unit (patterns are resolved with systemctl list-units).
set -uo pipefail
export LC_ALL=C
for pattern in "$@"; do
  units=$(systemctl list-units --all --plain --no-legend --type=service "$pattern" | awk '{print $1}')
  [ -n "$units" ] || { echo "$pattern - NOT-FOUND"; continue; }
  for unit in $units; do
    systemd-analyze security --no-pager "$unit" 2>/dev/null \
      | sed -n "s/.*Overall exposure level for [^:]*: \([0-9.]*\) \([A-Z]*\).*/$unit \1 \2/p"
  done
done
