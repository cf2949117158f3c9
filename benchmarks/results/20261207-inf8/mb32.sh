#!/bin/bash
# MobileNetV2 32×32 b32 inference (no micro-batches: maps below 56×56; the frozen classifier),
# base and new alternating. usage: mb32.sh OUT ROUNDS BASEBIN NEWBIN
out=$1; rounds=$2; bin_base=$3; bin_new=$4
mkdir -p $out
for r in $(seq $rounds); do
  if [ $((r % 2)) -eq 1 ]; then order="base new"; else order="new base"; fi
  for b in $order; do
    bin=bin_$b; GOMAXPROCS=2 ${!bin} -test.run '^$' -test.bench 'MobileNetV2/32x32_n32/inference' -test.benchtime 1s >> $out/$b.txt
    echo "round $r $b $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $out/log.txt
  done
done
