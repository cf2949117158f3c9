package nas

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/autonl-go/autonl/internal/sysmem"
	"github.com/autonl-go/autonl/lightnl"
	"github.com/autonl-go/autonl/models"
	"github.com/autonl-go/autonl/nn"
)

// Space is a search space: a MnasNet-style macro-skeleton of stages of
// MBConv layers, and the choices the search makes in each layer. It is a
// plain struct that reads from and writes to JSON (see [LoadSpace] and
// [Space.JSON]); [Presets] holds ready-made ones.
//
// Each stage has up to Repeats layers: the first maps the previous width to
// the stage's width with the stage's stride, the others keep width and
// resolution and have an identity skip. A searchable layer chooses
//
//   - its depthwise kernel size among Kernels,
//   - its expansion ratio among Expansions,
//   - whether it exists at all (layers after the first of a stage, with
//     LayerSkip),
//   - whether a LightNL block follows its projection, and if so the
//     block's channel ratio among NonLocalRatios and its key stride among
//     NonLocalStrides.
//
// A stage may narrow the choices of its layers (a single kernel and
// expansion fix them: the first stage of MnasNet is always k3, e1).
type Space struct {
	// InputSize is the height and width of the input images.
	InputSize int `json:"input_size"`
	// InputChannels is the number of channels of the input images.
	InputChannels int `json:"input_channels"`
	// Classes is the number of classifier outputs.
	Classes int `json:"classes"`
	// StemWidth is the output width of the stem's 3×3 conv and StemStride
	// its stride.
	StemWidth  int `json:"stem_width"`
	StemStride int `json:"stem_stride"`
	// HeadWidth is the width of the head's 1×1 conv before the
	// classifier; the width multiplier scales it only when above 1, as in
	// models.Build.
	HeadWidth int `json:"head_width"`
	// WidthMultiplier scales the stem and stage widths with
	// models.ScaleWidth (divisor 8).
	WidthMultiplier float64 `json:"width_multiplier"`
	// SmallInput gives the stem and the first stage with a stride above 1
	// stride 1, as models.Config.SmallInput does, for CIFAR-sized images.
	SmallInput bool `json:"small_input,omitempty"`
	// Activation follows every convolution but the projections.
	Activation models.Activation `json:"activation"`
	// Dropout is the dropout probability before the classifier, in
	// [0, 1).
	Dropout float64 `json:"dropout"`
	// BNMomentum and BNEps configure every batch norm (PyTorch's terms;
	// 0 means PyTorch's defaults, 0.1 and 1e-5).
	BNMomentum float64 `json:"bn_momentum,omitempty"`
	BNEps      float64 `json:"bn_eps,omitempty"`
	// Kernels are the candidate depthwise kernel sizes, odd and
	// increasing, such as [3, 5].
	Kernels []int `json:"kernels"`
	// Expansions are the candidate expansion ratios, increasing, such as
	// [3, 6].
	Expansions []float64 `json:"expansions"`
	// NonLocalRatios are the candidate LightNL channel ratios, increasing
	// in (0, 1], such as [0.125, 0.25]; "no LightNL block" is always a
	// candidate too. Empty: no LightNL search.
	NonLocalRatios []float64 `json:"nonlocal_ratios"`
	// NonLocalStrides are the candidate key strides, increasing, each
	// dividing the next, such as [1, 2].
	NonLocalStrides []int `json:"nonlocal_strides"`
	// LayerSkip lets the search drop layers after the first of a stage.
	LayerSkip bool `json:"layer_skip"`
	// Stages are the stages in order.
	Stages []Stage `json:"stages"`
}

// Stage is one stage of a [Space].
type Stage struct {
	// Width is the output width of the stage's layers before the width
	// multiplier.
	Width int `json:"width"`
	// Repeats is the number of layers of the stage (at most: with
	// Space.LayerSkip the search may drop all but the first).
	Repeats int `json:"repeats"`
	// Stride is the depthwise stride of the stage's first layer.
	Stride int `json:"stride"`
	// SE is the squeeze-excite ratio of the stage's layers (0: none); the
	// reduced width is round(In·SE) as in models.
	SE float64 `json:"se,omitempty"`
	// Kernels and Expansions, if not empty, replace the space's
	// candidates for this stage.
	Kernels    []int     `json:"kernels,omitempty"`
	Expansions []float64 `json:"expansions,omitempty"`
	// NoNonLocal excludes LightNL blocks from this stage.
	NoNonLocal bool `json:"no_nonlocal,omitempty"`
}

// LayerSpec is one searchable layer of a Space, resolved: widths scaled,
// strides and candidates settled. See [Space.Layers].
type LayerSpec struct {
	// Index is the layer's position among all layers, Stage its stage and
	// InStage its position in the stage, all from 0.
	Index, Stage, InStage int
	// In and Out are the input and output widths, Stride the depthwise
	// stride.
	In, Out, Stride int
	// SE is the squeeze-excite ratio (0: none).
	SE float64
	// Input is the shape of one image's input to the layer.
	Input models.Shape
	// Kernels and Expansions are the candidates, increasing.
	Kernels    []int
	Expansions []float64
	// Droppable reports whether the search may drop the layer.
	Droppable bool
	// NonLocalRatios and NonLocalStrides are the LightNL candidates;
	// NonLocalRatios is empty if the layer cannot have a LightNL block.
	NonLocalRatios  []float64
	NonLocalStrides []int
}

// HasNonLocal reports whether the layer can have a LightNL block.
func (l LayerSpec) HasNonLocal() bool { return len(l.NonLocalRatios) > 0 }

// Output returns the shape of one image's output of the layer.
func (l LayerSpec) Output() models.Shape {
	return models.Shape{C: l.Out, H: (l.Input.H + l.Stride - 1) / l.Stride, W: (l.Input.W + l.Stride - 1) / l.Stride}
}

// roundNearest is the divisor of the width rounding.
const roundNearest = 8

// Validate reports the first field of s that is out of range, naming it.
func (s Space) Validate() error {
	bad := func(field string, format string, args ...any) error {
		return fmt.Errorf("nas: search space: %s: %s", field, fmt.Sprintf(format, args...))
	}
	if err := s.checkLimits(); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		v    int
	}{
		{"input_size", s.InputSize}, {"input_channels", s.InputChannels}, {"classes", s.Classes},
		{"stem_width", s.StemWidth}, {"stem_stride", s.StemStride}, {"head_width", s.HeadWidth},
	} {
		if f.v < 1 {
			return bad(f.name, "%d, want at least 1", f.v)
		}
	}
	if !(s.WidthMultiplier > 0) || math.IsInf(s.WidthMultiplier, 0) {
		return bad("width_multiplier", "%v, want a positive number", s.WidthMultiplier)
	}
	switch s.Activation {
	case models.ReLU, models.ReLU6, models.Swish, models.HardSwish:
	default:
		return bad("activation", "%v, want relu, relu6, swish or hardswish", s.Activation)
	}
	if !(s.Dropout >= 0 && s.Dropout < 1) {
		return bad("dropout", "%v, want a probability in [0, 1)", s.Dropout)
	}
	if !(s.BNMomentum >= 0 && s.BNMomentum <= 1) {
		return bad("bn_momentum", "%v, want a value in (0, 1] (0: PyTorch's 0.1)", s.BNMomentum)
	}
	if !(s.BNEps >= 0) || math.IsInf(s.BNEps, 0) {
		return bad("bn_eps", "%v, want a positive value (0: PyTorch's 1e-5)", s.BNEps)
	}
	if err := checkKernels("kernels", s.Kernels); err != nil {
		return err
	}
	if err := checkExpansions("expansions", s.Expansions); err != nil {
		return err
	}
	for i, r := range s.NonLocalRatios {
		if !(r > 0 && r <= 1) || (i > 0 && !(r > s.NonLocalRatios[i-1])) {
			return bad("nonlocal_ratios", "%v, want increasing ratios in (0, 1]", s.NonLocalRatios)
		}
	}
	if len(s.NonLocalRatios) > 0 {
		if len(s.NonLocalStrides) == 0 {
			return bad("nonlocal_strides", "empty, want at least one key stride such as [1]")
		}
		for i, st := range s.NonLocalStrides {
			if st < 1 || (i > 0 && (st <= s.NonLocalStrides[i-1] || st%s.NonLocalStrides[i-1] != 0)) {
				return bad("nonlocal_strides", "%v, want increasing strides ≥ 1, each dividing the next", s.NonLocalStrides)
			}
		}
	}
	if len(s.Stages) == 0 {
		return bad("stages", "none, want at least one")
	}
	for i, st := range s.Stages {
		field := func(name string) string { return fmt.Sprintf("stages[%d].%s", i, name) }
		switch {
		case st.Width < 1:
			return bad(field("width"), "%d, want at least 1", st.Width)
		case st.Repeats < 1:
			return bad(field("repeats"), "%d, want at least 1", st.Repeats)
		case st.Stride < 1 || st.Stride > 9:
			return bad(field("stride"), "%d, want 1 to 9", st.Stride)
		case !(st.SE >= 0 && st.SE <= 1):
			return bad(field("se"), "%v, want 0 (none) or a ratio in (0, 1]", st.SE)
		}
		if len(st.Kernels) > 0 {
			if err := checkKernels(field("kernels"), st.Kernels); err != nil {
				return err
			}
		}
		if len(st.Expansions) > 0 {
			if err := checkExpansions(field("expansions"), st.Expansions); err != nil {
				return err
			}
		}
	}
	layers, err := s.layers()
	if err != nil {
		return err
	}
	for _, l := range layers {
		for _, r := range l.NonLocalRatios {
			if lightnl.ReducedChannels(l.Out, r) < 1 {
				return bad(fmt.Sprintf("stages[%d]", l.Stage), "LightNL ratio %v leaves no query channel at width %d; "+
					"raise the ratio or the width, or set no_nonlocal", r, l.Out)
			}
		}
	}
	return nil
}

func checkKernels(field string, ks []int) error {
	if len(ks) == 0 {
		return fmt.Errorf("nas: search space: %s: empty, want at least one kernel size", field)
	}
	for i, k := range ks {
		if k < 1 || k%2 == 0 || (i > 0 && k <= ks[i-1]) {
			return fmt.Errorf("nas: search space: %s: %v, want increasing odd kernel sizes", field, ks)
		}
	}
	return nil
}

func checkExpansions(field string, es []float64) error {
	if len(es) == 0 {
		return fmt.Errorf("nas: search space: %s: empty, want at least one expansion ratio", field)
	}
	for i, e := range es {
		if !(e > 0) || math.IsInf(e, 0) || (i > 0 && !(e > es[i-1])) {
			return fmt.Errorf("nas: search space: %s: %v, want increasing positive expansion ratios", field, es)
		}
	}
	if len(es) > 1 && es[0] == 1 {
		return fmt.Errorf("nas: search space: %s: %v: expansion 1 (no expansion conv) cannot be searched "+
			"against others; give it alone to fix it", field, es)
	}
	return nil
}

// stemStride returns the stem's stride after SmallInput.
func (s Space) stemStride() int {
	if s.SmallInput {
		return 1
	}
	return s.StemStride
}

// stemWidth returns the stem's width after the width multiplier.
func (s Space) stemWidth() int {
	return models.ScaleWidth(s.StemWidth, s.WidthMultiplier, roundNearest)
}

// headWidth returns the head's width after the width multiplier.
func (s Space) headWidth() int {
	if s.WidthMultiplier > 1 {
		return models.ScaleWidth(s.HeadWidth, s.WidthMultiplier, roundNearest)
	}
	return s.HeadWidth
}

// Layers validates s and returns its layers, resolved.
func (s Space) Layers() ([]LayerSpec, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s.layers()
}

func (s Space) layers() ([]LayerSpec, error) {
	stem := (s.InputSize + s.stemStride() - 1) / s.stemStride()
	x := models.Shape{C: s.stemWidth(), H: stem, W: stem}
	var out []LayerSpec
	smallDone := !s.SmallInput
	for si, st := range s.Stages {
		stride := st.Stride
		if !smallDone && stride > 1 {
			stride, smallDone = 1, true
		}
		width := models.ScaleWidth(st.Width, s.WidthMultiplier, roundNearest)
		kernels, expansions := s.Kernels, s.Expansions
		if len(st.Kernels) > 0 {
			kernels = st.Kernels
		}
		if len(st.Expansions) > 0 {
			expansions = st.Expansions
		}
		for j := range st.Repeats {
			l := LayerSpec{
				Index: len(out), Stage: si, InStage: j,
				In: x.C, Out: width, Stride: 1, SE: st.SE, Input: x,
				Kernels: kernels, Expansions: expansions,
				Droppable: j > 0 && s.LayerSkip,
			}
			if j == 0 {
				l.Stride = stride
			}
			if !st.NoNonLocal && len(s.NonLocalRatios) > 0 {
				l.NonLocalRatios, l.NonLocalStrides = s.NonLocalRatios, s.NonLocalStrides
			}
			out = append(out, l)
			x = l.Output()
			if x.H < 1 || x.W < 1 {
				return nil, fmt.Errorf("nas: search space: stages[%d]: the feature map vanishes", si)
			}
		}
	}
	return out, nil
}

// LoadSpace reads a Space from a JSON file. Unknown fields are errors, so
// that a misspelt field does not pass unnoticed; errors name the file and
// what is wrong.
func LoadSpace(path string) (Space, error) {
	return readJSONFile(path, "nas: search space", ParseSpace)
}

// readJSONFile reads the file at path, of at most MaxSpaceBytes, and
// parses it with parse. Errors of the parse name the file; errors of the
// read, which name it already, get the prefix.
func readJSONFile[T any](path, prefix string, parse func([]byte) (T, error)) (T, error) {
	b, err := sysmem.ReadFile(path, MaxSpaceBytes)
	if err != nil {
		var zero T
		return zero, fmt.Errorf("%s: %w", prefix, err)
	}
	v, err := parse(b)
	if err != nil {
		var zero T
		return zero, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}

// ParseSpace parses and validates a Space written as JSON.
func ParseSpace(b []byte) (Space, error) {
	var s Space
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return Space{}, fmt.Errorf("nas: search space: %w", err)
	}
	if dec.More() {
		return Space{}, fmt.Errorf("nas: search space: data after the JSON object")
	}
	if err := s.Validate(); err != nil {
		return Space{}, err
	}
	return s, nil
}

// JSON returns s as indented JSON, as ParseSpace reads it.
func (s Space) JSON() []byte {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		panic(fmt.Sprintf("nas: Space.JSON: %v", err)) // only an invalid Activation can fail
	}
	return append(b, '\n')
}

// bnOptions returns the batch norm options of the space.
func (s Space) bnOptions() nn.BatchNormConfig {
	return nn.BatchNormConfig{Momentum: s.BNMomentum, Eps: s.BNEps}
}

// Preset is a named search space with a default MACs target.
type Preset struct {
	// Name is what -preset takes.
	Name string
	// About says what the preset is for.
	About string
	// Space is the search space.
	Space Space
	// Target is the default MACs target of a search in the space.
	Target int64
}

// Presets returns the ready-made search spaces:
//
//   - "imagenet", the paper's setting: 224×224 RGB, 1000 classes, the
//     MnasNet skeleton (stem 32 stride 2; stages of widths 16, 24, 40, 80,
//     96, 192, 320 with strides 1, 2, 2, 2, 1, 2, 1 and up to 1, 4, 4, 4,
//     4, 4, 1 layers, as Single-Path NAS's supernet; squeeze-excite 0.25
//     from the 80-wide stage on, as AutoNL; the first stage fixed to k3,
//     e1 without LightNL), swish, kernels {3, 5}, expansions {3, 6}, LightNL
//     ratios {0.125, 0.25} and key strides {1, 2}, BN momentum 0.01 and
//     eps 1e-3; target 350M MACs (AutoNL-L's 353M).
//   - "small", for 28 to 64 pixel images on two cores: stem 16 stride 1;
//     stages of widths 16, 24, 40, 64 with strides 2, 2, 2, 1 and up to 1,
//     3, 3, 2 layers (the first fixed to k3, e1 without LightNL), head 128,
//     ReLU6, the same kernels, expansions and LightNL choices; 64×64 RGB
//     images in 2 classes (the embedded data) and a target of 7.6M MACs,
//     what autonl train's default network costs there.
func Presets() []Preset {
	fixed := func(w, r, s int) Stage {
		return Stage{Width: w, Repeats: r, Stride: s, Kernels: []int{3}, Expansions: []float64{1}, NoNonLocal: true}
	}
	search := Space{
		Kernels: []int{3, 5}, Expansions: []float64{3, 6},
		NonLocalRatios: []float64{0.125, 0.25}, NonLocalStrides: []int{1, 2},
		LayerSkip: true, WidthMultiplier: 1, InputChannels: 3,
	}
	imagenet := search
	imagenet.InputSize, imagenet.Classes = 224, 1000
	imagenet.StemWidth, imagenet.StemStride, imagenet.HeadWidth = 32, 2, 1280
	imagenet.Activation, imagenet.Dropout = models.Swish, 0.2
	imagenet.BNMomentum, imagenet.BNEps = 0.01, 1e-3
	imagenet.Stages = []Stage{
		fixed(16, 1, 1),
		{Width: 24, Repeats: 4, Stride: 2},
		{Width: 40, Repeats: 4, Stride: 2},
		{Width: 80, Repeats: 4, Stride: 2, SE: 0.25},
		{Width: 96, Repeats: 4, Stride: 1, SE: 0.25},
		{Width: 192, Repeats: 4, Stride: 2, SE: 0.25},
		{Width: 320, Repeats: 1, Stride: 1, SE: 0.25},
	}
	small := search
	small.InputSize, small.Classes = 64, 2
	small.StemWidth, small.StemStride, small.HeadWidth = 16, 1, 128
	small.Activation = models.ReLU6
	small.Stages = []Stage{
		fixed(16, 1, 2),
		{Width: 24, Repeats: 3, Stride: 2},
		{Width: 40, Repeats: 3, Stride: 2},
		{Width: 64, Repeats: 2, Stride: 1},
	}
	return []Preset{
		{Name: "imagenet", About: "the paper's setting: MnasNet skeleton at 224×224, 1000 classes", Space: imagenet, Target: 350_000_000},
		{Name: "small", About: "28–64 px images on two cores: four stages, head 128", Space: small, Target: 7_600_000},
	}
}

// PresetNames returns the names of the presets, sorted.
func PresetNames() []string {
	var names []string
	for _, p := range Presets() {
		names = append(names, p.Name)
	}
	sort.Strings(names)
	return names
}

// LookupPreset returns the preset of the given name.
func LookupPreset(name string) (Preset, error) {
	for _, p := range Presets() {
		if p.Name == name {
			return p, nil
		}
	}
	return Preset{}, fmt.Errorf("nas: unknown preset %q; want %s", name, strings.Join(PresetNames(), " or "))
}

// Clone returns a deep copy of s, whose slices can be changed without
// changing s.
func (s Space) Clone() Space {
	s.Kernels = slices.Clone(s.Kernels)
	s.Expansions = slices.Clone(s.Expansions)
	s.NonLocalRatios = slices.Clone(s.NonLocalRatios)
	s.NonLocalStrides = slices.Clone(s.NonLocalStrides)
	s.Stages = slices.Clone(s.Stages)
	for i := range s.Stages {
		s.Stages[i].Kernels = slices.Clone(s.Stages[i].Kernels)
		s.Stages[i].Expansions = slices.Clone(s.Stages[i].Expansions)
	}
	return s
}
