#!/bin/sh
# Chosen MatMul cases only, two binaries in alternating order each round,
# at GOMAXPROCS 1 and 2 (Peak at 1, as matmul.sh), benchtime 0.2s.
# usage: focus.sh OUT ROUNDS REGEX BIN1 BIN2
out=$1; rounds=$2; re=$3; shift 3
mkdir -p $out
log() { echo "$* $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $out/log.txt; }
log start
for r in $(seq $rounds); do
  if [ $((r % 2)) -eq 1 ]; then order="$1 $2"; else order="$2 $1"; fi
  for b in $order; do
    n=$(basename $b .test)
    GOMAXPROCS=1 $b -test.run '^$' -test.bench "Peak/fma_avx512|MatMul/($re)" -test.count 1 -test.benchtime 0.2s >> $out/$n-1t.txt
    GOMAXPROCS=2 $b -test.run '^$' -test.bench "MatMul/($re)" -test.count 1 -test.benchtime 0.2s >> $out/$n-2t.txt
    log "round $r $n"
  done
done
log end
