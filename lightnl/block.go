package lightnl

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/nn"
)

// Config configures [New]. The zero value is the paper's most common
// setting: channel ratio 0.25, key stride 1, PyTorch's default batch norm.
type Config struct {
	// Ratio is the channel ratio r in (0, 1]: the block uses the first
	// ⌊r·C⌋ channels ([ReducedChannels]) as queries and keys. Zero means
	// 0.25.
	Ratio float64
	// Stride is the key stride s ≥ 1: keys and values are taken at every
	// s-th row and column. Zero means 1.
	Stride int
	// BN configures the batch norm after the depthwise conv. The AutoNL
	// models use the global setting, momentum 0.01 and eps 1e-3 in
	// PyTorch's terms.
	BN nn.BatchNormConfig
	// Order forces an association order of V·Kᵀ·Q for every input;
	// the zero value, OrderAuto, picks [CheaperOrder] per input shape.
	// Both orders compute the same product: forcing one is for tests and
	// benchmarks.
	Order Order
}

// Block is the LightNL block of AutoNL (Li et al., CVPR 2020), an
// nn.Module. For x of shape N×C×H×W, channel ratio r, rC = ⌊r·C⌋ and key
// stride s it computes
//
//	xs = x[:, :, ::s, ::s]                   N×C×H'×W', H' = ⌈H/s⌉, W' = ⌈W/s⌉, M = H'·W'
//	Q  = x[:, :rC]   reshaped to N×rC×HW      queries
//	K  = xs[:, :rC]  reshaped to N×rC×M       keys
//	V  = xs          reshaped to N×C×M        values
//	y  = (1/(H·W)) · V·(Kᵀ·Q)                N×C×HW, reshaped to N×C×H×W
//	z  = x + BN(DW3×3(y))                    N×C×H×W
//
// with no θ, φ, g transforms, no softmax and no activation. The
// subsampling is plain strided slicing, not pooling, and the divisor is
// the H·W of the full-resolution map. DW3×3 is a depthwise 3×3 conv with
// stride 1, padding 1 and no bias; BN is batch norm with γ initialised to
// 0, so that a fresh block is exactly the identity, z = x.
//
// The product V·Kᵀ·Q is computed in one of two association orders
// (see [Order]); both give the same result up to float32 rounding:
//
//	A: F = KᵀQ (N×M×HW), then y = V·F          HW·M·(rC + C) MACs
//	B: G = V·Kᵀ (N×C×rC), then y = G·Q         (HW + M)·C·rC MACs
//
// Unless Order forces one, the block takes [CheaperOrder](C, H, W, r, s)
// for each input, so its MACs are [BlockMACs] (ties go to B). The scale
// 1/(H·W) is applied to the small context G in order B and to the output
// V·F in order A.
//
// This is what the paper's released TensorFlow code (LiYingwei/AutoNL,
// model_def.py: non_local_op, MnasBlock._call_non_local) computes: θ and φ
// are the first int(r·C) channels of the block input and of its slice
// l[:, ::s, ::s, :], g is the whole slice, the order is chosen by comparing
// HW·M·C·(1+r) with (HW + M)·C²·r with M = ⌊H/s⌋·⌊W/s⌋ (A only if strictly
// cheaper), the result is divided by H·W, and then come a bias-free 3×3
// DepthwiseConv2D with 'same' padding and a BatchNormalization whose γ
// starts at zero (flag nl_zero_init, true by default), added to the input
// without activation. The one difference: when r·C is not an integer the
// released code compares costs with the unrounded r·C, this block with ⌊r·C⌋
// (as the cost formulas of this package do); every block of the paper has
// an integral r·C.
//
// Its submodules are "conv", an nn.Conv2d(C, C, 3, padding 1, groups C, no
// bias), and "bn", an nn.BatchNorm2d(C), so its parameters are
// "conv.weight" (C×1×3×3), "bn.weight" (γ) and "bn.bias" (β), 9·C + 2·C
// in all ([LightNLParams]), and its buffers those of "bn". Placed inside an
// inverted-residual block these names get the block's prefix.
type Block struct {
	nn.Base
	// Conv is the depthwise 3×3 conv after the attention.
	Conv *nn.Conv2d
	// BN is the batch norm after Conv; its γ starts at zero.
	BN *nn.BatchNorm2d
	// Channels is C, Reduced is rC = ⌊r·C⌋, the number of query and key
	// channels.
	Channels, Reduced int
	// Ratio is r and Stride the key stride s.
	Ratio  float64
	Stride int
	// Order forces an association order; OrderAuto (the default) takes
	// the cheaper one per input shape. It may be changed at any time.
	Order Order
}

// New returns a LightNL block for inputs with the given number of channels.
// The depthwise kernel is initialised as the released code initialises it,
// from N(0, 2/9) ([nn.MnasNetConvInit]: fan-out 3·3·1 for a depthwise
// kernel), and the batch norm's γ to 0, β to 0.
//
// It panics if channels is not positive, the ratio is outside (0, 1] or
// leaves no query channels (⌊r·C⌋ = 0), the stride is negative or the
// order is not OrderAuto, OrderA or OrderB.
func New(rng *rand.Rand, channels int, opts Config) *Block {
	if channels < 1 {
		panic(fmt.Sprintf("lightnl: New: %d channels, want at least 1", channels))
	}
	if opts.Ratio == 0 {
		opts.Ratio = 0.25
	}
	if !(opts.Ratio > 0 && opts.Ratio <= 1) {
		panic(fmt.Sprintf("lightnl: New: ratio %v out of range (0, 1]", opts.Ratio))
	}
	rc := ReducedChannels(channels, opts.Ratio)
	if rc < 1 {
		panic(fmt.Sprintf("lightnl: New: ratio %v of %d channels leaves ⌊r·C⌋ = 0 query and key channels; "+
			"want r·C ≥ 1", opts.Ratio, channels))
	}
	if opts.Stride < 0 {
		panic(fmt.Sprintf("lightnl: New: negative key stride %d", opts.Stride))
	}
	checkOrder("New", opts.Order)
	b := &Block{
		Conv:     nn.NewConv2d(rng, channels, channels, 3, nn.ConvConfig{Padding: 1, Groups: channels}),
		BN:       nn.NewBatchNorm2d(channels, opts.BN),
		Channels: channels,
		Reduced:  rc,
		Ratio:    opts.Ratio,
		Stride:   max(opts.Stride, 1),
		Order:    opts.Order,
	}
	nn.MnasNetConvInit(rng, b.Conv)
	b.BN.Weight.Value.Fill(0)
	b.AddChild("conv", b.Conv)
	b.AddChild("bn", b.BN)
	return b
}

func checkOrder(op string, o Order) {
	if o != OrderAuto && o != OrderA && o != OrderB {
		panic(fmt.Sprintf("lightnl: %s: invalid order %v, want OrderAuto, OrderA or OrderB", op, o))
	}
}

// OrderFor returns the association order the block uses for an h×w input:
// the forced Order, or else CheaperOrder(C, h, w, r, s).
func (b *Block) OrderFor(h, w int) Order {
	checkOrder("Block", b.Order)
	if b.Order != OrderAuto {
		return b.Order
	}
	return CheaperOrder(b.Channels, h, w, b.Ratio, b.Stride)
}

// Forward returns z = x + BN(DW3×3(y)) for x of shape N×C×H×W, with y the
// attention of [Block.Attention]. It panics if x is not 4-D with the
// block's C channels.
//
// In evaluation mode under NoGrad the batch norm and the addition of x run
// in the depthwise convolution's epilogue (nn.FusedConvBN), with the same
// results bit for bit, and the intermediate results go back to the tensor
// buffer pool once used (autograd.Discard).
func (b *Block) Forward(x *autograd.Var) *autograd.Var {
	return nn.Traced(b, x, b.forward(x, nil))
}

// ForwardAdd returns Forward(x) + r, r of x's shape, as
// autograd.Add(r, b.Forward(x)) computes it, bit for bit: for an
// inverted-residual layer whose skip connection follows the block. In
// evaluation mode under NoGrad with no tracer active, both additions run
// in the depthwise convolution's epilogue, and the block's own output,
// x + BN(DW3×3(y)), is never stored.
func (b *Block) ForwardAdd(x, r *autograd.Var) *autograd.Var {
	if nn.Tracing() { // the tracer sees the block's output
		z := b.Forward(x)
		s := autograd.Add(r, z)
		autograd.Discard(z, x, r, s)
		return s
	}
	return b.forward(x, r)
}

// forward returns x + BN(DW3×3(y)), plus r if r is not nil
// (autograd.Add(r, …)), with the batch norm and the additions in the
// depthwise convolution's epilogue when nn.FusedConvBN can put them there.
// Under NoGrad the intermediate results go back to the buffer pool.
func (b *Block) forward(x, r *autograd.Var) *autograd.Var {
	y := b.Attention(x)
	adds := []*autograd.Var{x}
	if r != nil {
		adds = append(adds, r)
	}
	inf := float32(math.Inf(1))
	z := nn.FusedConvBN(b.Conv, b.BN, y, -inf, inf, false, adds...)
	if z == nil {
		c := b.Conv.Forward(y)
		d := b.BN.Forward(c)
		z = autograd.Add(x, d)
		autograd.Discard(c, x, d, z)
		autograd.Discard(d, x, z)
		if r != nil {
			s := autograd.Add(r, z)
			autograd.Discard(z, x, r, s)
			z = s
		}
	}
	autograd.Discard(y, x, z)
	return z
}

// ForwardMACs returns the multiply-adds of the attention for input shape
// in (N×C×H×W), the smaller of the two association orders' counts times N,
// for profilers (see [nn.MACCounter]); the depthwise conv, a child module,
// counts its own 9·C·H·W.
func (b *Block) ForwardMACs(in, out []int) int64 {
	a, c := AttentionMACs(b.Channels, in[2], in[3], b.Ratio, b.Stride)
	return int64(in[0]) * min(a, c)
}

// Attention returns the block's parameter-free part,
// y = (1/(H·W)) · V·(Kᵀ·Q), as an N×C×H×W Var for x of shape N×C×H×W (see
// [Block]), computed in the order [Block.OrderFor] gives. It panics if x is
// not 4-D with the block's C channels.
func (b *Block) Attention(x *autograd.Var) *autograd.Var {
	s := x.Shape()
	if len(s) != 4 {
		panic(fmt.Sprintf("lightnl: Block: input %v is not 4-D N×C×H×W", s))
	}
	if s[1] != b.Channels {
		panic(fmt.Sprintf("lightnl: Block: input %v has %d channels, want %d", s, s[1], b.Channels))
	}
	return Attention(x, AttentionConfig{Reduced: b.Reduced, Stride: b.Stride, Order: b.OrderFor(s[2], s[3])})
}

// AttentionConfig configures [Attention].
type AttentionConfig struct {
	// Reduced is rC, the number of query and key channels, in 1..C.
	Reduced int
	// Stride is the key stride s; 0 means 1.
	Stride int
	// Order is the association order; OrderAuto means
	// CheaperOrder(C, H, W, Reduced/C, Stride) with the unrounded ratio.
	Order Order
	// KeyScale, if not nil, multiplies the keys element-wise before the
	// products: K is replaced by K ⊙ KeyScale, with KeyScale of shape
	// 1×rC×M or N×rC×M (M = ⌈H/s⌉·⌈W/s⌉ key positions in row-major
	// order). Gradients flow to it. A scale of 0 on some channels or
	// positions removes their terms from the affinity KᵀQ exactly: this is
	// how a search relaxes the channel ratio and the key stride.
	KeyScale *autograd.Var
}

// Attention returns LightNL's attention y = (1/(H·W)) · V·(K̃ᵀ·Q) for x of
// shape N×C×H×W, as an N×C×H×W Var, where (with rC = opts.Reduced and
// s = opts.Stride)
//
//	xs = x[:, :, ::s, ::s]           M = ⌈H/s⌉·⌈W/s⌉ positions
//	Q  = x[:, :rC]  as N×rC×HW
//	K  = xs[:, :rC] as N×rC×M,  K̃ = K ⊙ KeyScale (K without a scale)
//	V  = xs         as N×C×M
//
// in the association order opts.Order (see [Block]): A computes F = K̃ᵀQ
// (N×M×HW) and then V·F, B computes G = V·K̃ᵀ (N×C×rC) and then G·Q. The
// scale 1/(H·W) is applied to G in order B and to V·F in order A.
// [Block.Attention] is Attention without a key scale. It panics if x is
// not 4-D, if rC is not in 1..C or s is negative, or if KeyScale has the
// wrong shape.
func Attention(x *autograd.Var, opts AttentionConfig) *autograd.Var {
	s := x.Shape()
	if len(s) != 4 {
		panic(fmt.Sprintf("lightnl: Attention: input %v is not 4-D N×C×H×W", s))
	}
	n, c, h, w := s[0], s[1], s[2], s[3]
	rc := opts.Reduced
	if rc < 1 || rc > c {
		panic(fmt.Sprintf("lightnl: Attention: %d query channels for an input %v of %d channels; want 1..%d", rc, s, c, c))
	}
	if opts.Stride < 0 {
		panic(fmt.Sprintf("lightnl: Attention: negative key stride %d", opts.Stride))
	}
	checkOrder("Attention", opts.Order)
	stride := max(opts.Stride, 1)
	// The intermediate results, discarded (under NoGrad, back to the
	// buffer pool) once the output is computed; views made by Reshape are
	// not listed, their sources are.
	var tmp []*autograd.Var
	keep := func(v *autograd.Var) *autograd.Var {
		tmp = append(tmp, v)
		return v
	}
	xs := x
	if stride > 1 {
		xs = keep(autograd.Slice(keep(autograd.Slice(x, 2, 0, h, stride)), 3, 0, w, stride))
	}
	hs, ws := xs.Shape()[2], xs.Shape()[3]
	hw, m := h*w, hs*ws
	q := autograd.Reshape(keep(autograd.Slice(x, 1, 0, rc, 1)), n, rc, hw)
	k := q
	if stride > 1 {
		k = autograd.Reshape(keep(autograd.Slice(xs, 1, 0, rc, 1)), n, rc, m)
	}
	if ks := opts.KeyScale; ks != nil {
		kss := ks.Shape()
		if len(kss) != 3 || (kss[0] != 1 && kss[0] != n) || kss[1] != rc || kss[2] != m {
			panic(fmt.Sprintf("lightnl: Attention: key scale of shape %v for keys %d×%d×%d; want 1×%d×%d or %d×%d×%d",
				kss, n, rc, m, rc, m, n, rc, m))
		}
		k = keep(autograd.Mul(k, ks))
	}
	v := autograd.Reshape(xs, n, c, m)
	order := opts.Order
	if order == OrderAuto {
		order = CheaperOrder(c, h, w, float64(rc)/float64(c), stride)
	}
	scale := float32(1 / float64(hw))
	var y *autograd.Var
	switch order {
	case OrderA:
		f := keep(autograd.MatMul(k, q, true, false)) // K̃ᵀQ: N×M×HW
		y = autograd.MulScalar(keep(autograd.MatMul(v, f, false, false)), scale)
	default:
		g := keep(autograd.MulScalar(keep(autograd.MatMul(v, k, false, true)), scale)) // V·K̃ᵀ/HW: N×C×rC
		y = autograd.MatMul(g, q, false, false)
	}
	y = autograd.Reshape(y, n, c, h, w)
	for _, t := range tmp {
		autograd.Discard(t, x, y, opts.KeyScale)
	}
	return y
}

// MACs returns the multiply-adds of the block for one h×w image,
// [BlockMACs](C, h, w, r, s): the cheaper association order plus the
// 9·C·H·W of the depthwise conv. A forced Order is ignored: the count is
// that of the block as it runs by default.
func (b *Block) MACs(h, w int) int64 {
	return BlockMACs(b.Channels, h, w, b.Ratio, b.Stride)
}

// ParamCount returns the number of parameters, [LightNLParams](C) =
// 9·C + 2·C; it equals nn.NumParams(b). (It is not called Params, which
// is the method of the embedded nn.Base that lists the module's own
// parameters.)
func (b *Block) ParamCount() int { return LightNLParams(b.Channels) }

// Describe returns "LightNL" and "C, ratio=r, stride=s", as the PyTorch
// reference module of testdata/gen/gen_lightnl.py prints itself.
func (b *Block) Describe() (name, extra string) {
	return "LightNL", fmt.Sprintf("%d, ratio=%s, stride=%d", b.Channels, pyFloat(b.Ratio), b.Stride)
}

// String returns nn.Format(b): the block as PyTorch would print it, with
// parameter counts.
func (b *Block) String() string { return nn.Format(b) }

// pyFloat formats v as Python's repr does for the short decimals used as
// ratios: 0.25, 0.125, 1.0.
func pyFloat(v float64) string {
	s := strconv.FormatFloat(v, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eEn") {
		s += ".0"
	}
	return s
}
