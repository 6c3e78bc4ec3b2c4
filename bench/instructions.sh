#!/bin/sh
# Main-thread instructions per request of a callgrind harness (bench/poll-instructions.ts,
# bench/history-instructions.ts): runs `HARNESS run` for N1 and N2 requests under callgrind, each
# on a fresh copy of DIR (made by `HARNESS prepare DIR`), and prints the difference per request,
# so that start-up, loading and warm-up cancel out. The main thread is the -01 output file.
#   npm run build && node dist/bench/history-instructions.js prepare /tmp/hist 3000
#   sh bench/instructions.sh history-instructions /tmp/hist 1000 3000
set -e
[ $# -eq 4 ] || { echo "usage: $0 HARNESS DIR N1 N2" >&2; exit 2; }
harness=$1 dir=$2 n1=$3 n2=$4
out=$(mktemp -d)
for n in "$n1" "$n2"; do
  cp -r "$dir" "$out/data-$n"
  valgrind --tool=callgrind --smc-check=all-non-file --separate-threads=yes --callgrind-out-file="$out/cg-$n" \
    node "dist/bench/$harness.js" run "$out/data-$n" "$n" 2>/dev/null
done
total() { grep -m1 '^totals:\|^summary:' "$out/cg-$1-01" | awk '{print $2}'; }
a=$(total "$n1") b=$(total "$n2")
echo "$harness: main thread $a instructions ($n1 requests), $b ($n2): $(( (b - a) / (n2 - n1) )) per request"
echo "callgrind files in $out (callgrind_annotate $out/cg-$n2-01)"
