#!/bin/sh
# Final A/B of every depthwise shape the nlk branch changes: main at
# d584f3a with the branch's benchmark cases ("before", before-autonls.test)
# against the branch at 33c6ae3 ("final"), alternating, six rounds for 1
# and then 2 threads. Run from this directory under the team's CPU lock.
B='Depthwise/(k3_c384|k3_c960|k5_c144_56x56_s1|k7_c240|k5_c480|k5_c576)/(forward|input)'
for t in 1 2; do
	for i in 1 2 3 4 5 6; do
		GOMAXPROCS=$t ./before-autonls.test -test.run '^$' -test.bench "$B" -test.count 1 -test.benchtime 0.2s >> final-before$t.txt
		GOMAXPROCS=$t ./final.test -test.run '^$' -test.bench "$B" -test.count 1 -test.benchtime 0.2s >> final-after$t.txt
	done
done
