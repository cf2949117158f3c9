#!/bin/sh
# Final A/B: ONNX Runtime, base (main) and new (inf3) in turn, round by round.
# usage: fin.sh OUTDIR ROUNDS
out=$1; rounds=$2
mkdir -p $out
busy() { awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat; }
log() { echo "$* $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $out/log.txt; }
log start
for r in $(seq $rounds); do
  node /work/wt-inf3/benchmarks/ort.js 2 MobileNetV2=/tmp/inf3/mobilenetv2.onnx AutoNLS=/tmp/inf3/autonl-s.onnx >> $out/ort2.txt
  log "round $r ort"
  for b in base new; do
    j0=$(busy)
    GOMAXPROCS=2 /tmp/inf3/$b.test -test.run '^$' -test.bench 'MobileNetV2/224x224_n./inference|AutoNLS|MobileNetV2/224x224_n8/train' -test.benchtime 0.5s >> $out/$b.txt
    j1=$(busy)
    log "round $r $b busy-jiffies $((j1-j0))"
  done
done
log end
