#!/bin/sh
# Balanced order: rounds of base,new then new,base alternately; the fin.sh cases.
out=$1; rounds=$2
mkdir -p $out
for r in $(seq $rounds); do
  if [ $((r % 2)) -eq 1 ]; then order="base new"; else order="new base"; fi
  for b in $order; do
    GOMAXPROCS=2 /tmp/inf3/$b.test -test.run '^$' -test.bench 'MobileNetV2/224x224_n./inference|AutoNLS|MobileNetV2/224x224_n8/train' -test.benchtime 0.5s >> $out/$b.txt
    echo "round $r $b $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $out/log.txt
  done
done
