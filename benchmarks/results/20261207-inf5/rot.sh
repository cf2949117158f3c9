#!/bin/sh
# usage: rot.sh OUT ROUNDS BENCH-REGEX BIN...: rounds of several binaries (/tmp/inf5/BIN.test) in
# rotating order, benchtime 2s, GOMAXPROCS=2
out=$1; rounds=$2; bench=$3; shift 3
mkdir -p $out
log() { echo "$* $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $out/log.txt; }
log start
set -- "$@"
for r in $(seq $rounds); do
  for x in "$@"; do
    GOMAXPROCS=2 /tmp/inf5/$x.test -test.run '^$' -test.bench "$bench" -test.benchtime 2s >> $out/$x.txt
    log "round $r $x"
  done
  first=$1; shift; set -- "$@" $first
done
log end
