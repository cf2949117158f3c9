#!/bin/sh
# Steady state: benchtime 2s (AutoNL-S b8 ~30-40 inferences after the warm-up), ONNX Runtime
# then base and new in alternating order, round by round.
out=$1; rounds=$2
mkdir -p $out
log() { echo "$* $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $out/log.txt; }
log start
for r in $(seq $rounds); do
  node /work/wt-inf3/benchmarks/ort.js 2 MobileNetV2=/tmp/inf3/mobilenetv2.onnx AutoNLS=/tmp/inf3/autonl-s.onnx >> $out/ort2.txt
  log "round $r ort"
  if [ $((r % 2)) -eq 1 ]; then order="base new"; else order="new base"; fi
  for b in $order; do
    GOMAXPROCS=2 /tmp/inf3/$b.test -test.run '^$' -test.bench 'MobileNetV2/224x224_n./inference|AutoNLS' -test.benchtime 2s >> $out/$b.txt
    log "round $r $b"
  done
done
log end
