#!/bin/bash
cd /work/wt-dwk
F=$OUT
for t in 1 2; do
  uptime >> $F/load.txt
  for r in 1 2 3 4 5 6; do
    GOMAXPROCS=$t before.test -test.run '^$' -test.bench Depthwise -test.count 1 -test.benchtime 0.2s >> $F/before$t.txt 2>&1
    GOMAXPROCS=$t after.test  -test.run '^$' -test.bench Depthwise -test.count 1 -test.benchtime 0.2s >> $F/after$t.txt 2>&1
  done
  uptime >> $F/load.txt
  /usr/bin/python3 benchmarks/reference.py --threads $t --peak $((218*t)) --only Depthwise > $F/ref$t.txt 2>&1
  uptime >> $F/load.txt
done
