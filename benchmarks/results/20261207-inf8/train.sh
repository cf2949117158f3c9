#!/bin/bash
# MobileNetV2 224 b8 training step, main's binary (base) and this branch's (new) in alternating
# order, benchtime 2s, -benchmem, as ../20261207-inf7/train.sh. usage: train.sh OUT ROUNDS BASEBIN NEWBIN
out=$1; rounds=$2; bin_base=$3; bin_new=$4
mkdir -p $out
log() { echo "$* $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $out/log.txt; }
log start
for r in $(seq $rounds); do
  if [ $((r % 2)) -eq 1 ]; then order="base new"; else order="new base"; fi
  for b in $order; do
    bin=bin_$b; GOMAXPROCS=2 ${!bin} -test.run '^$' -test.bench 'MobileNetV2/224x224_n8/train' -test.benchtime 2s -test.benchmem >> $out/$b.txt
    log "round $r $b"
  done
done
log end
