#!/bin/sh
# focus.sh for any number of binaries, the order rotated each round:
# chosen MatMul cases at GOMAXPROCS 1 (with Peak/fma_avx512) and 2,
# benchtime 0.2s.
# usage: focusn.sh OUT ROUNDS REGEX BIN...
out=$1; rounds=$2; re=$3; shift 3
mkdir -p $out
log() { echo "$* $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $out/log.txt; }
log start
for r in $(seq $rounds); do
  for b in "$@"; do
    n=$(basename $b .test)
    GOMAXPROCS=1 $b -test.run '^$' -test.bench "Peak/fma_avx512|MatMul/($re)" -test.count 1 -test.benchtime 0.2s >> $out/$n-1t.txt
    GOMAXPROCS=2 $b -test.run '^$' -test.bench "MatMul/($re)" -test.count 1 -test.benchtime 0.2s >> $out/$n-2t.txt
    log "round $r $n"
  done
  first=$1; shift; set -- "$@" $first
done
log end
