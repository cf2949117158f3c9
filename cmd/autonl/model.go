package main

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/autonl-go/autonl/lightnl"
	"github.com/autonl-go/autonl/models"
	"github.com/autonl-go/autonl/nas"
	"github.com/autonl-go/autonl/nn"
)

// defaultArch is the network autonl train builds without -model and -arch:
// a small MBConv network for small inputs (the 64×64 embedded images, 28×28
// and 32×32 ones) with LightNL blocks in its last stages, where attention
// across the whole map is cheap. (The stem is a 3×3 conv, stride 1, to the
// first block's input width.)
const defaultArch = `# autonl train's default network for small images
r1_k3_s22_e1_i16_o16
r1_k3_s22_e4_i16_o24
r1_k3_s11_e4_i24_o24_nonlocal0.25
r1_k3_s22_e4_i24_o40_nonlocal0.25
r1_k3_s11_e4_i40_o40_nonlocal0.25
`

// defaultHead is the head width of the default network.
const defaultHead = 128

func zooNames() []string { return models.Names() }

func isZooName(name string) bool {
	return slices.Contains(models.Names(), strings.ToLower(name))
}

// builtModel is a network built for a run.
type builtModel struct {
	model nn.Module
	name  string // what to call it in messages
	arch  string // its layers as built, as arch strings with a comment
	macs  int64  // multiply-adds per image
}

// smallInput reports whether images of side h get CIFAR-style strides.
func smallInput(h int) bool { return h <= 64 }

// memUse says how a network will be used, for the memory estimate made
// before building it: batches of batch images, for training or for
// evaluation, with workers goroutines preparing batches.
type memUse struct {
	batch    int
	training bool
	workers  int
}

// buildModel builds the network that o describes for o.Input images and
// len(o.Classes) classes: the zoo network o.Model, or the network of the
// arch strings arch (from -arch, or the default network when arch is "").
// It records the arch strings in o.Arch and the head width in o.Head, so
// that the same network can be rebuilt from o.
//
// Zoo networks on inputs of at most 64 pixels get CIFAR-style strides
// (models.Config.SmallInput: stride 1 in the stem and in the first strided
// layer). Networks from arch strings keep their strides, with a stride-1
// stem on such inputs and a stride-2 stem on larger ones.
//
// Before building, it refuses a network that would not fit in memory when
// used as use says.
func buildModel(rng *rand.Rand, o *trainOptions, arch string, use memUse) (builtModel, error) {
	c, h := o.Input[0], o.Input[1]
	cfg := models.Config{
		InputChannels:   c,
		Classes:         len(o.Classes),
		WidthMultiplier: o.Width,
	}
	var (
		net  *models.Net
		name string
		err  error
	)
	fits := func(f models.Footprint, err error) error {
		if err != nil {
			return err
		}
		return checkMemory(name, f, use.batch, use.training, o.Input, use.workers)
	}
	if o.SearchedArch != nil {
		return buildSearched(rng, o, use)
	}
	if o.Model != "" {
		name = strings.ToLower(o.Model)
		cfg.SmallInput = smallInput(h)
		if err := fits(models.EstimateNew(name, cfg, h)); err != nil {
			return builtModel{}, err
		}
		net, err = models.New(name, rng, cfg)
	} else {
		name = "default LightNL network"
		if o.ArchFile != "" {
			name = "arch " + o.ArchFile
		}
		if arch == "" {
			arch = defaultArch
		}
		var blocks []models.BlockSpec
		if blocks, err = models.ParseArch(arch); err != nil {
			return builtModel{}, err
		}
		cfg.Name = "Net"
		cfg.StemStride = 2
		if smallInput(h) {
			cfg.StemStride = 1
		}
		if o.Head == 0 { // resolved once, and stored with the options
			o.Head = 4 * blocks[len(blocks)-1].Out
			if arch == defaultArch {
				o.Head = defaultHead
			}
		}
		cfg.HeadWidth = o.Head
		cfg.Activation = models.ReLU6
		cfg.Dropout = models.NoDropout
		if err := fits(models.Estimate(blocks, cfg, h)); err != nil {
			return builtModel{}, err
		}
		net, err = models.Build(blocks, cfg, rng)
	}
	if err != nil {
		return builtModel{}, err
	}
	cost, err := net.Cost(h)
	if err != nil {
		return builtModel{}, err
	}
	o.Arch = arch
	// arch.txt: the layers as built, width multiplier and strides applied.
	stem := net.Config.StemStride
	if net.Config.SmallInput {
		stem = 1
	}
	text := fmt.Sprintf("# %s: %d×%d×%d input, stem stride %d, head %d, width %g\n%s",
		name, c, h, o.Input[2], stem, net.Config.HeadWidth, o.Width, models.FormatArch(net.Layers))
	return builtModel{model: net, name: name, arch: text, macs: cost.Total.MACs}, nil
}

// buildSearched builds the network of o.SearchedArch, an arch.json of
// autonl search, which must fit the data: the space's input size,
// channels and classes.
func buildSearched(rng *rand.Rand, o *trainOptions, use memUse) (builtModel, error) {
	a, err := nas.ParseArchitecture(o.SearchedArch)
	if err != nil {
		return builtModel{}, fmt.Errorf("-searched %s: %v", o.Searched, err)
	}
	s := a.Space
	if s.InputChannels != o.Input[0] || s.InputSize != o.Input[1] || s.InputSize != o.Input[2] || s.Classes != len(o.Classes) {
		return builtModel{}, usagef("-searched %s: the network was searched for %d×%d×%d images in %d classes; the data has %d×%d×%d in %d",
			o.Searched, s.InputChannels, s.InputSize, s.InputSize, s.Classes, o.Input[0], o.Input[1], o.Input[2], len(o.Classes))
	}
	if o.Width != 1 {
		return builtModel{}, usagef("-width %v: a searched network has the widths of its search; leave -width at 1", o.Width)
	}
	d, err := a.Derive()
	if err != nil {
		return builtModel{}, err
	}
	f, err := models.Estimate(d.Blocks, d.Build, o.Input[1])
	if err != nil {
		return builtModel{}, err
	}
	if err := checkMemory("-searched "+o.Searched, f, use.batch, use.training, o.Input, use.workers); err != nil {
		return builtModel{}, err
	}
	net, err := d.NewModel(rng)
	if err != nil {
		return builtModel{}, err
	}
	o.Head = d.Build.HeadWidth
	return builtModel{model: net, name: "searched network", arch: d.Arch(), macs: d.Cost.Total.MACs}, nil
}

// initLightNLGamma sets the γ of the batch norm that ends every LightNL
// block of m to gamma and returns the number of blocks.
func initLightNLGamma(m nn.Module, gamma float32) int {
	n := 0
	nn.Walk(m, func(_ string, m nn.Module) {
		if b, ok := m.(*lightnl.Block); ok {
			b.BN.Weight.Value.Fill(gamma)
			n++
		}
	})
	return n
}
