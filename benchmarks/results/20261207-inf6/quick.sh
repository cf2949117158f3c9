#!/bin/sh
# First looks: $BENCH (default AutoNLS), binaries /tmp/inf6/BIN.test rotating round by round, benchtime 1s, GOMAXPROCS=2.
# usage: quick.sh OUT ROUNDS BIN...
out=$1; rounds=$2; shift 2; BENCH=${BENCH:-AutoNLS}
mkdir -p $out
log() { echo "$* $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $out/log.txt; }
log start
for r in $(seq $rounds); do
  set -- "$@" "$1"; shift   # rotate the order
  for b in "$@"; do
    GOMAXPROCS=2 /tmp/inf6/$b.test -test.run '^$' -test.bench "$BENCH" -test.benchtime 1s >> $out/$b.txt
    log "round $r $b"
  done
done
log end
