#!/usr/bin/env bash
# The rooms of src/ import one way only (README, Architecture):
#   domain <- log <- store <- read <- sim <- cli <- tui
# A room may import the rooms before it, never one after it. Lists every
# import against the order and exits non-zero if there is one.
set -euo pipefail
cd "$(dirname "$0")/.."
order=(domain log store read sim cli tui)
status=0
for i in "${!order[@]}"; do
  room=${order[$i]}
  for later in "${order[@]:$((i + 1))}"; do
    if hits=$(grep -rnE "crate::$later(::|\b)" "src/$room" 2>/dev/null); then
      echo "src/$room imports $later (a later room):" >&2
      echo "$hits" >&2
      status=1
    fi
  done
done
exit $status
