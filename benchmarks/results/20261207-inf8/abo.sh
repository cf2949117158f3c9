#!/bin/bash
# Base and new test binaries and ONNX Runtime, in rotating order round by round, 2 threads:
# AutoNL-S and MobileNetV2 224 inference, batch 1 and 8.
# usage: abo.sh REPO BASEBIN NEWBIN OUT ROUNDS BENCHTIME   (ONNX models in /work/team/baseline)
set -u
repo=$1; base=$2; new=$3; out=$4; rounds=$5; bt=$6
mkdir -p $out
log() { echo "$* $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $out/log.txt; }
go_() { (cd $repo/benchmarks && GOMAXPROCS=2 $2 -test.run '^$' -test.bench 'AutoNLS|MobileNetV2/224x224_n./inference' -test.benchtime $bt >> $out/$1.txt); log "round $r $1"; }
ort() { (cd $repo && node benchmarks/ort.js 2 MobileNetV2=/work/team/baseline/mobilenetv2.onnx AutoNLS=/work/team/baseline/autonl-s.onnx >> $out/ort.txt); log "round $r ort"; }
log start
for r in $(seq $rounds); do
  case $((r % 3)) in
    1) go_ base $base; go_ new $new; ort;;
    2) go_ new $new; ort; go_ base $base;;
    0) ort; go_ base $base; go_ new $new;;
  esac
done
log end
