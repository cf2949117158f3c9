#!/bin/sh
# Quick paired A/B: main's binary (base) and this branch's (new) in alternating order, short
# benchtime, many rounds, so that each pair of runs shares the machine's state (a shared
# machine: other sessions' processes run beside the lock). usage: ab.sh OUT ROUNDS BENCHTIME REGEX
out=$1; rounds=$2; bt=$3; bench=$4
mkdir -p $out
log() { echo "$* $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $out/log.txt; }
log start
for r in $(seq $rounds); do
  if [ $((r % 2)) -eq 1 ]; then order="base new"; else order="new base"; fi
  for b in $order; do
    GOMAXPROCS=2 /tmp/inf7/$b.test -test.run '^$' -test.bench "$bench" -test.benchtime $bt >> $out/$b.txt
  done
  log "round $r"
done
log end
