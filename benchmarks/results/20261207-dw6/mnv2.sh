#!/bin/bash
# MobileNetV2 224×224 batch 8, training step and inference, 2 threads,
# benchtime 2s, the two binaries alternating (order flipped every round):
#   OUT=benchmarks/results/20261207-dw6 flock /work/team/cpu.lock bash $OUT/mnv2.sh
F=$OUT
B=${BIN:-/tmp/dw6}
log() { echo "$* $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $F/mnv2-when.txt; }
log start
for r in 1 2 3 4; do
  if [ $((r % 2)) -eq 1 ]; then order="before after"; else order="after before"; fi
  for b in $order; do
    GOMAXPROCS=2 $B/$b.test -test.run '^$' -test.bench 'MobileNetV2/224x224_n8/(train|inference)' -test.benchtime 2s >> $F/mnv2-$b.txt 2>&1
  done
  log "round $r"
done
