#!/bin/bash
# A/B of the unmasked loads of windows wholly inside the plane: after.test
# (06c1fdd) against after2.test (the commit in full-when.txt), the cases
# that run on FlatPlan, 6 rounds alternating, 1 and 2 threads.
F=$OUT
B=${BIN:-/tmp/dw5}
P='Depthwise/(k3_c192_28x28_s1|k3_c384|k3_c960|k5|k7)'
for t in 1 2; do
  { date -u; uptime; } >> $F/full-when.txt
  for r in 1 2 3 4 5 6; do
    GOMAXPROCS=$t $B/after.test  -test.run '^$' -test.bench "$P" -test.count 1 -test.benchtime 0.2s >> $F/full-before$t.txt 2>&1
    GOMAXPROCS=$t $B/after2.test -test.run '^$' -test.bench "$P" -test.count 1 -test.benchtime 0.2s >> $F/full-after$t.txt 2>&1
  done
done
{ date -u; uptime; } >> $F/full-when.txt
