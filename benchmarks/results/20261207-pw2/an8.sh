#!/bin/sh
# AutoNL-S and MobileNetV2 224 batch-8 inference, GOMAXPROCS=2, benchtime
# 1s, any number of binaries, the order rotated each round.
# usage: an8.sh OUT ROUNDS BIN...
out=$1; rounds=$2; shift 2
mkdir -p $out
log() { echo "$* $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $out/log.txt; }
log start
for r in $(seq $rounds); do
  for b in "$@"; do
    n=$(basename $b .test)
    GOMAXPROCS=2 $b -test.run '^$' -test.bench 'AutoNLS/224x224_n8/inference|MobileNetV2/224x224_n8/inference' -test.benchtime 1s >> $out/$n.txt
    log "round $r $n"
  done
  first=$1; shift; set -- "$@" $first
done
log end
