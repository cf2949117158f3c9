#!/bin/sh
# Logits of fused inference (../20261207-inf5/bitcheck.go.txt, frozen with
# -tags freeze and not) and the loss and gradients of one training step
# (trainbits.go.txt) of MobileNetV2 and AutoNL-S, for two builds at
# GOMAXPROCS 1 and 2, compared byte for byte.
# usage: bitcheck.sh OUT BINDIR   (BINDIR holds bitcheck-{base,new},
# bitcheck-fz-{base,new}, trainbits-{base,new})
out=$1; bin=$2
mkdir -p $out
for v in base new; do
  for p in 1 2; do
    GOMAXPROCS=$p $bin/bitcheck-fz-$v $out/bits-$v-$p.bin > $out/bits-$v-$p.log
    GOMAXPROCS=$p $bin/bitcheck-$v $out/bits-$v-nf-$p.bin > $out/bits-$v-nf-$p.log
    GOMAXPROCS=$p $bin/trainbits-$v $out/train-$v-$p.bin > $out/train-$v-$p.log
  done
done
for f in bits bits-nf-x train; do :; done
{
  for a in bits-base-1 bits-base-nf-1 train-base-1; do
    for b in $(echo $a | sed 's/base-/base-/;s/-1$/-2/') $(echo $a | sed 's/base/new/') $(echo $a | sed 's/base/new/;s/-1$/-2/'); do
      if cmp -s $out/$a.bin $out/$b.bin; then echo "$a.bin = $b.bin (identical, $(stat -c %s $out/$a.bin) bytes)"; else echo "$a.bin != $b.bin"; fi
    done
  done
} > $out/compare.txt
cat $out/compare.txt
