#!/bin/sh
for b in base new; do
  GOMAXPROCS=2 /tmp/inf3/$b.test -test.run '^$' -test.bench 'AutoNLS|MobileNetV2/224x224_n1/inference' -test.benchtime 2s -test.cpuprofile /tmp/inf3/profseq_$b.pprof >> /tmp/inf3/profseq.txt
done
