#!/bin/bash
# Training not slower: MobileNetV2 224 b8 and 32x32 b32 train steps (2s, -benchmem) and BenchmarkSearchStep (8x),
# base (e45d394) and final alternating, order flipped each round. usage: train.sh OUT ROUNDS BASEBIN NEWBIN (run in benchmarks/)
out=$1; rounds=$2; bin_base=$3; bin_final=$4
mkdir -p $out
log() { echo "$* $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $out/log.txt; }
log start
for r in $(seq $rounds); do
  if [ $((r % 2)) -eq 1 ]; then order="base final"; else order="final base"; fi
  for b in $order; do
    bin=bin_$b
    GOMAXPROCS=2 ${!bin} -test.run '^$' -test.bench 'MobileNetV2/(224x224_n8|32x32_n32)/train' -test.benchtime 2s -test.benchmem >> $out/$b-train.txt
    GOMAXPROCS=2 ${!bin} -test.run '^$' -test.bench 'SearchStep' -test.benchtime 8x >> $out/$b-search.txt
    log "round $r $b"
  done
done
log end
