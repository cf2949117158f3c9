#!/bin/sh
# MobileNetV2 and AutoNL-S inference (224, batch 1 and 8) and the MobileNetV2
# 224 batch-8 training step, two binaries in alternating order each round,
# GOMAXPROCS=2, benchtime 2s, -benchmem.
# usage: net.sh OUT ROUNDS BIN1 BIN2
out=$1; rounds=$2; shift 2
mkdir -p $out
log() { echo "$* $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $out/log.txt; }
log start
for r in $(seq $rounds); do
  if [ $((r % 2)) -eq 1 ]; then order="$1 $2"; else order="$2 $1"; fi
  for b in $order; do
    n=$(basename $b .test)
    GOMAXPROCS=2 $b -test.run '^$' -test.bench 'MobileNetV2/224x224_n(1|8)/inference|AutoNLS/224x224_n(1|8)/inference|MobileNetV2/224x224_n8/train' -test.benchtime 2s -test.benchmem >> $out/$n.txt
    log "round $r $n"
  done
done
log end
