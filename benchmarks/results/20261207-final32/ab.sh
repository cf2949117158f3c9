#!/bin/bash
# AutoNL-S b1/b8 inference, ours (BIN) and ONNX Runtime (ort.js) alternating, ROUNDS rounds, 2 threads.
# usage: ab.sh REPO BIN OUT ROUNDS   (OUT holds autonl-s.onnx)
set -u
repo=$1; bin=$2; out=$3; rounds=$4
log() { echo "$* $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $out/log.txt; }
ours() { (cd $repo/benchmarks && GOMAXPROCS=2 $bin -test.run '^$' -test.bench 'AutoNLS' -test.benchtime 2s >> $out/ours.txt); log "round $r ours"; }
ort() { (cd $repo && node benchmarks/ort.js 2 AutoNLS=$out/../autonl-s.onnx >> $out/ort.txt); log "round $r ort"; }
log start
for r in $(seq $rounds); do
  if [ $((r % 2)) -eq 1 ]; then ours; ort; else ort; ours; fi
done
log end
