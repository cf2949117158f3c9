#!/bin/sh
# usage: ab.sh OUTDIR ROUNDS BENCHTIME bin1 bin2 ...
out=$1; rounds=$2; bt=$3; shift 3
mkdir -p $out
busy() { awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat; }
echo "start $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $out/log.txt
for r in $(seq $rounds); do
  for b in "$@"; do
    j0=$(busy)
    GOMAXPROCS=2 /tmp/inf/$b.test -test.run '^$' -test.bench 'MobileNetV2/224x224_n./inference|AutoNLS' -test.benchtime $bt >> $out/$b.txt
    j1=$(busy)
    echo "round $r $b busy-jiffies $((j1-j0)) $(date -u +%T)" >> $out/log.txt
  done
done
echo "end $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $out/log.txt
