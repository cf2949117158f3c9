#!/bin/sh
# A/B of the depthwise shapes changed on the nlk branch: main at d584f3a
# ("before") against the nlk commits db0e911 ("after", FlatPlan 4 planes
# at a time) and its successor ("tail", partial last group), alternating,
# for 1 and 2 threads; then the kernel alone (BenchmarkFlat, dwconv test
# binaries of the two commits). Run from this directory, under the team's
# CPU lock: flock /work/team/cpu.lock sh run.sh
# *.test are `go test -c` binaries of the commits.
B='Depthwise/(k3_c384|k3_c960|k5_c144_56x56_s1|k7_c240)/(forward|input)'
for t in 1 2; do
	for i in 1 2 3 4 5 6; do
		GOMAXPROCS=$t ./before.test -test.run '^$' -test.bench "$B" -test.count 1 -test.benchtime 0.2s >> before$t.txt
		GOMAXPROCS=$t ./after.test -test.run '^$' -test.bench "$B" -test.count 1 -test.benchtime 0.2s >> after$t.txt
		GOMAXPROCS=$t ./tail.test -test.run '^$' -test.bench "$B" -test.count 1 -test.benchtime 0.2s >> tail$t.txt
	done
done
for i in 1 2 3; do
	./dw-a3.test -test.run '^$' -test.bench Flat -test.benchtime 0.2s >> flat-after.txt
	./dw-tail.test -test.run '^$' -test.bench Flat -test.benchtime 0.2s >> flat-tail.txt
done
