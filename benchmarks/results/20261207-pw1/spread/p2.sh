#!/bin/sh
# usage: p2.sh OUT ROUNDS BENCH BIN1 BIN2 (alternating order, GOMAXPROCS 2 only)
out=$1; rounds=$2; bench=$3; shift 3
mkdir -p $out
for r in $(seq $rounds); do
  if [ $((r % 2)) -eq 1 ]; then order="$1 $2"; else order="$2 $1"; fi
  for b in $order; do
    n=$(basename $b .test)
    GOMAXPROCS=2 $b -test.run '^$' -test.bench "$bench" -test.count 1 -test.benchtime 0.2s >> $out/$n-2t.txt
  done
  echo "round $r $(date -u +%T) load $(cut -d' ' -f1 /proc/loadavg)" >> $out/log.txt
done
