#!/bin/bash
# The AVX2 kernels (AUTONL_SIMD=avx2) of the cases this branch changes,
# before and after, 1 thread, 4 rounds alternating:
#   OUT=benchmarks/results/20261207-dw6 flock /work/team/cpu.lock bash $OUT/avx2.sh
F=$OUT
B=${BIN:-/tmp/dw6}
P='Depthwise/k3_c(192_28x28_s1|384|576|960)'
echo "start $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $F/avx2-when.txt
for r in 1 2 3 4; do
  if [ $((r % 2)) -eq 1 ]; then order="before after"; else order="after before"; fi
  for b in $order; do
    AUTONL_SIMD=avx2 GOMAXPROCS=1 $B/$b.test -test.run '^$' -test.bench "$P" -test.count 1 -test.benchtime 0.2s >> $F/avx2-$b.txt 2>&1
  done
done
echo "end $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $F/avx2-when.txt
