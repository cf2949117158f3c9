#!/bin/sh
# Experiment: the flat forward pass in runs of whole images when there is
# no epilogue (wholerun.test) against runs of at most 64 KiB (final.test).
B='Depthwise/(k3_c384|k5_c144_56x56_s1|k7_c240)/forward'
for i in 1 2 3 4 5; do
	GOMAXPROCS=1 ./final.test -test.run '^$' -test.bench "$B" -test.count 1 -test.benchtime 0.2s >> exp-final.txt
	GOMAXPROCS=1 ./wholerun.test -test.run '^$' -test.bench "$B" -test.count 1 -test.benchtime 0.2s >> exp-wholerun.txt
done
