#!/usr/bin/env bash
# Contended writers on one fresh log: 4 simulators (60 shipments each, as fast
# as possible) and 2 loops of 40 one-shot `create` calls, all at once. Prints
# the event count, the wall time and the verdict of `verify`.
# Usage: scripts/contention.sh [BINARY] [SCRATCH_DIR]
set -euo pipefail
bin=${1:-target/release/control-tower}
dir=${2:-$(mktemp -d)/tower}
rm -rf "$dir" && mkdir -p "$dir"
start=$(date +%s.%N)
for i in 1 2 3 4; do
  "$bin" --data-dir "$dir" --operator "sim$i" simulate --shipments 60 --rate 0 --seed "$i" >/dev/null &
done
for i in 1 2; do
  (for _ in $(seq 1 40); do
    "$bin" --data-dir "$dir" --operator "cli$i" create --source a --destination b \
      --weight-kg 1 --delivery-type STANDARD >/dev/null || echo "create failed"
  done) &
done
wait
end=$(date +%s.%N)
echo "events=$(wc -l <"$dir/shipments.jsonl") seconds=$(echo "$end - $start" | bc)"
"$bin" --data-dir "$dir" verify | head -1
