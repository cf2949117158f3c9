#!/bin/sh
# ONNX Runtime, then main (base), this branch (new) and this branch merged with pw2 (merged: the tree
# of `git merge-tree --write-tree inf7 pw2` at pw2 c10d0b8, built from `git archive` of that tree),
# their order rotating round by round, under the CPU lock. usage: three.sh OUT ROUNDS BENCHTIME
out=$1; rounds=$2; bt=$3; bench='MobileNetV2/224x224_n./inference|AutoNLS'
mkdir -p $out
log() { echo "$* $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $out/log.txt; }
log start
for r in $(seq $rounds); do
  (cd /work/main && node benchmarks/ort.js 2 MobileNetV2=/tmp/item1/mobilenetv2.onnx AutoNLS=/tmp/item1/autonl-s.onnx) >> $out/ort2.txt
  case $((r % 3)) in 1) order="base new merged";; 2) order="new merged base";; 0) order="merged base new";; esac
  for b in $order; do
    GOMAXPROCS=2 /tmp/inf7/$b.test -test.run '^$' -test.bench "$bench" -test.benchtime $bt >> $out/$b.txt
  done
  log "round $r"
done
log end
