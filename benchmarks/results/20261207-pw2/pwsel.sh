#!/bin/sh
# Chosen BenchmarkPointwise cases (regex), any number of binaries, the
# order rotated each round, GOMAXPROCS 1 and 2, benchtime 0.2s.
# usage: pwsel.sh OUT ROUNDS REGEX BIN...
out=$1; rounds=$2; re=$3; shift 3
mkdir -p $out
log() { echo "$* $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $out/log.txt; }
log start
for r in $(seq $rounds); do
  for b in "$@"; do
    n=$(basename $b .test)
    for p in 1 2; do
      GOMAXPROCS=$p $b -test.run '^$' -test.bench "Pointwise/($re)" -test.count 1 -test.benchtime 0.2s >> $out/$n-${p}t.txt
    done
    log "round $r $n"
  done
  first=$1; shift; set -- "$@" $first
done
log end
