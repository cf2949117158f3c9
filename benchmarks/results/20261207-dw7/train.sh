#!/bin/bash
# MobileNetV2 224×224 batch 8 training step, 2 threads, before and after,
# AVX-512 (the default) and AVX2 (AUTONL_SIMD=avx2), four rounds
# alternating:
#   OUT=benchmarks/results/20261207-dw7 flock /work/team/cpu.lock bash $OUT/train.sh
F=$OUT
B=${BIN:-/tmp/dw7}
echo "start $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $F/train-when.txt
for s in avx512 avx2; do
  for r in 1 2 3 4; do
    if [ $((r % 2)) -eq 1 ]; then order="before after"; else order="after before"; fi
    for b in $order; do
      AUTONL_SIMD=$s GOMAXPROCS=2 $B/$b.test -test.run '^$' -test.bench 'MobileNetV2/224x224_n8/train' -test.count 1 -test.benchtime 10x >> $F/train-$s-$b.txt 2>&1
    done
  done
  echo "$s $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $F/train-when.txt
done
