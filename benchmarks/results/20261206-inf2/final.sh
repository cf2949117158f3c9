#!/bin/sh
# Final A/B of base (main 2f43979) and final (inf branch) with ONNX Runtime before and after.
out=$1; rounds=$2
mkdir -p $out
busy() { awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat; }
log() { echo "$* $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $out/log.txt; }
log start
node /work/wt-inf/benchmarks/ort.js 2 MobileNetV2=/tmp/inf/mobilenetv2.onnx AutoNLS=/tmp/inf/autonl-s.onnx > $out/ort2-before.txt
log ort-before-done
for r in $(seq $rounds); do
  for b in base final; do
    j0=$(busy)
    GOMAXPROCS=2 /tmp/inf/$b.test -test.run '^$' -test.bench 'MobileNetV2/224x224_n./inference|AutoNLS|MobileNetV2/224x224_n8/train' -test.benchtime 0.5s >> $out/$b.txt
    j1=$(busy)
    log "round $r $b busy-jiffies $((j1-j0))"
  done
done
node /work/wt-inf/benchmarks/ort.js 2 MobileNetV2=/tmp/inf/mobilenetv2.onnx AutoNLS=/tmp/inf/autonl-s.onnx > $out/ort2-after.txt
log end
