#!/bin/bash
# Item 1 and 2 of issue 21 side by side, round by round: ours (test binary BIN), PyTorch
# (reference.py, NCHW and channels_last), ONNX Runtime (ort.js), in rotating order.
# usage: item1.sh REPO BIN OUT ROUNDS   (OUT must hold mobilenetv2.onnx, autonl-s.onnx, autonl-s.safetensors)
set -u
repo=$1; bin=$2; out=$3; rounds=$4
py=/usr/bin/python3
log() { echo "$* $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $out/log.txt; }
peak=$(cd $repo && GOMAXPROCS=1 $bin -test.run '^$' -test.bench 'Peak/fma' -test.benchtime 0.2s | grep -o '[0-9.]* GFLOP/s' | sort -n | tail -1 | cut -d' ' -f1)
peak2=$(awk -v p=$peak 'BEGIN{print 2*p}')
log "start peak1 $peak"
ours() { (cd $repo/benchmarks && GOMAXPROCS=2 $bin -test.run '^$' -test.bench 'MobileNetV2/(224x224_n.|32x32_n32)/inference|AutoNLS' -test.benchtime 2s >> $out/ours.txt); log "round $r ours"; }
pt() { (cd $repo && $py benchmarks/reference.py --threads 2 --peak $peak2 --only MobileNetV2 --repeat 1 >> $out/pt.txt && $py benchmarks/reference.py --threads 2 --peak $peak2 --only AutoNLS --autonl-s $out/autonl-s.safetensors --repeat 1 >> $out/pt.txt); log "round $r pt"; }
ort() { (cd $repo && node benchmarks/ort.js 2 MobileNetV2=$out/mobilenetv2.onnx AutoNLS=$out/autonl-s.onnx >> $out/ort.txt); log "round $r ort"; }
for r in $(seq $rounds); do
  case $((r % 3)) in
    1) ours; pt; ort;;
    2) pt; ort; ours;;
    0) ort; ours; pt;;
  esac
done
log end
