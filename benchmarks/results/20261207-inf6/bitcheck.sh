#!/bin/sh
# The logits of ../20261207-inf5/bitcheck.go.txt (with freeze_on.go.txt, -tags freeze: the networks frozen as the
# benchmarks run them) built at base and new into /tmp/inf6/bitcheck-base and /tmp/inf6/bitcheck-new;
# compared with ../20261207-inf5/bitcompare.py.
cd /tmp/inf6
for p in 2 1; do
  echo "\$ GOMAXPROCS=$p ./bitcheck-base bits-base$p.bin"; GOMAXPROCS=$p ./bitcheck-base bits-base$p.bin
  echo "\$ GOMAXPROCS=$p ./bitcheck-new bits-new$p.bin"; GOMAXPROCS=$p ./bitcheck-new bits-new$p.bin
done
echo '$ bitcompare.py bits-base2.bin bits-new2.bin'; python3 /work/wt-inf6/benchmarks/results/20261207-inf5/bitcompare.py bits-base2.bin bits-new2.bin
echo '$ bitcompare.py bits-new2.bin bits-new1.bin'; python3 /work/wt-inf6/benchmarks/results/20261207-inf5/bitcompare.py bits-new2.bin bits-new1.bin
echo '$ bitcompare.py bits-base2.bin bits-base1.bin'; python3 /work/wt-inf6/benchmarks/results/20261207-inf5/bitcompare.py bits-base2.bin bits-base1.bin
