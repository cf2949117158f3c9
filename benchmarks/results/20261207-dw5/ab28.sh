#!/bin/sh
for r in $(seq $2); do
  for b in b16.test b32.test; do
    GOMAXPROCS=$1 ./$b -test.run '^$' -test.bench 'Depthwise/k3_c192_28x28_s1_n8/(forward|input)' -test.benchtime 0.2s | grep GFLOP | awk -v b=$b '{print b, $1, $(NF-1)}'
  done
done
