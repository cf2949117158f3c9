package lightnl

import (
	"fmt"
	"math/rand/v2"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/tensor"
)

// NonLocalConfig configures [NewNonLocal].
type NonLocalConfig struct {
	// Stride is the key stride s ≥ 1: φ and g run on the input max-pooled
	// with an s×s window and stride s. Zero means 1 (no pooling).
	Stride int
	// BN configures the batch norm after W_z.
	BN nn.BatchNormConfig
}

// NonLocal is the conventional non-local block of Wang et al. ("Non-local
// Neural Networks", CVPR 2018) in its dot-product form, the block LightNL
// is measured against; an nn.Module. For x of shape N×C×H×W, inner width
// C' = ⌊C/2⌋ and key stride s it computes
//
//	xp = MaxPool_{s×s, stride s}(x)          N×C×⌊H/s⌋×⌊W/s⌋ (xp = x if s = 1), M = ⌊H/s⌋·⌊W/s⌋
//	θ  = W_θ·x  + b_θ  reshaped to N×C'×HW    1×1 convs C → C' with bias
//	φ  = W_φ·xp + b_φ  reshaped to N×C'×M
//	g  = W_g·xp + b_g  reshaped to N×C'×M
//	f  = θᵀ·φ / M                            N×HW×M, the affinity, no softmax
//	y  = g·fᵀ                                 N×C'×HW, reshaped to N×C'×H×W
//	z  = x + BN(W_z·y + b_z)                 1×1 conv C' → C with bias, BN with γ = 0
//
// as in Wang et al.'s released code (video-nonlocal-net, the dot-product
// variant with max-pooling before φ and g, normalized by the number of
// keys, convs initialised from N(0, 0.01²) with zero bias, BN γ = 0), so
// that a fresh block is exactly the identity. The scale 1/M is applied to
// g (C'×M), not to the larger affinity. Its MACs per image are
// [NonLocalMACs](C, H, W, s) exactly: θ and W_z on the HW positions, φ and
// g on the M pooled ones, and the two N×M products.
//
// Its submodules are "theta", "phi", "g" and "w_z" (nn.Conv2d 1×1 with
// bias) and "bn" (nn.BatchNorm2d(C)), so its parameters are
// "theta.weight", "theta.bias", ..., "w_z.weight", "w_z.bias", "bn.weight"
// and "bn.bias", [NonLocalParams](C) in all.
type NonLocal struct {
	nn.Base
	// Theta, Phi and G are the query, key and value embeddings C → C'.
	Theta, Phi, G *nn.Conv2d
	// WZ maps the aggregated values back to C channels.
	WZ *nn.Conv2d
	// BN normalizes the output of WZ; its γ starts at zero.
	BN *nn.BatchNorm2d
	// Channels is C, Inner is C' = ⌊C/2⌋ and Stride the key stride s.
	Channels, Inner, Stride int
}

// NewNonLocal returns a non-local block for inputs with the given number
// of channels. It panics if channels is less than 2 (C' would be 0) or the
// stride is negative.
func NewNonLocal(rng *rand.Rand, channels int, opts NonLocalConfig) *NonLocal {
	if channels < 2 {
		panic(fmt.Sprintf("lightnl: NewNonLocal: %d channels leave ⌊C/2⌋ = 0 inner channels; want at least 2", channels))
	}
	if opts.Stride < 0 {
		panic(fmt.Sprintf("lightnl: NewNonLocal: negative key stride %d", opts.Stride))
	}
	ci := channels / 2
	conv := func(in, out int) *nn.Conv2d {
		c := nn.NewConv2d(rng, in, out, 1, nn.ConvConfig{Bias: true})
		nn.FillNormal(rng, c.Weight.Value, 0, 0.01)
		nn.FillZeros(c.Bias.Value)
		return c
	}
	b := &NonLocal{
		Theta:    conv(channels, ci),
		Phi:      conv(channels, ci),
		G:        conv(channels, ci),
		WZ:       conv(ci, channels),
		BN:       nn.NewBatchNorm2d(channels, opts.BN),
		Channels: channels,
		Inner:    ci,
		Stride:   max(opts.Stride, 1),
	}
	b.BN.Weight.Value.Fill(0)
	b.AddChild("theta", b.Theta)
	b.AddChild("phi", b.Phi)
	b.AddChild("g", b.G)
	b.AddChild("w_z", b.WZ)
	b.AddChild("bn", b.BN)
	return b
}

// Forward returns z = x + BN(W_z·(g·fᵀ)) for x of shape N×C×H×W (see
// [NonLocal]). It panics if x is not 4-D with the block's C channels or is
// smaller than the stride in H or W.
func (b *NonLocal) Forward(x *autograd.Var) *autograd.Var {
	s := x.Shape()
	if len(s) != 4 {
		panic(fmt.Sprintf("lightnl: NonLocal: input %v is not 4-D N×C×H×W", s))
	}
	n, c, h, w := s[0], s[1], s[2], s[3]
	if c != b.Channels {
		panic(fmt.Sprintf("lightnl: NonLocal: input %v has %d channels, want %d", s, c, b.Channels))
	}
	if h < b.Stride || w < b.Stride {
		panic(fmt.Sprintf("lightnl: NonLocal: input %v is smaller than the key stride %d: no keys", s, b.Stride))
	}
	xp := x
	if b.Stride > 1 {
		k := [2]int{b.Stride, b.Stride}
		xp = autograd.MaxPool2D(x, tensor.Pool2DConfig{Kernel: k, Stride: k})
	}
	m := xp.Shape()[2] * xp.Shape()[3]
	ci := b.Inner
	theta := autograd.Reshape(b.Theta.Forward(x), n, ci, h*w)
	phi := autograd.Reshape(b.Phi.Forward(xp), n, ci, m)
	g := autograd.MulScalar(autograd.Reshape(b.G.Forward(xp), n, ci, m), float32(1/float64(m)))
	f := autograd.MatMul(theta, phi, true, false)                          // θᵀφ: N×HW×M
	y := autograd.Reshape(autograd.MatMul(g, f, false, true), n, ci, h, w) // (g/M)·fᵀ: N×C'×HW
	return nn.Traced(b, x, autograd.Add(x, b.BN.Forward(b.WZ.Forward(y))))
}

// ForwardMACs returns the multiply-adds of the affinity and the aggregation
// for input shape in (N×C×H×W), 2·HW·M·C′ per image, for profilers (see
// [nn.MACCounter]); the four 1×1 convs, child modules, count their own.
func (b *NonLocal) ForwardMACs(in, out []int) int64 {
	h, w := in[2], in[3]
	return int64(in[0]) * 2 * int64(h*w) * int64(Keys(h, w, b.Stride)) * int64(b.Inner)
}

// MACs returns the multiply-adds of the block for one h×w image,
// [NonLocalMACs](C, h, w, s).
func (b *NonLocal) MACs(h, w int) int64 { return NonLocalMACs(b.Channels, h, w, b.Stride) }

// ParamCount returns the number of parameters, [NonLocalParams](C); it
// equals nn.NumParams(b).
func (b *NonLocal) ParamCount() int { return NonLocalParams(b.Channels) }

// Describe returns "NonLocal" and "C, inter_channels=C', stride=s", as the
// PyTorch reference module of testdata/gen/gen_lightnl.py prints itself.
func (b *NonLocal) Describe() (name, extra string) {
	return "NonLocal", fmt.Sprintf("%d, inter_channels=%d, stride=%d", b.Channels, b.Inner, b.Stride)
}

// String returns nn.Format(b).
func (b *NonLocal) String() string { return nn.Format(b) }
