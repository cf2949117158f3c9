#!/bin/sh
# The logits of ../20261207-inf5/bitcheck.go.txt (with freeze_on.go.txt, -tags freeze: the networks
# frozen as the benchmarks run them: MobileNetV2 and AutoNL-S at batches 1, 2 and 8), built at main
# 1b5f05b (/tmp/inf7/bitcheck-base) and at this branch's head (/tmp/inf7/bitcheck-new), compared
# byte for byte, at GOMAXPROCS 2 and 1, with the default kernels, AUTONL_SIMD=avx2 (vector and
# depthwise kernels) and AUTONL_GEMM_KERNEL=avx2_6x16 and generic4x8 (GEMM micro-kernels).
cd /tmp/inf7
for env in "" "AUTONL_SIMD=avx2" "AUTONL_GEMM_KERNEL=avx2_6x16" "AUTONL_GEMM_KERNEL=generic4x8"; do
  tag=$(echo "$env" | tr '=' '-'); tag=${tag:-default}
  for p in 2 1; do
    for v in base new; do
      env $env GOMAXPROCS=$p ./bitcheck-$v bits-$v-$p-$tag.bin > /dev/null
    done
  done
  if cmp -s bits-base-2-$tag.bin bits-new-2-$tag.bin && cmp -s bits-new-2-$tag.bin bits-new-1-$tag.bin && cmp -s bits-base-2-$tag.bin bits-base-1-$tag.bin; then
    echo "$tag: base and new logits identical byte for byte, GOMAXPROCS 2 and 1 ($(stat -c %s bits-new-2-$tag.bin) bytes)"
  else
    echo "$tag: DIFFER"; python3 /work/wt-inf7/benchmarks/results/20261207-inf5/bitcompare.py bits-base-2-$tag.bin bits-new-2-$tag.bin
  fi
done
