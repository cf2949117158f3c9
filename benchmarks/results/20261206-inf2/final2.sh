#!/bin/sh
# ORT interleaved with base and final, round by round.
out=$1; rounds=$2
mkdir -p $out
log() { echo "$* $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $out/log.txt; }
log start
for r in $(seq $rounds); do
  node /work/wt-inf/benchmarks/ort.js 2 MobileNetV2=/tmp/inf/mobilenetv2.onnx AutoNLS=/tmp/inf/autonl-s.onnx >> $out/ort2.txt
  log "round $r ort"
  for b in base final; do
    GOMAXPROCS=2 /tmp/inf/$b.test -test.run '^$' -test.bench 'MobileNetV2/224x224_n./inference|AutoNLS' -test.benchtime 0.5s >> $out/$b.txt
    log "round $r $b"
  done
done
log end
