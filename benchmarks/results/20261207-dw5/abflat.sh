#!/bin/sh
# A/B of the dwconv kernel benchmarks: $1 $2 binaries, $3 rounds
for r in $(seq $3); do
  for b in $1 $2; do
    GOMAXPROCS=1 ./$b -test.run '^$' -test.bench Flat -test.benchtime 0.2s | grep GFLOP | awk -v b=$b '{print b, $1, $(NF-1)}'
  done
done
