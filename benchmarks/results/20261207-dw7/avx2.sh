#!/bin/bash
# The AVX2 kernels (AUTONL_SIMD=avx2) of the 3×3 weight gradients this
# branch changes, before and after, 1 and 2 threads, six rounds
# alternating; then the kernel benchmarks of package dwconv (planes in
# cache, 1 thread, BenchmarkFlatGrad and BenchmarkNarrowS2/weight) with
# AVX2 and AVX-512, six rounds alternating:
#   OUT=benchmarks/results/20261207-dw7 flock /work/team/cpu.lock bash $OUT/avx2.sh
# dwbefore.test / dwafter.test: `go test -c ./tensor/internal/dwconv`.
F=$OUT
B=${BIN:-/tmp/dw7}
P='Depthwise/k3_c(192_28x28_s1|384|576|960)_.*/weight'
echo "start $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $F/avx2-when.txt
for t in 1 2; do
  for r in 1 2 3 4 5 6; do
    if [ $((r % 2)) -eq 1 ]; then order="before after"; else order="after before"; fi
    for b in $order; do
      AUTONL_SIMD=avx2 GOMAXPROCS=$t $B/$b.test -test.run '^$' -test.bench "$P" -test.count 1 -test.benchtime 0.2s >> $F/avx2-$b$t.txt 2>&1
    done
  done
  echo "t=$t $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $F/avx2-when.txt
done
for s in avx2 avx512; do
  for r in 1 2 3 4 5 6; do
    if [ $((r % 2)) -eq 1 ]; then order="dwbefore dwafter"; else order="dwafter dwbefore"; fi
    for b in $order; do
      AUTONL_SIMD=$s GOMAXPROCS=1 $B/$b.test -test.run '^$' -test.bench 'FlatGrad|NarrowS2/weight' -test.count 1 -test.benchtime 0.2s >> $F/kern-$s-$b.txt 2>&1
    done
  done
done
echo "end $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $F/avx2-when.txt
