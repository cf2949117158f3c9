#!/bin/bash
# usage: explore.sh BIN ROUNDS "cfg1" "cfg2" ...   cfg: "MICRO=a MICROPIX=b"
bin=$1; rounds=$2; shift 2
for r in $(seq $rounds); do
  for c in "$@"; do
    echo "== $c round $r"
    env $c GOMAXPROCS=2 $bin -test.run '^$' -test.bench 'AutoNLS/224x224_n8/inference|MobileNetV2/224x224_n8/inference' -test.benchtime 1s | grep Benchmark
  done
done
