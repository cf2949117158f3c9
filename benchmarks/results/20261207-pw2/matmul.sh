#!/bin/sh
# MatMul (squares and MobileNetV2's 1×1 products) and Peak, binaries in
# alternating order each round, at GOMAXPROCS 1 and 2 (Peak: one goroutine,
# run once per binary and round at GOMAXPROCS=1).
# usage: matmul.sh OUT ROUNDS BIN1 BIN2   (BINx: test binaries of ./benchmarks, go test -c)
out=$1; rounds=$2; shift 2
mkdir -p $out
log() { echo "$* $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $out/log.txt; }
log start
for r in $(seq $rounds); do
  if [ $((r % 2)) -eq 1 ]; then order="$1 $2"; else order="$2 $1"; fi
  for b in $order; do
    n=$(basename $b .test)
    GOMAXPROCS=1 $b -test.run '^$' -test.bench 'Peak|MatMul/(mnv2|square)' -test.count 1 -test.benchtime 0.2s >> $out/$n-1t.txt
    GOMAXPROCS=2 $b -test.run '^$' -test.bench 'MatMul/(mnv2|square)' -test.count 1 -test.benchtime 0.2s >> $out/$n-2t.txt
    log "round $r $n"
  done
done
log end
