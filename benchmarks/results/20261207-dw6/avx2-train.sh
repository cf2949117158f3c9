for r in 1 2 3; do
 for b in lead lead-dw6; do
  AUTONL_SIMD=avx2 GOMAXPROCS=2 /tmp/$b.test -test.run '^$' -test.bench 'MobileNetV2/224x224_n8/train' -test.benchtime 10x >> /tmp/avx2ab/$b.txt
 done
done
