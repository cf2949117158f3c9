#!/bin/bash
# Re-check of the 56×56 stride-1 rows on 2 threads, "after" first in each round.
F=$OUT
B=${BIN:-/tmp/dw5}
{ date -u; uptime; } >> $F/recheck-when.txt
for r in 1 2 3 4 5 6; do
  GOMAXPROCS=2 $B/after.test  -test.run '^$' -test.bench 'Depthwise/k3_c(96|144)_56x56_s1' -test.count 1 -test.benchtime 0.2s >> $F/recheck-after2.txt 2>&1
  GOMAXPROCS=2 $B/before.test -test.run '^$' -test.bench 'Depthwise/k3_c(96|144)_56x56_s1' -test.count 1 -test.benchtime 0.2s >> $F/recheck-before2.txt 2>&1
done
{ date -u; uptime; } >> $F/recheck-when.txt
