#!/bin/bash
cd /work/wt-inf8
R=benchmarks/results/20261207-inf7
cp $R/layertime.go.txt tensor/zz_layertime.go
cp /tmp/inf8/zz_layer_test.go benchmarks/zz_layer_test.go
cp /tmp/inf8/zz_env.go models/zz_env.go
grep -q ltEnd tensor/conv.go || sed -i 's|^\ty := newOutUninit(g.outShape()) // every path writes every element$|\tdefer ltEnd(ltStart(), g, ep, pw != nil)\n&|' tensor/conv.go
python3 - <<'PY'
def edit(p, old, new):
    s=open(p).read()
    if new in s: return
    assert old in s, (p, old); s=s.replace(old,new,1); open(p,'w').write(s)
edit('lightnl/block.go','''	y := b.Attention(x)
	adds''','''	t0 := tensor.LTStart()
	y := b.Attention(x)
	tensor.LTAdd("lightnl attention", t0)
	adds''')
s=open('lightnl/block.go').read()
if '"github.com/autonl-go/autonl/tensor"' not in s:
    s=s.replace('\t"github.com/autonl-go/autonl/nn"\n','\t"github.com/autonl-go/autonl/nn"\n\t"github.com/autonl-go/autonl/tensor"\n',1); open('lightnl/block.go','w').write(s)
edit('nn/se.go','''	return autograd.Mul(scale, x)
}''','''	t0 := tensor.LTStart()
	defer tensor.LTAdd("se mul", t0)
	return autograd.Mul(scale, x)
}''')
edit('nn/se.go','''			tensor.MulPlanesInto(x.Value, s)''','''			t0 := tensor.LTStart()
			tensor.MulPlanesInto(x.Value, s)
			tensor.LTAdd("se mul into", t0)''')
edit('models/net.go','''		y := autograd.Slice(x, 0, i, i+m, 1)''','''		t0 := tensor.LTStart()
		y := autograd.Slice(x, 0, i, i+m, 1)
		tensor.LTAdd("micro slice", t0)''')
edit('models/net.go','''	f := autograd.Concat(0, outs...)
	for _, y := range outs {
		autograd.Discard(y, x, f)
	}''','''	t0 := tensor.LTStart()
	f := autograd.Concat(0, outs...)
	for _, y := range outs {
		autograd.Discard(y, x, f)
	}
	tensor.LTAdd("micro concat", t0)''')
edit('models/net.go','''	y := autograd.GlobalAvgPool2D(f)''','''	t0 := tensor.LTStart()
	defer tensor.LTAdd("head pool+classifier", t0)
	y := autograd.GlobalAvgPool2D(f)''')
PY
