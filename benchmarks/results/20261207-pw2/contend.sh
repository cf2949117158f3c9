#!/bin/sh
# base and new at GOMAXPROCS=2 with one core taken by a busy loop.
out=$1
for r in 1 2 3; do
  for b in base-1b5f05b new-7b023e3; do
    sh -c 'while :; do :; done' & pid=$!
    sleep 0.3
    GOMAXPROCS=2 /tmp/pw2/$b.test -test.run '^$' -test.bench 'MatMul/mnv2_(960|1280)|MobileNetV2/224x224_n1/inference' -test.benchtime 0.5s | grep Bench | sed "s/^/$b burn /" >> $out
    kill $pid
    GOMAXPROCS=2 /tmp/pw2/$b.test -test.run '^$' -test.bench 'MatMul/mnv2_(960|1280)|MobileNetV2/224x224_n1/inference' -test.benchtime 0.5s | grep Bench | sed "s/^/$b quiet /" >> $out
  done
done
