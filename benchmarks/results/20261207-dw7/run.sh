#!/bin/bash
# Run under the team lock from the worktree's root, once per thread count:
#   OUT=benchmarks/results/20261207-dw7 T=1 flock /work/team/cpu.lock bash $OUT/run.sh
# before.test: `go test -c ./benchmarks` of main at 1b5f05b; after.test:
# the same of this branch (commit in when.txt). Six rounds, the order of
# the two binaries alternating from round to round, then PyTorch
# channels_last with reference.py.
F=$OUT
B=${BIN:-/tmp/dw7}
t=$T
log() { echo "$* $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $F/when.txt; }
log "start t=$t"
for r in 1 2 3 4 5 6; do
  if [ $((r % 2)) -eq 1 ]; then order="before after"; else order="after before"; fi
  for b in $order; do
    GOMAXPROCS=$t $B/$b.test -test.run '^$' -test.bench Depthwise -test.count 1 -test.benchtime 0.2s >> $F/$b$t.txt 2>&1
  done
  log "round $r t=$t"
done
/usr/bin/python3 benchmarks/reference.py --threads $t --peak $((218*t)) --only Depthwise > $F/ref$t.txt 2>&1
log "reference t=$t"
