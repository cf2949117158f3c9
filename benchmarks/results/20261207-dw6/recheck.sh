#!/bin/bash
# A second 1-thread window for the ratios: after.test (997a3a8) six times,
# then reference.py, right after the main run:
#   OUT=benchmarks/results/20261207-dw6 flock /work/team/cpu.lock bash $OUT/recheck.sh
F=$OUT
B=${BIN:-/tmp/dw6}
echo "start $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $F/recheck-when.txt
for r in 1 2 3 4 5 6; do
  GOMAXPROCS=1 $B/after.test -test.run '^$' -test.bench Depthwise -test.count 1 -test.benchtime 0.2s >> $F/recheck-after1.txt 2>&1
done
echo "benchmarks $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $F/recheck-when.txt
/usr/bin/python3 benchmarks/reference.py --threads 1 --peak 218 --only Depthwise > $F/recheck-ref1.txt 2>&1
echo "reference $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $F/recheck-when.txt
