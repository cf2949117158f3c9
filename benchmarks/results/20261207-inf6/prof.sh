#!/bin/sh
# usage: prof.sh BIN TAG: 3 s CPU profiles of AutoNL-S b1 and b8, GOMAXPROCS=2, into /tmp/inf6
b=$1; t=$2
for c in 'AutoNLS/224x224_n1/inference' 'AutoNLS/224x224_n8/inference'; do
  n=$(echo $c | tr '/' '_')
  GOMAXPROCS=2 $b -test.run '^$' -test.bench "$c" -test.benchtime 3s -test.cpuprofile /tmp/inf6/prof_${t}_$n.pprof >> /tmp/inf6/prof_$t.txt
done
