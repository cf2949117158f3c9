package nn

import (
	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/tensor"
)

// FusedConvBN returns clamp(bn(conv(x)), lo, hi), followed by x·σ(x) if
// swish and then by the addition of adds in order (… + adds[0] +
// adds[1] + …, residual connections), computed by autograd.Conv2DFused,
// the batch norm, the clamp, Swish and the additions applied in the
// convolution's epilogue (one pass over the output instead of one per
// operation), when that is what inference would compute: gradients
// disabled, bn in evaluation mode, a convolution without bias whose
// channels match bn's and x's, added tensors of the output's shape, and no
// tracer active (a tracer must see each layer's output). Otherwise it
// returns nil, and the caller runs the layers one by one. The results are
// those of the layers run one after the other bit for bit, the additions
// being autograd.Add(adds[i], …), except that Swish is computed in float32
// (tensor.ConvEpilogue.ThenSwish), within float32 rounding of Swish's. A
// frozen convolution (Freeze) computes from its frozen weight.
func FusedConvBN(conv *Conv2d, bn *BatchNorm2d, x *autograd.Var, lo, hi float32, swish bool, adds ...*autograd.Var) *autograd.Var {
	return fusedConvBN(conv, bn, x, lo, hi, swish, nil, adds)
}

// FusedConvBNMeans is FusedConvBN, without additions, for a depthwise
// convolution (Groups = In > 1) whose output a squeeze-excite unit pools:
// it returns the output and the mean of each of its planes, N×C×1×1,
// autograd.GlobalAvgPool2D of the output bit for bit, formed in the
// epilogue while each plane is in the caches (tensor.ConvEpilogue
// .ThenMeans) instead of in a pass of its own. It returns nil, nil where
// FusedConvBN returns nil and where the convolution is not depthwise.
func FusedConvBNMeans(conv *Conv2d, bn *BatchNorm2d, x *autograd.Var, lo, hi float32, swish bool) (y, means *autograd.Var) {
	if conv.Params.Groups != conv.In || conv.In < 2 || len(x.Shape()) != 4 {
		return nil, nil
	}
	m := tensor.New(x.Shape()[0], conv.Out, 1, 1)
	if y = fusedConvBN(conv, bn, x, lo, hi, swish, m.Data(), nil); y == nil {
		return nil, nil
	}
	return y, autograd.Const(m)
}

// fusedConvBN is FusedConvBN, the epilogue storing the means of the
// output planes in means if it is not nil (depthwise convolutions only).
func fusedConvBN(conv *Conv2d, bn *BatchNorm2d, x *autograd.Var, lo, hi float32, swish bool, means []float32, adds []*autograd.Var) *autograd.Var {
	if autograd.GradEnabled() || bn.Training() || conv.Bias != nil || Tracing() ||
		conv.Out != bn.Channels || len(x.Shape()) != 4 || x.Shape()[1] != conv.In {
		return nil
	}
	if len(adds) > 0 {
		out := tensor.Conv2DOutputShape(x.Shape(), conv.Weight.Shape(), conv.Params)
		for _, r := range adds {
			if !tensor.SameShape(r.Shape(), out) {
				return nil
			}
		}
	}
	var gamma, beta *tensor.Tensor
	if bn.Weight != nil {
		gamma = bn.Weight.Value
	}
	if bn.Bias != nil {
		beta = bn.Bias.Value
	}
	ep := bn.fused.Epilogue(gamma, beta, bn.RunningMean, bn.RunningVar, float32(bn.Eps), lo, hi)
	if swish {
		ep.ThenSwish()
	}
	for _, r := range adds {
		ep.ThenAdd(r.Value)
	}
	if means != nil {
		ep.ThenMeans(means)
	}
	if w := conv.frozenWeight(); w != nil {
		return autograd.Conv2DFrozen(x, w, conv.Params, ep)
	}
	return autograd.Conv2DFused(x, conv.Weight, conv.Params, ep)
}
