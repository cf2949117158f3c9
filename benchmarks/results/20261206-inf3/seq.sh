#!/bin/sh
# AutoNLS cases then MobileNetV2 b1 in one process, as in fin.sh; and MobileNetV2 b1 alone.
out=$1; rounds=$2; shift 2
mkdir -p $out
for r in $(seq $rounds); do
  for b in "$@"; do
    GOMAXPROCS=2 /tmp/inf3/$b.test -test.run '^$' -test.bench 'AutoNLS|MobileNetV2/224x224_n1/inference' -test.benchtime 0.5s >> $out/$b.txt
    GOMAXPROCS=2 /tmp/inf3/$b.test -test.run '^$' -test.bench 'MobileNetV2/224x224_n1/inference' -test.benchtime 0.5s | sed 's/Benchmark/BenchmarkAlone/' >> $out/$b.txt
    echo "round $r $b $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $out/log.txt
  done
done
