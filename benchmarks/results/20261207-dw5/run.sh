#!/bin/bash
# Run under the team lock from the worktree's root:
#   OUT=benchmarks/results/20261207-dw5 flock /work/team/cpu.lock bash $OUT/run.sh
# before.test: `go test -c ./benchmarks` of main at b9091b2; after.test:
# the same of this branch (commit in when.txt).
F=$OUT
B=${BIN:-/tmp/dw5}
for t in 1 2; do
  { date -u; uptime; } >> $F/when.txt
  for r in 1 2 3 4 5 6; do
    GOMAXPROCS=$t $B/before.test -test.run '^$' -test.bench Depthwise -test.count 1 -test.benchtime 0.2s >> $F/before$t.txt 2>&1
    GOMAXPROCS=$t $B/after.test  -test.run '^$' -test.bench Depthwise -test.count 1 -test.benchtime 0.2s >> $F/after$t.txt 2>&1
  done
  { date -u; uptime; } >> $F/when.txt
  /usr/bin/python3 benchmarks/reference.py --threads $t --peak $((218*t)) --only Depthwise > $F/ref$t.txt 2>&1
  { date -u; uptime; } >> $F/when.txt
done
