#!/bin/sh
for r in $(seq $2); do
  for b in b16.test b128.test; do
    GOMAXPROCS=$1 ./$b -test.run '^$' -test.bench 'Depthwise/k3_c(32_112x112|96_56x56|144_56x56)_s1_n8/(forward|input)' -test.benchtime 0.2s | grep GFLOP | awk -v b=$b '{print b, $1, $(NF-1)}'
  done
done
