package models

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/lightnl"
	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/tensor"
)

// Defaults of [Build] for zero fields of [Config].
const (
	DefaultInputChannels = 3
	DefaultStemStride    = 2
	DefaultHeadWidth     = 1280
	DefaultClasses       = 1000
	DefaultDropout       = 0.2
	DefaultRoundNearest  = 8
)

// NoDropout, as Config.Dropout, builds the classifier's dropout layer with
// probability 0 (a zero Dropout means DefaultDropout). Any negative value
// has the same effect.
const NoDropout = -1.0

// InitScheme selects how [Build] initializes the weights of the network.
type InitScheme int

const (
	// DefaultInit leaves the choice to the builder: TorchvisionInit for
	// Build, the model's own scheme for the zoo.
	DefaultInit InitScheme = iota
	// TorchvisionInit is torchvision's MobileNetV2 initialization: every
	// conv weight from kaiming_normal_(mode="fan_out"), that is
	// N(0, 2/(Out·k·k)) also for depthwise convs, conv biases 0, BN γ = 1
	// and β = 0, Linear weights from N(0, 0.01²) and biases 0.
	TorchvisionInit
	// MnasNetInit is the initialization of the MnasNet and AutoNL
	// TensorFlow code: conv weights from N(0, 2/fanOut) with TensorFlow's
	// fan out (k·k·Out/groups; see nn.MnasNetConvInit), Linear weights from
	// U(±1/√Out) (nn.MnasNetDenseInit), biases 0, BN γ = 1 and β = 0.
	MnasNetInit
	// PyTorchInit keeps the layers' own PyTorch defaults (weights and
	// biases from U(±1/√fanIn), BN γ = 1 and β = 0).
	PyTorchInit
)

// String returns the scheme's name.
func (s InitScheme) String() string {
	switch s {
	case DefaultInit:
		return "default"
	case TorchvisionInit:
		return "torchvision"
	case MnasNetInit:
		return "mnasnet"
	case PyTorchInit:
		return "pytorch"
	}
	return fmt.Sprintf("InitScheme(%d)", int(s))
}

// Config configures [Build]: everything about a network that its block
// list does not say. Zero fields take the defaults given with each field;
// [New] fills them from the zoo model's [Defaults] instead.
type Config struct {
	// Name is the network's printed name, such as "MobileNetV2"; "" means
	// "Net".
	Name string
	// InputChannels is the number of channels of the input images; 0 means
	// 3.
	InputChannels int
	// StemWidth is the output width of the stem conv before the width
	// multiplier; it must equal the first block's input width, and 0
	// means that width.
	StemWidth int
	// StemStride is the stride of the 3×3 stem conv; 0 means 2.
	StemStride int
	// HeadWidth is the output width of the head's 1×1 conv; 0 means 1280.
	// As in torchvision, the width multiplier scales it only when greater
	// than 1.
	HeadWidth int
	// Classes is the number of classifier outputs; 0 means 1000.
	Classes int
	// Dropout is the dropout probability before the classifier, in [0, 1);
	// 0 means DefaultDropout (0.2), a negative value (NoDropout) means
	// none. The dropout layer exists in every case, so that the
	// classifier's parameters are "classifier.1.weight" and
	// "classifier.1.bias" as in torchvision.
	Dropout float64
	// Activation follows every convolution but the projections, and the
	// reducing convolution of squeeze-excite units; DefaultActivation means
	// ReLU.
	Activation Activation
	// SEGate is the gate of squeeze-excite units; DefaultActivation means
	// Sigmoid.
	SEGate Activation
	// BN configures every batch normalization; zero fields mean PyTorch's
	// defaults (momentum 0.1, eps 1e-5).
	BN nn.BatchNormConfig
	// WidthMultiplier scales every width: the stem's and each block's
	// input and output widths w become torchvision's _make_divisible(w·m,
	// RoundNearest), the head's width is scaled by max(1, m). 0 means 1,
	// which leaves every width, rounded or not, as it is.
	WidthMultiplier float64
	// RoundNearest is the divisor of the width rounding; 0 means 8.
	RoundNearest int
	// SmallInput adapts the network to small images such as CIFAR's
	// 32×32: the stem and the first layer with a stride greater than 1
	// get stride 1, so the network downsamples 8 times less. (If that
	// layer's widths are equal, it is given no skip, so that the network
	// keeps the structure of the full-size one.)
	SmallInput bool
	// LightNL builds the LightNL blocks of layers that have one; nil means
	// DefaultLightNL(rng, BN).
	LightNL LightNLFactory
	// Init selects the weight initialization; DefaultInit means
	// TorchvisionInit. The weights of LightNL blocks are left as their
	// factory initialized them.
	Init InitScheme
}

// Net is a mobile network built from MBConv layers, with torchvision
// MobileNetV2's layout and names. Its children are
//
//	features    Sequential: "0" the stem (ConvBNAct 3×3, stride StemStride),
//	            "1" … "L" the MBConv layers, "L+1" the head (ConvBNAct 1×1)
//	classifier  Sequential: "0" Dropout, "1" Linear with bias
//
// and Forward computes classifier(flatten(global average pool(features(x))))
// for x of shape N×InputChannels×H×W, giving N×Classes logits.
type Net struct {
	nn.Base
	// Features and Classifier are the two children.
	Features   *nn.Sequential
	Classifier *nn.Sequential
	// Layers holds the arguments of the MBConv layers as built: one per
	// layer (Repeats 1), with the width multiplier and SmallInput applied.
	Layers []BlockSpec
	// Config is the configuration the network was built with, defaults
	// filled in.
	Config Config
}

// Build builds the network made of cfg's stem, the MBConv layers of blocks
// (unrolled with [Unroll]) and cfg's head and classifier, drawing its
// initial weights from rng. The blocks must pass [CheckArch], and every
// LightNL block must keep at least one query channel after the width
// multiplier. Errors in the blocks are *[ArchError] values naming the
// block.
//
// Build refuses, with an error saying what it needs and the limit, a
// network whose weights do not fit in the memory this process may use
// (see [Footprint]); [Estimate] counts a network's needs for a given input
// size without building it.
func Build(blocks []BlockSpec, cfg Config, rng *rand.Rand) (*Net, error) {
	cfg, layers, f, err := estimate(blocks, cfg, 1)
	if err != nil {
		return nil, err
	}
	if err := f.Check(0, false); err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}

	act := cfg.Activation
	opt := MBConvConfig{Activation: act, SEGate: cfg.SEGate, BN: cfg.BN, LightNL: cfg.LightNL}
	if opt.LightNL == nil {
		opt.LightNL = DefaultLightNL(rng, cfg.BN)
	}

	n := &Net{Features: nn.NewSequential(), Classifier: nn.NewSequential(), Layers: layers, Config: cfg}
	stride := cfg.StemStride
	if cfg.SmallInput {
		stride = 1
	}
	n.Features.Append(NewConvBNAct(rng, cfg.InputChannels, layers[0].In, 3, [2]int{stride, stride}, 1, cfg.BN, act.Module()))
	for i, l := range layers {
		m, err := NewMBConv(rng, l, opt)
		if err != nil {
			return nil, layerError(err, blocks, i)
		}
		n.Features.Append(m)
	}
	last := layers[len(layers)-1].Out
	head := cfg.headWidth()
	n.Features.Append(NewConvBNAct(rng, last, head, 1, [2]int{1, 1}, 1, cfg.BN, act.Module()))
	n.Classifier.Append(nn.NewDropout(max(cfg.Dropout, 0), rng))
	n.Classifier.Append(nn.NewLinear(rng, head, cfg.Classes, true))
	n.AddChild("features", n.Features)
	n.AddChild("classifier", n.Classifier)
	n.initWeights(rng)
	return n, nil
}

// Estimate returns the footprint of the network that Build(blocks, cfg, ·)
// would build, on input images of side inputSize, without building it. It
// checks what Build checks and gives the same errors.
func Estimate(blocks []BlockSpec, cfg Config, inputSize int) (Footprint, error) {
	if inputSize < 1 || inputSize > MaxInputSize {
		return Footprint{}, fmt.Errorf("models: input size %d, want 1 to %d", inputSize, MaxInputSize)
	}
	_, _, f, err := estimate(blocks, cfg, inputSize)
	return f, err
}

// estimate checks blocks and cfg, resolves cfg, unrolls and scales the
// layers, checks them against the limits and counts the network on
// inputSize×inputSize images.
func estimate(blocks []BlockSpec, cfg Config, inputSize int) (Config, []BlockSpec, Footprint, error) {
	if err := CheckArch(blocks); err != nil {
		return cfg, nil, Footprint{}, err
	}
	cfg, err := cfg.resolve(blocks)
	if err != nil {
		return cfg, nil, Footprint{}, err
	}
	layers := scaleLayers(Unroll(blocks), cfg)
	for i, l := range layers {
		if err := l.Validate(); err != nil {
			ae := err.(*ArchError)
			ae.Msg += fmt.Sprintf(" after the width multiplier %g", cfg.WidthMultiplier)
			return cfg, nil, Footprint{}, layerError(ae, blocks, i)
		}
	}
	if h := cfg.headWidth(); h > MaxWidth {
		return cfg, nil, Footprint{}, fmt.Errorf("models: head width %d after the width multiplier %g, want at most %d", h, cfg.WidthMultiplier, MaxWidth)
	}
	stride := cfg.StemStride
	if cfg.SmallInput {
		stride = 1
	}
	n, err := CountArch(layers, NetConfig{
		InputSize: inputSize, InputChannels: cfg.InputChannels, StemWidth: layers[0].In, StemStride: stride,
		HeadWidth: cfg.headWidth(), Classes: cfg.Classes,
	})
	if err != nil {
		return cfg, nil, Footprint{}, layerError(err, blocks, blockLayer(err))
	}
	return cfg, layers, FootprintOf(n), nil
}

// blockLayer returns the 0-based layer an *ArchError of CountArch on
// unrolled layers names, or -1.
func blockLayer(err error) int {
	if ae, ok := err.(*ArchError); ok && ae.Block > 0 {
		return ae.Block - 1
	}
	return -1
}

// headWidth returns the head's width after the width multiplier, which
// scales it only when above 1, as torchvision does.
func (cfg Config) headWidth() int {
	if cfg.WidthMultiplier > 1 {
		return makeDivisible(float64(cfg.HeadWidth)*cfg.WidthMultiplier, cfg.RoundNearest)
	}
	return cfg.HeadWidth
}

// resolve fills in the defaults of zero fields and checks the ranges.
func (cfg Config) resolve(blocks []BlockSpec) (Config, error) {
	if cfg.Name == "" {
		cfg.Name = "Net"
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&cfg.InputChannels, DefaultInputChannels)
	def(&cfg.StemWidth, blocks[0].In)
	def(&cfg.StemStride, DefaultStemStride)
	def(&cfg.HeadWidth, DefaultHeadWidth)
	def(&cfg.Classes, DefaultClasses)
	def(&cfg.RoundNearest, DefaultRoundNearest)
	switch {
	case cfg.Dropout == 0:
		cfg.Dropout = DefaultDropout
	case cfg.Dropout < 0:
		cfg.Dropout = NoDropout
	}
	if cfg.WidthMultiplier == 0 {
		cfg.WidthMultiplier = 1
	}
	cfg.Activation = cfg.Activation.or(ReLU)
	cfg.SEGate = cfg.SEGate.or(Sigmoid)
	if cfg.Init == DefaultInit {
		cfg.Init = TorchvisionInit
	}

	for _, f := range []struct {
		name string
		v    int
	}{
		{"InputChannels", cfg.InputChannels}, {"StemStride", cfg.StemStride}, {"HeadWidth", cfg.HeadWidth},
		{"Classes", cfg.Classes}, {"RoundNearest", cfg.RoundNearest},
	} {
		if f.v < 1 {
			return cfg, fmt.Errorf("models: Config.%s is %d, want at least 1 (or 0 for the default)", f.name, f.v)
		}
	}
	for _, f := range []struct {
		name     string
		v, limit int
	}{
		{"InputChannels", cfg.InputChannels, MaxWidth}, {"StemStride", cfg.StemStride, MaxStride}, {"HeadWidth", cfg.HeadWidth, MaxWidth},
		{"Classes", cfg.Classes, MaxClasses}, {"RoundNearest", cfg.RoundNearest, MaxWidth},
	} {
		if f.v > f.limit {
			return cfg, fmt.Errorf("models: Config.%s is %d, want at most %d", f.name, f.v, f.limit)
		}
	}
	if cfg.StemWidth != blocks[0].In {
		return cfg, &ArchError{
			Block: 1, Text: blocks[0].String(), Token: fmt.Sprintf("i%d", blocks[0].In), Kind: ErrWidthMismatch,
			Msg: fmt.Sprintf("input width %d does not match the stem width %d", blocks[0].In, cfg.StemWidth),
		}
	}
	if !(cfg.Dropout < 1) {
		return cfg, fmt.Errorf("models: Config.Dropout is %v, want less than 1", cfg.Dropout)
	}
	if !(cfg.WidthMultiplier > 0 && cfg.WidthMultiplier <= MaxWidthMultiplier) {
		return cfg, fmt.Errorf("models: Config.WidthMultiplier is %v, want a positive number of at most %d", cfg.WidthMultiplier, MaxWidthMultiplier)
	}
	if !cfg.Activation.valid() {
		return cfg, fmt.Errorf("models: Config.Activation %v is not an activation", cfg.Activation)
	}
	if !cfg.SEGate.valid() {
		return cfg, fmt.Errorf("models: Config.SEGate %v is not an activation", cfg.SEGate)
	}
	if cfg.Init < TorchvisionInit || cfg.Init > PyTorchInit {
		return cfg, fmt.Errorf("models: Config.Init %v is not an initialization scheme", cfg.Init)
	}
	if err := checkBN(cfg.BN); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// ScaleWidth returns the width w scaled by the width multiplier m as Build
// scales block widths: torchvision's _make_divisible(w·m, divisor), w·m
// rounded to the nearest multiple of divisor, at least divisor, and not
// more than 10% below w·m. It panics if divisor is not positive.
func ScaleWidth(w int, m float64, divisor int) int {
	if divisor < 1 {
		panic(fmt.Sprintf("models: ScaleWidth: divisor %d, want at least 1", divisor))
	}
	return makeDivisible(float64(w)*m, divisor)
}

// makeDivisible is torchvision's _make_divisible(v, divisor): v rounded to
// the nearest multiple of divisor, at least divisor, and not more than 10%
// below v.
func makeDivisible(v float64, divisor int) int {
	d := float64(divisor)
	n := max(divisor, int(math.Floor(v+d/2))/divisor*divisor)
	if float64(n) < 0.9*v {
		n += divisor
	}
	return n
}

// scaleLayers applies cfg's width multiplier and small-input strides to
// the unrolled layers.
func scaleLayers(layers []BlockSpec, cfg Config) []BlockSpec {
	out := make([]BlockSpec, len(layers))
	smallDone := !cfg.SmallInput
	for i, l := range layers {
		if cfg.WidthMultiplier != 1 {
			l.In = makeDivisible(float64(l.In)*cfg.WidthMultiplier, cfg.RoundNearest)
			l.Out = makeDivisible(float64(l.Out)*cfg.WidthMultiplier, cfg.RoundNearest)
		}
		if !smallDone && l.Strides != [2]int{1, 1} {
			if !l.HasSkip() && l.In == l.Out {
				l.NoSkip = true
			}
			l.Strides = [2]int{1, 1}
			smallDone = true
		}
		out[i] = l
	}
	return out
}

// layerError names the block of blocks that unrolled layer i came from.
func layerError(err error, blocks []BlockSpec, layer int) error {
	ae, ok := err.(*ArchError)
	if !ok {
		return err
	}
	for b, n := 0, 0; b < len(blocks); b++ {
		n += blocks[b].Repeats
		if layer < n {
			ae.Block = b + 1
			ae.Msg += fmt.Sprintf(" (layer %d, as built)", layer)
			break
		}
	}
	return ae
}

// initWeights applies n.Config.Init to every layer but LightNL blocks.
func (n *Net) initWeights(rng *rand.Rand) {
	skip := map[nn.Module]bool{}
	for _, b := range n.Blocks() {
		if b.NonLocal != nil {
			skip[b.NonLocal] = true
		}
	}
	InitWeights(rng, n, n.Config.Init, func(m nn.Module) bool { return skip[m] })
}

// InitWeights initializes the convolutions, linear layers and batch norms
// of the module tree m by scheme (TorchvisionInit, MnasNetInit or
// PyTorchInit; see [InitScheme]), in the order nn.Walk visits them, drawing
// from rng: BN γ = 1 and β = 0 in every scheme, conv and linear weights
// and biases as the scheme says (PyTorchInit leaves them as they are). A
// subtree for which skip returns true is left alone; skip may be nil. It
// panics if scheme is DefaultInit or not a scheme.
func InitWeights(rng *rand.Rand, m nn.Module, scheme InitScheme, skip func(nn.Module) bool) {
	if scheme < TorchvisionInit || scheme > PyTorchInit {
		panic(fmt.Sprintf("models: InitWeights: %v is not an initialization scheme", scheme))
	}
	var visit func(m nn.Module)
	visit = func(m nn.Module) {
		if skip != nil && skip(m) {
			return
		}
		switch l := m.(type) {
		case *nn.Conv2d:
			switch scheme {
			case TorchvisionInit:
				nn.FillKaimingNormal(rng, l.Weight.Value, nn.FanOut, nn.Gain("relu", 0))
				if l.Bias != nil {
					nn.FillZeros(l.Bias.Value)
				}
			case MnasNetInit:
				nn.MnasNetConvInit(rng, l)
			}
		case *nn.Linear:
			switch scheme {
			case TorchvisionInit:
				nn.FillNormal(rng, l.Weight.Value, 0, 0.01)
				if l.Bias != nil {
					nn.FillZeros(l.Bias.Value)
				}
			case MnasNetInit:
				nn.MnasNetDenseInit(rng, l)
			}
		case *nn.BatchNorm2d:
			nn.FillOnes(l.Weight.Value)
			nn.FillZeros(l.Bias.Value)
		}
		for _, c := range m.Registry().Children() {
			visit(c.Module)
		}
	}
	visit(m)
}

// Forward returns the logits, N×Classes, for the images x,
// N×InputChannels×H×W.
//
// The pooling between features and classifier is a function, as in
// torchvision, not a child module. So that profilers (see [Profile]) count
// it, the network reports itself to nn's tracer with the features' output
// as its input: its own work is that pooling (see [Net.ForwardMACs]).
//
// Under NoGrad (inference) intermediate results go back to the tensor
// buffer pool as soon as they have been used (see forwardReleasing).
func (n *Net) Forward(x *autograd.Var) *autograd.Var {
	f := n.forwardFeatures(x)
	y := autograd.GlobalAvgPool2D(f)
	s := y.Shape()
	out := nn.Traced(n, f, n.Classifier.Forward(autograd.Reshape(y, s[0], s[1])))
	if f != x {
		autograd.Discard(f, x, out)
	}
	autograd.Discard(y, x, out)
	return out
}

// ForwardMACs returns the multiply-adds of the network's own work, the
// global average pooling of the features' output in, N·C·H·W (the children
// count themselves); it implements nn.MACCounter.
func (n *Net) ForwardMACs(in, out []int) int64 { return int64(tensor.NumElements(in)) }

// Stem returns the stem, features.0.
func (n *Net) Stem() *ConvBNAct { return n.Features.At(0).(*ConvBNAct) }

// Blocks returns the MBConv layers, features.1 to features.L.
func (n *Net) Blocks() []*MBConv {
	bs := make([]*MBConv, len(n.Layers))
	for i := range bs {
		bs[i] = n.Features.At(i + 1).(*MBConv)
	}
	return bs
}

// Head returns the head, the last module of features.
func (n *Net) Head() *ConvBNAct { return n.Features.At(n.Features.Len() - 1).(*ConvBNAct) }

// Dropout returns the classifier's dropout layer, classifier.0. Set its P
// to change the probability.
func (n *Net) Dropout() *nn.Dropout { return n.Classifier.At(0).(*nn.Dropout) }

// Linear returns the classifier's fully connected layer, classifier.1.
func (n *Net) Linear() *nn.Linear { return n.Classifier.At(1).(*nn.Linear) }

// Cost counts the network's multiply-adds and parameters for one
// inputSize×inputSize image with [CountArch], from its layers as built
// (width multiplier and SmallInput applied). Its parameter count equals
// nn.NumParams(n) whenever the LightNL blocks have the parameters of
// lightnl.LightNLParams.
func (n *Net) Cost(inputSize int) (NetCost, error) {
	return CountArch(n.Layers, NetConfig{
		InputSize:     inputSize,
		InputChannels: n.Config.InputChannels,
		StemWidth:     n.Stem().Conv.Out,
		StemStride:    n.Stem().Conv.Params.Stride[0],
		HeadWidth:     n.Head().Conv.Out,
		Classes:       n.Config.Classes,
	})
}

// Describe returns the network's name (Config.Name) and "".
func (n *Net) Describe() (name, extra string) { return n.Config.Name, "" }

// String returns nn.Format(n): the module tree as PyTorch prints it, with
// parameter counts.
func (n *Net) String() string { return nn.Format(n) }

// Inference of a batch in micro-batches (see forwardFeatures).
var (
	// microBatch is the number of images per micro-batch, at least 2:
	// some layers compute a batch of one image otherwise than a larger one
	// (the squeeze-excite units' 1×1 convolutions on 1×1 maps, as
	// matrix-vector products), with other roundings. The last micro-batch
	// takes the rest of the batch when fewer than two images would remain.
	microBatch = 2
	// microMinPixels is the smallest input map (H·W) of a feature layer
	// that runs in micro-batches: the layers on maps of 56×56 and more
	// (the stem and the layers up to the first on 28×28 maps, at 224×224).
	microMinPixels = 56 * 56
	// microHook, if not nil, is called with the number of leading layers
	// forwardFeatures ran in micro-batches (tests).
	microHook func(lead int)
)

// forwardFeatures returns n.Features' output for x, as
// forwardReleasing(n.Features, x, nil) does. Under NoGrad, with every
// feature layer in evaluation mode and no tracer active, a batch of more
// than microBatch images runs its leading layers, those whose input maps
// have at least microMinPixels positions, microBatch images at a time
// (autograd.Slice of x), and the rest on the micro-batches' outputs
// concatenated (autograd.Concat): on 112×112 and 56×56 maps, the
// activations of a batch of 8 (tens of MB per layer) no longer fit in
// the caches and those layers wait on memory, while a micro-batch's stay
// in them from one layer to the next. Every layer of evaluation mode
// computes each image of a batch independently of the others (modules of
// other kinds than the zoo's turn micro-batches off, see perImage), so the
// outputs are those of the whole batch (TestMicroBatchLogits).
func (n *Net) forwardFeatures(x *autograd.Var) *autograd.Var {
	children := n.Features.Children()
	s := x.Shape()
	if autograd.GradEnabled() || nn.Tracing() || len(s) != 4 || s[0] < 2*microBatch || s[2]*s[3] < microMinPixels || !allEval(n.Features) {
		return forwardReleasing(n.Features, x, nil)
	}
	nb := s[0]
	outs := make([]*autograd.Var, 0, (nb+microBatch-1)/microBatch)
	lead := -1 // the number of leading layers run in micro-batches
	for i := 0; i < nb; {
		m := microBatch
		if nb-i-m < 2 {
			m = nb - i // no micro-batch of one image (see microBatch)
		}
		y := autograd.Slice(x, 0, i, i+m, 1)
		i += m
		for j := 0; j < len(children) && (j < lead || lead < 0); j++ {
			if ys := y.Shape(); lead < 0 && ys[2]*ys[3] < microMinPixels {
				lead = j
				break
			}
			next := children[j].Module.Forward(y)
			autograd.Discard(y, x, next)
			y = next
		}
		if lead < 0 {
			lead = len(children)
		}
		outs = append(outs, y)
	}
	if microHook != nil {
		microHook(lead)
	}
	f := autograd.Concat(0, outs...)
	for _, y := range outs {
		autograd.Discard(y, x, f)
	}
	if lead == len(children) {
		return f
	}
	g := releasingChildren(children[lead:], f, nil)
	autograd.Discard(f, x, g)
	return g
}

// allEval reports whether m and every module below it are in evaluation
// mode and of the kinds that compute each image of a batch apart from the
// others there (visited as nn.Walk would, without forming their paths): a
// module of another kind (a custom LightNL factory's, say) might mix the
// images of a batch, and turns micro-batches off.
func allEval(m nn.Module) bool {
	if m.Registry().Training() || !perImage(m) {
		return false
	}
	for _, c := range m.Registry().Children() {
		if !allEval(c.Module) {
			return false
		}
	}
	return true
}

// perImage reports whether m is of a kind that, in evaluation mode,
// computes each image of a batch from that image alone, as the zoo's
// networks are built.
func perImage(m nn.Module) bool {
	switch m.(type) {
	case *nn.Sequential, *ConvBNAct, *MBConv, *nn.Conv2d, *nn.BatchNorm2d, *nn.SqueezeExcite, *nn.GlobalAvgPool2d,
		*nn.ReLU, *nn.ReLU6, *nn.Swish, *nn.HardSwish, *nn.Sigmoid, *nn.HardSigmoid, *nn.Identity, *lightnl.Block:
		return true
	}
	return false
}
