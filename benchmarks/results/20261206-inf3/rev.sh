#!/bin/sh
# MobileNetV2 b1 only, binaries in the order given, round by round.
out=$1; rounds=$2; shift 2
mkdir -p $out
for r in $(seq $rounds); do
  for b in "$@"; do
    GOMAXPROCS=2 /tmp/inf3/$b.test -test.run '^$' -test.bench 'MobileNetV2/224x224_n1/inference' -test.benchtime 1s >> $out/$b.txt
    echo "round $r $b $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $out/log.txt
  done
done
