#!/bin/sh
# MobileNetV2 224 b8 inference and training step only, base and new alternating, benchtime 2s, GOMAXPROCS=2.
# usage: mnv2.sh OUT ROUNDS
out=$1; rounds=$2
mkdir -p $out
log() { echo "$* $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $out/log.txt; }
log start
for r in $(seq $rounds); do
  if [ $((r % 2)) -eq 1 ]; then order="base new"; else order="new base"; fi
  for b in $order; do
    GOMAXPROCS=2 /tmp/inf6/$b.test -test.run '^$' -test.bench 'MobileNetV2/224x224_n8/(inference|train)' -test.benchtime 2s >> $out/$b.txt
    log "round $r $b"
  done
done
log end
