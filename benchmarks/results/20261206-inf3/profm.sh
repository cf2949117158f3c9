#!/bin/sh
for b in base v2; do
  GOMAXPROCS=2 /tmp/inf3/$b.test -test.run '^$' -test.bench 'MobileNetV2/224x224_n1/inference' -test.benchtime 4s -test.cpuprofile /tmp/inf3/profm_$b.pprof >> /tmp/inf3/profm.txt
done
