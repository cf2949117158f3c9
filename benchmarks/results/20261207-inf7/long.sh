#!/bin/sh
# Steady state, as ../20261207-inf6/long.sh: ONNX Runtime, then main's binary (base) and this
# branch's (new) in alternating order, round by round, all under the team's CPU lock.
# usage: long.sh OUT ROUNDS [BENCHTIME] [BENCH-REGEX]
# Binaries /tmp/inf7/base.test (main 1b5f05b) and /tmp/inf7/new.test (go test -c ./benchmarks);
# the ONNX models of the lead's item1 run (/tmp/item1, exported by measure.sh at 07c88c2);
# ort.js run from /work/main, whose interop/node_modules holds onnxruntime-node 1.30.0.
out=$1; rounds=$2; bt=${3:-2s}; bench=${4:-'MobileNetV2/224x224_n./inference|AutoNLS'}
mkdir -p $out
log() { echo "$* $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $out/log.txt; }
log start
for r in $(seq $rounds); do
  (cd /work/main && node benchmarks/ort.js 2 MobileNetV2=/tmp/item1/mobilenetv2.onnx AutoNLS=/tmp/item1/autonl-s.onnx) >> $out/ort2.txt
  log "round $r ort"
  if [ $((r % 2)) -eq 1 ]; then order="base new"; else order="new base"; fi
  for b in $order; do
    GOMAXPROCS=2 /tmp/inf7/$b.test -test.run '^$' -test.bench "$bench" -test.benchtime $bt >> $out/$b.txt
    log "round $r $b"
  done
done
log end
