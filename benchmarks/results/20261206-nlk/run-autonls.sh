#!/bin/sh
# A/B of AutoNL-S's stride-1 5×5 depthwise layers (14×14 and 7×7 maps):
# main at d584f3a with this branch's benchmark cases ("before") against
# the nlk branch ("after"), alternating, 1 and 2 threads. Run from this
# directory under the team's CPU lock.
B='Depthwise/(k5_c480|k5_c576)/(forward|input)'
for t in 1 2; do
	for i in 1 2 3 4 5 6; do
		GOMAXPROCS=$t ./before-autonls.test -test.run '^$' -test.bench "$B" -test.count 1 -test.benchtime 0.2s >> before-autonls$t.txt
		GOMAXPROCS=$t ./after-autonls.test -test.run '^$' -test.bench "$B" -test.count 1 -test.benchtime 0.2s >> after-autonls$t.txt
	done
done
