#!/bin/sh
# Steady state, as ../20261207-inf4/long.sh: benchtime 2s, ONNX Runtime then base and new in
# alternating order, round by round. usage: long.sh OUT ROUNDS [BENCH-REGEX]
# Binaries /tmp/inf6/base.test and /tmp/inf6/new.test (go test -c ./benchmarks), ONNX models in
# /tmp/inf6 (those of the inf3 and inf4 rounds, copied from /tmp/inf5), ort.js run beside an interop/node_modules with
# onnxruntime-node 1.30.0.
out=$1; rounds=$2; bench=${3:-'MobileNetV2/224x224_n./inference|AutoNLS'}
mkdir -p $out
log() { echo "$* $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $out/log.txt; }
log start
for r in $(seq $rounds); do
  node /tmp/inf5/ortrun/benchmarks/ort.js 2 MobileNetV2=/tmp/inf6/mobilenetv2.onnx AutoNLS=/tmp/inf6/autonl-s.onnx >> $out/ort2.txt
  log "round $r ort"
  if [ $((r % 2)) -eq 1 ]; then order="base new"; else order="new base"; fi
  for b in $order; do
    GOMAXPROCS=2 /tmp/inf6/$b.test -test.run '^$' -test.bench "$bench" -test.benchtime 2s >> $out/$b.txt
    log "round $r $b"
  done
done
log end
