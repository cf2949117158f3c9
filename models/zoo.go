package models

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/autonl-go/autonl/nn"
)

// tfBN is the batch normalization of the MnasNet and AutoNL TensorFlow code
// (decay 0.99, epsilon 1e-3) in PyTorch's terms.
var tfBN = nn.BatchNormConfig{Momentum: 0.01, Eps: 1e-3}

// zooModel is one network of the zoo.
type zooModel struct {
	name string
	arch string
	cfg  Config
}

// zoo lists the models in the order Names returns them.
var zoo = []zooModel{
	{"mobilenetv2", MobileNetV2Arch, Config{Name: "MobileNetV2", Activation: ReLU6, Init: TorchvisionInit}},
	{"mnasnet-a1", MnasNetA1Arch, Config{Name: "MnasNet-A1", Activation: ReLU, BN: tfBN, Init: MnasNetInit}},
	{"single-path-nas", SinglePathNASArch, Config{Name: "SinglePathNAS", Activation: ReLU, BN: tfBN, Init: MnasNetInit}},
	{"autonl-s", AutoNLSArch, Config{Name: "AutoNL-S", Activation: Swish, BN: tfBN, Init: MnasNetInit}},
	{"autonl-l", AutoNLLArch, Config{Name: "AutoNL-L", Activation: Swish, BN: tfBN, Init: MnasNetInit}},
}

func init() {
	for i := range zoo {
		c := &zoo[i].cfg
		c.InputChannels, c.StemWidth, c.StemStride = 3, 32, 2
		c.HeadWidth, c.Classes, c.Dropout = 1280, 1000, DefaultDropout
		c.SEGate, c.WidthMultiplier, c.RoundNearest = Sigmoid, 1, DefaultRoundNearest
	}
}

// Names returns the names of the zoo's models, as [New] accepts them:
// "mobilenetv2", "mnasnet-a1", "single-path-nas", "autonl-s", "autonl-l".
func Names() []string {
	names := make([]string, len(zoo))
	for i, m := range zoo {
		names[i] = m.name
	}
	return names
}

// lookup finds a model by name, ignoring case and surrounding spaces.
func lookup(name string) (zooModel, error) {
	key := strings.ToLower(strings.TrimSpace(name))
	for _, m := range zoo {
		if m.name == key {
			return m, nil
		}
	}
	return zooModel{}, fmt.Errorf("models: unknown model %q (valid models: %s)", name, strings.Join(Names(), ", "))
}

// Arch returns the block list of the named zoo model (see [Names]), parsed
// from its arch constant ([MobileNetV2Arch], [MnasNetA1Arch],
// [SinglePathNASArch], [AutoNLSArch], [AutoNLLArch]).
func Arch(name string) ([]BlockSpec, error) {
	m, err := lookup(name)
	if err != nil {
		return nil, err
	}
	return MustParseArch(m.arch), nil
}

// Defaults returns the configuration of the named zoo model at ImageNet
// scale: 3 input channels, stem 3×3 stride 2 to 32 channels, head 1×1 to
// 1280, 1000 classes, dropout 0.2, width 1, sigmoid squeeze-excite gates,
// and
//
//	mobilenetv2      ReLU6, PyTorch's BN (momentum 0.1, eps 1e-5), TorchvisionInit
//	mnasnet-a1       ReLU,  BN momentum 0.01, eps 1e-3, MnasNetInit
//	single-path-nas  ReLU,  BN momentum 0.01, eps 1e-3, MnasNetInit
//	autonl-s         swish, BN momentum 0.01, eps 1e-3, MnasNetInit
//	autonl-l         swish, BN momentum 0.01, eps 1e-3, MnasNetInit
//
// (the BN settings of the models' TensorFlow code, decay 0.99 and epsilon
// 1e-3, and torchvision's for MobileNetV2). Every squeeze-excite unit uses
// the model's activation after its reducing convolution, swish for AutoNL.
func Defaults(name string) (Config, error) {
	m, err := lookup(name)
	if err != nil {
		return Config{}, err
	}
	return m.cfg, nil
}

// New builds the named zoo model (see [Names]; case is ignored), drawing
// its weights from rng. Zero fields of cfg take the model's values from
// [Defaults]; set fields override them, so that
//
//	models.New("autonl-s", rng, models.Config{Classes: 10, SmallInput: true})
//
// is AutoNL-S with a 10-class classifier for 32×32 images. An unknown name
// is an error that lists the valid ones.
func New(name string, rng *rand.Rand, cfg Config) (*Net, error) {
	m, err := lookup(name)
	if err != nil {
		return nil, err
	}
	return Build(MustParseArch(m.arch), cfg.over(m.cfg), rng)
}

// over returns c with its zero fields taken from d.
func (c Config) over(d Config) Config {
	str := func(v *string, dv string) {
		if *v == "" {
			*v = dv
		}
	}
	num := func(v *int, dv int) {
		if *v == 0 {
			*v = dv
		}
	}
	flt := func(v *float64, dv float64) {
		if *v == 0 {
			*v = dv
		}
	}
	str(&c.Name, d.Name)
	num(&c.InputChannels, d.InputChannels)
	num(&c.StemWidth, d.StemWidth)
	num(&c.StemStride, d.StemStride)
	num(&c.HeadWidth, d.HeadWidth)
	num(&c.Classes, d.Classes)
	num(&c.RoundNearest, d.RoundNearest)
	flt(&c.Dropout, d.Dropout)
	flt(&c.WidthMultiplier, d.WidthMultiplier)
	flt(&c.BN.Momentum, d.BN.Momentum)
	flt(&c.BN.Eps, d.BN.Eps)
	c.Activation = c.Activation.or(d.Activation)
	c.SEGate = c.SEGate.or(d.SEGate)
	if c.Init == DefaultInit {
		c.Init = d.Init
	}
	c.SmallInput = c.SmallInput || d.SmallInput
	if c.LightNL == nil {
		c.LightNL = d.LightNL
	}
	return c
}

// MobileNetV2Config configures [MobileNetV2]. Zero fields mean
// torchvision's defaults.
type MobileNetV2Config struct {
	// WidthMult is torchvision's width_mult; 0 means 1.
	WidthMult float64
	// Classes is num_classes; 0 means 1000.
	Classes int
	// Dropout is the dropout probability before the classifier; 0 means
	// 0.2, a negative value (NoDropout) none.
	Dropout float64
	// SmallInput gives the stem and the first strided stage stride 1, for
	// 32×32 images (see Config.SmallInput).
	SmallInput bool
}

// MobileNetV2 returns torchvision's mobilenet_v2(width_mult=WidthMult,
// num_classes=Classes, dropout=Dropout): the same modules, the same
// state-dict names in the same order, and torchvision's initialization
// (TorchvisionInit), so that a torchvision state dict loads into it
// strictly and computes the same function. It is New("mobilenetv2", …).
func MobileNetV2(rng *rand.Rand, cfg MobileNetV2Config) (*Net, error) {
	return New("mobilenetv2", rng, Config{
		WidthMultiplier: cfg.WidthMult,
		Classes:         cfg.Classes,
		Dropout:         cfg.Dropout,
		SmallInput:      cfg.SmallInput,
	})
}

// EstimateNew is [Estimate] for the zoo network that New(name, ·, cfg)
// builds.
func EstimateNew(name string, cfg Config, inputSize int) (Footprint, error) {
	m, err := lookup(name)
	if err != nil {
		return Footprint{}, err
	}
	return Estimate(MustParseArch(m.arch), cfg.over(m.cfg), inputSize)
}
