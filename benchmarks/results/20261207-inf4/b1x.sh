#!/bin/sh
# AutoNL-S and MobileNetV2 b1 only: base, v2, v2ng (gemv split off) in rotating order, 5 rounds
out=/tmp/inf4/b1x; mkdir -p $out
log() { echo "$* $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $out/log.txt; }
log start
for r in 1 2 3 4 5; do
  case $((r % 3)) in 1) o="base v2 v2ng";; 2) o="v2 v2ng base";; 0) o="v2ng base v2";; esac
  for b in $o; do
    GOMAXPROCS=2 /tmp/inf4/$b.test -test.run '^$' -test.bench 'AutoNLS/224x224_n1/inference|MobileNetV2/224x224_n1/inference' -test.benchtime 2s >> $out/$b.txt
    log "round $r $b"
  done
done
log end
