#!/bin/sh
# BenchmarkPointwise (MobileNetV2's 1×1 convolutions at batch 8, fused batch
# norm and ReLU6) and the MobileNetV2 MatMul cases, two binaries in
# alternating order each round, GOMAXPROCS 1 and 2, benchtime 0.1s.
# usage: pointwise.sh OUT ROUNDS BIN1 BIN2
out=$1; rounds=$2; shift 2
mkdir -p $out
log() { echo "$* $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $out/log.txt; }
log start
for r in $(seq $rounds); do
  if [ $((r % 2)) -eq 1 ]; then order="$1 $2"; else order="$2 $1"; fi
  for b in $order; do
    n=$(basename $b .test)
    for p in 1 2; do
      GOMAXPROCS=$p $b -test.run '^$' -test.bench 'Pointwise' -test.count 1 -test.benchtime 0.1s >> $out/$n-${p}t.txt
    done
    log "round $r $n"
  done
done
log end
