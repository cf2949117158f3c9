#!/bin/sh
# BenchmarkPointwise's 7×7 and 14×14 cases (batch 8) at GOMAXPROCS=2 only,
# any number of binaries, the order rotated each round, benchtime 0.3s.
# usage: pw7n.sh OUT ROUNDS BIN...
out=$1; rounds=$2; shift 2
mkdir -p $out
log() { echo "$* $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $out/log.txt; }
log start
for r in $(seq $rounds); do
  for b in "$@"; do
    n=$(basename $b .test)
    GOMAXPROCS=2 $b -test.run '^$' -test.bench 'Pointwise/.*_(7x7|14x14)_' -test.count 1 -test.benchtime 0.3s >> $out/$n-2t.txt
    log "round $r $n"
  done
  first=$1; shift; set -- "$@" $first
done
log end
