# shellcheck shell=bash
# `systemd-analyze security` overall exposure of units: bash -s -- PATTERN...
# Prints "UNIT SCORE LABEL" per unit (patterns are resolved with systemctl list-units; `A|B`:
# the first alternative active on the host, else the first it has: postfix@-.service on Debian 12,
# postfix.service on 13; units not loaded yet by their unit file).
set -uo pipefail
export LC_ALL=C
for pattern in "$@"; do
  IFS='|' read -ra alternatives <<<"$pattern"
  units=
  for state in active all; do   # an alternative that runs wins over one merely loaded
    for alt in "${alternatives[@]}"; do
      units=$(systemctl list-units --all --plain --no-legend --type=service "$alt" \
        | awk -v s="$state" 's == "all" || $3 == "active" {print $1}')
      [ -z "$units" ] || break 2
    done
  done
  # a unit nothing has loaded yet (the corpus's on-demand services before hush-corpus.target
  # starts them): its unit file, by exact name; systemd-analyze loads it to rate it
  if [ -z "$units" ]; then
    for alt in "${alternatives[@]}"; do
      case "$alt" in *'*'*) continue ;; esac
      units=$(systemctl list-unit-files --no-legend --type=service "$alt" | awk '{print $1}')
      [ -z "$units" ] || break
    done
  fi
  [ -n "$units" ] || { echo "$pattern - NOT-FOUND"; continue; }
  for unit in $units; do
    systemd-analyze security --no-pager "$unit" 2>/dev/null \
      | sed -n "s/.*Overall exposure level for [^:]*: \([0-9.]*\) \([A-Z]*\).*/$unit \1 \2/p"
  done
done
