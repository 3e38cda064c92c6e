#!/usr/bin/env bash
# The KafScale laptop scenario: kcat produces a backlog of 256-byte records
# into a new topic, then a second kcat consumes it from the beginning; each
# step is timed including kcat's start-up, as in the original's published run.
# Usage: bench/laptop_scenario.sh BOOTSTRAP [RECORDS...]   (default 2000 4000 200000)
# Prints one line per backlog: records produce_s produce_rec_s consume_s consume_rec_s
set -euo pipefail
bootstrap=${1:?usage: laptop_scenario.sh BOOTSTRAP [RECORDS...]}
shift
counts=("$@")
((${#counts[@]})) || counts=(2000 4000 200000)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

now() { date +%s.%N; }
echo "records produce_s produce_rec_s consume_s consume_rec_s"
for count in "${counts[@]}"; do
  # 256 bytes of value per line (the newline is the delimiter, not part of the record).
  head -c $((count * 192)) /dev/urandom | base64 -w 256 | head -n "$count" > "$work/records"
  [[ $(wc -l < "$work/records") -eq $count ]] || { echo "could not generate $count records" >&2; exit 1; }
  topic="laptop-$count-$(date +%s%N)"
  start=$(now)
  kcat -P -b "$bootstrap" -t "$topic" -l "$work/records"
  produced=$(now)
  consumed=$(kcat -C -b "$bootstrap" -t "$topic" -o beginning -e -q | wc -l)
  finished=$(now)
  [[ $consumed -eq $count ]] || { echo "topic $topic: consumed $consumed of $count records" >&2; exit 1; }
  awk -v n="$count" -v s="$start" -v p="$produced" -v f="$finished" \
    'BEGIN { printf "%d %.3f %.0f %.3f %.0f\n", n, p - s, n / (p - s), f - p, n / (f - p) }'
done
