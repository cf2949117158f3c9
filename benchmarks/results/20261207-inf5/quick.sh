#!/bin/sh
# usage: quick.sh OUT ROUNDS A B [BENCH-REGEX]: alternating rounds of two binaries (/tmp/inf5/A.test,
# /tmp/inf5/B.test) at benchtime 2s, GOMAXPROCS=2
out=$1; rounds=$2; a=$3; b=$4; bench=${5:-'MobileNetV2/224x224_n./inference|AutoNLS'}
mkdir -p $out
log() { echo "$* $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $out/log.txt; }
log start
for r in $(seq $rounds); do
  if [ $((r % 2)) -eq 1 ]; then order="$a $b"; else order="$b $a"; fi
  for x in $order; do
    GOMAXPROCS=2 /tmp/inf5/$x.test -test.run '^$' -test.bench "$bench" -test.benchtime 2s >> $out/$x.txt
    log "round $r $x"
  done
done
log end
