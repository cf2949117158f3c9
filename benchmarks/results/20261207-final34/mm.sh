#!/bin/bash
# The 7x7 pointwise products before and after, alternating, with the FMA peak in the same invocation:
# BASE and NEW test binaries of ./benchmarks, ROUNDS rounds, 1 and 2 threads. usage: mm.sh OUT ROUNDS BASEBIN NEWBIN
out=$1; rounds=$2; base=$3; new=$4
mkdir -p $out
for r in $(seq $rounds); do
  for b in base new; do
    bin=$base; [ $b = new ] && bin=$new
    for t in 1 2; do
      flock /work/team/cpu.lock $bin -test.run xxx -test.bench 'MatMul/mnv2_(960|1280)|Peak/fma_avx512_all' -test.benchtime 1s -test.count 1 -test.cpu $t 2>&1 | grep Bench >> $out/$b.txt
    done
  done
done
