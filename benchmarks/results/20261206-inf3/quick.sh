#!/bin/sh
# usage: quick.sh OUT ROUNDS BENCHTIME bin...
out=$1; rounds=$2; bt=$3; shift 3
mkdir -p $out
echo "start $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $out/log.txt
for r in $(seq $rounds); do
  for b in "$@"; do
    GOMAXPROCS=2 /tmp/inf3/$b.test -test.run '^$' -test.bench 'MobileNetV2/224x224_n./inference|AutoNLS' -test.benchtime $bt >> $out/$b.txt
    echo "round $r $b $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $out/log.txt
  done
done
echo "end $(date -u +%FT%TZ)" >> $out/log.txt
