package nas

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/lightnl"
	"github.com/autonl-go/autonl/models"
	"github.com/autonl-go/autonl/tensor"
)

// GateKind says what a gate decides.
type GateKind int

const (
	// KernelGate j adds the ring of the depthwise superkernel between
	// kernel sizes Kernels[j] and Kernels[j+1].
	KernelGate GateKind = iota
	// ExpandGate j adds the hidden channels between expansions
	// Expansions[j] and Expansions[j+1].
	ExpandGate
	// KeepGate keeps the layer; closed, the layer is dropped (its
	// identity skip remains).
	KeepGate
	// NonLocalGate inserts the LightNL block after the projection.
	NonLocalGate
	// RatioGate j adds the query and key channels between ratios
	// NonLocalRatios[j] and NonLocalRatios[j+1].
	RatioGate
	// StrideGate j adds the keys of stride NonLocalStrides[n−2−j] that
	// stride NonLocalStrides[n−1−j] leaves out (n strides): open gates
	// refine the key grid from the coarsest stride down.
	StrideGate
)

// String returns the kind's name as gate names use it.
func (k GateKind) String() string {
	switch k {
	case KernelGate:
		return "kernel"
	case ExpandGate:
		return "expand"
	case KeepGate:
		return "keep"
	case NonLocalGate:
		return "nonlocal"
	case RatioGate:
		return "ratio"
	case StrideGate:
		return "stride"
	}
	return fmt.Sprintf("GateKind(%d)", int(k))
}

// Gate is one binary decision of a searchable layer:
//
//	d = 1[s − t > 0]
//
// with s a statistic of the layer's weights (see [Layer]) and t a
// trainable threshold, starting at 0. The forward pass uses d; the backward
// pass the derivative of σ(s − t) (autograd.Indicator), so the gradient of
// the loss reaches both t and the weights behind s. Gates of one kind are
// nested: gate j of a kind matters only while gates 0..j−1 of that kind
// are open, and the LightNL ratio and stride gates only while the
// NonLocalGate is open.
type Gate struct {
	// Kind is what the gate decides and Index which of the kind's nested
	// gates it is.
	Kind  GateKind
	Index int
	// Name is the threshold's parameter name, such as "t_kernel5",
	// "t_expand6", "t_keep", "t_nonlocal", "t_ratio0p25" or "t_stride1":
	// the kind and the candidate that the open gate selects.
	Name string
}

// gateLayout returns the gates of a layer, in the order of their bits in
// a layer's configuration: kernel gates, expansion gates, keep gate,
// LightNL gate, ratio gates, stride gates.
func gateLayout(l LayerSpec) []Gate {
	var gs []Gate
	add := func(k GateKind, j int, cand string) {
		gs = append(gs, Gate{Kind: k, Index: j, Name: "t_" + k.String() + cand})
	}
	for j := 1; j < len(l.Kernels); j++ {
		add(KernelGate, j-1, strconv.Itoa(l.Kernels[j]))
	}
	for j := 1; j < len(l.Expansions); j++ {
		add(ExpandGate, j-1, numName(l.Expansions[j]))
	}
	if l.Droppable {
		add(KeepGate, 0, "")
	}
	if l.HasNonLocal() {
		add(NonLocalGate, 0, "")
		for j := 1; j < len(l.NonLocalRatios); j++ {
			add(RatioGate, j-1, numName(l.NonLocalRatios[j]))
		}
		n := len(l.NonLocalStrides)
		for j := 0; j < n-1; j++ {
			add(StrideGate, j, strconv.Itoa(l.NonLocalStrides[n-2-j]))
		}
	}
	return gs
}

// numName writes v for a parameter name, whose dots are not allowed: 6 as
// "6", 0.25 as "0p25".
func numName(v float64) string {
	return strings.ReplaceAll(strconv.FormatFloat(v, 'g', -1, 64), ".", "p")
}

// Choice is the derived architecture of one layer: what its gates select.
type Choice struct {
	// Kernel and Expansion are the depthwise kernel size and expansion
	// ratio.
	Kernel    int
	Expansion float64
	// Keep is false if the layer is dropped.
	Keep bool
	// NonLocal is the LightNL block; the zero value means none.
	NonLocal models.LightNLSpec
}

// String describes c in the style of arch strings: "k5_e6",
// "k3_e3_nonlocal0.25-2", or "dropped".
func (c Choice) String() string {
	if !c.Keep {
		return "dropped"
	}
	s := fmt.Sprintf("k%d_e%s", c.Kernel, strconv.FormatFloat(c.Expansion, 'g', -1, 64))
	if c.NonLocal.Ratio != 0 {
		s += fmt.Sprintf("_nonlocal%s-%d", strconv.FormatFloat(c.NonLocal.Ratio, 'g', -1, 64), c.NonLocal.Stride)
	}
	return s
}

// choiceJSON is the JSON form of a Choice.
type choiceJSON struct {
	Kernel         int     `json:"kernel"`
	Expansion      float64 `json:"expansion"`
	Keep           bool    `json:"keep"`
	NonLocalRatio  float64 `json:"nonlocal_ratio,omitempty"`
	NonLocalStride int     `json:"nonlocal_stride,omitempty"`
}

// MarshalJSON writes c as {"kernel": 5, "expansion": 6, "keep": true,
// "nonlocal_ratio": 0.25, "nonlocal_stride": 1} (the LightNL fields only
// with a block).
func (c Choice) MarshalJSON() ([]byte, error) {
	return json.Marshal(choiceJSON{c.Kernel, c.Expansion, c.Keep, c.NonLocal.Ratio, c.NonLocal.Stride})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (c *Choice) UnmarshalJSON(b []byte) error {
	var j choiceJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*c = Choice{Kernel: j.Kernel, Expansion: j.Expansion, Keep: j.Keep,
		NonLocal: models.LightNLSpec{Ratio: j.NonLocalRatio, Stride: j.NonLocalStride}}
	return nil
}

// configOf returns the configuration that the gate bits select (bit i is
// gate i of gateLayout(l)).
func configOf(l LayerSpec, bits uint) Choice {
	gs := gateLayout(l)
	open := func(k GateKind) int { // leading open gates of kind k
		n := 0
		for i, g := range gs {
			if g.Kind == k && g.Index == n && bits&(1<<i) != 0 {
				n++
			}
		}
		return n
	}
	c := Choice{
		Kernel:    l.Kernels[open(KernelGate)],
		Expansion: l.Expansions[open(ExpandGate)],
		Keep:      !l.Droppable || open(KeepGate) == 1,
	}
	if l.HasNonLocal() && open(NonLocalGate) == 1 {
		c.NonLocal = models.LightNLSpec{
			Ratio:  l.NonLocalRatios[open(RatioGate)],
			Stride: l.NonLocalStrides[len(l.NonLocalStrides)-1-open(StrideGate)],
		}
	}
	return c
}

// bitsOf returns the gate bits that select c, the inverse of configOf: the
// fewest open gates (a gate nested under a closed one is closed). It
// reports false if c is not a configuration of l.
func bitsOf(l LayerSpec, c Choice) (uint, bool) {
	gs := gateLayout(l)
	want := map[GateKind]int{}
	idx := func(n int, ok bool) int {
		if !ok {
			return -1
		}
		return n
	}
	want[KernelGate] = idx(indexOf(l.Kernels, c.Kernel))
	want[ExpandGate] = idx(indexOf(l.Expansions, c.Expansion))
	if !c.Keep && !l.Droppable {
		return 0, false
	}
	if c.Keep {
		want[KeepGate] = 1
	}
	if c.NonLocal.Ratio != 0 {
		if !l.HasNonLocal() {
			return 0, false
		}
		want[NonLocalGate] = 1
		want[RatioGate] = idx(indexOf(l.NonLocalRatios, c.NonLocal.Ratio))
		s := idx(indexOf(l.NonLocalStrides, c.NonLocal.Stride))
		if s >= 0 {
			s = len(l.NonLocalStrides) - 1 - s
		}
		want[StrideGate] = s
	}
	for _, k := range []GateKind{KernelGate, ExpandGate, RatioGate, StrideGate} {
		if want[k] < 0 {
			return 0, false
		}
	}
	var bits uint
	for i, g := range gs {
		if g.Index < want[g.Kind] {
			bits |= 1 << i
		}
	}
	return bits, true
}

func indexOf[T comparable](s []T, v T) (int, bool) {
	for i, x := range s {
		if x == v {
			return i, true
		}
	}
	return 0, false
}

// nestedMask returns the Var Σ_j levels[j]·Π_{i<j} gates[i]: levels[0]
// always, each further level while the gates before it are open. The levels
// are constant 0/1 masks of one shape, one more than there are gates.
func nestedMask(levels []*tensor.Tensor, gates []*autograd.Var) *autograd.Var {
	m := autograd.Const(levels[0])
	var prod *autograd.Var
	for j, g := range gates {
		if prod == nil {
			prod = g
		} else {
			prod = autograd.Mul(prod, g)
		}
		m = autograd.Add(m, autograd.Mul(autograd.Const(levels[j+1]), prod))
	}
	return m
}

// ringLevels returns the kernel masks of nestedMask for a kmax×kmax
// superkernel (shape 1×1×kmax×kmax): level 0 the centred Kernels[0]
// square, level j the ring between Kernels[j−1] and Kernels[j].
func ringLevels(kernels []int) []*tensor.Tensor {
	kmax := kernels[len(kernels)-1]
	levels := make([]*tensor.Tensor, len(kernels))
	for j, k := range kernels {
		m := tensor.New(1, 1, kmax, kmax)
		inner := 0
		if j > 0 {
			inner = kernels[j-1]
		}
		for a := range kmax {
			for b := range kmax {
				if inSquare(a, b, kmax, k) && !inSquare(a, b, kmax, inner) {
					m.Set(1, 0, 0, a, b)
				}
			}
		}
		levels[j] = m
	}
	return levels
}

// inSquare reports whether tap (a, b) of a kmax×kmax kernel lies in the
// centred k×k square.
func inSquare(a, b, kmax, k int) bool {
	off := (kmax - k) / 2
	return k > 0 && a >= off && a < off+k && b >= off && b < off+k
}

// channelLevels returns the channel masks of nestedMask for widths
// increasing to widths[len−1] (shape [widths[len−1]]): level j the
// channels from widths[j−1] (0 for j = 0) to widths[j].
func channelLevels(widths []int) []*tensor.Tensor {
	n := widths[len(widths)-1]
	levels := make([]*tensor.Tensor, len(widths))
	lo := 0
	for j, w := range widths {
		m := tensor.New(n)
		for c := lo; c < w; c++ {
			m.Data()[c] = 1
		}
		levels[j], lo = m, w
	}
	return levels
}

// keyLevels returns the key position masks of nestedMask for an h×w map
// and key strides increasing (shape 1×1×(h·w)): level 0 the positions of
// the coarsest stride's grid (rows and columns that are multiples of it),
// level j those of the grid of strides[n−1−j] that no coarser grid holds.
func keyLevels(h, w int, strides []int) []*tensor.Tensor {
	n := len(strides)
	levels := make([]*tensor.Tensor, n)
	for j := range n {
		levels[j] = tensor.New(1, 1, h*w)
	}
	for a := range h {
		for b := range w {
			// The coarsest grid holding (a, b) fixes its level.
			for j := range n {
				s := strides[n-1-j]
				if a%s == 0 && b%s == 0 {
					levels[j].Set(1, 0, 0, a*w+b)
					break
				}
			}
		}
	}
	return levels
}

// nonLocalWidths returns the query and key channel counts of the LightNL
// ratios at width c.
func nonLocalWidths(c int, ratios []float64) []int {
	ws := make([]int, len(ratios))
	for i, r := range ratios {
		ws[i] = lightnl.ReducedChannels(c, r)
	}
	return ws
}

// hiddenWidths returns the hidden widths round(in·e) of the expansions.
func hiddenWidths(in int, expansions []float64) []int {
	ws := make([]int, len(expansions))
	for i, e := range expansions {
		ws[i] = int(math.Round(float64(in) * e))
	}
	return ws
}

// rms returns the Var √(Σ mask⊙sq / n + 1e-12), the root mean square of
// the weights whose squares sq holds, over the n elements that the 0/1
// mask (broadcast to sq) selects.
func rms(sq *autograd.Var, mask *tensor.Tensor, n int) *autograd.Var {
	s := autograd.Sum(autograd.Mul(sq, autograd.Const(mask)), false)
	return autograd.Reshape(autograd.Sqrt(autograd.AddScalar(autograd.MulScalar(s, float32(1/float64(n))), 1e-12)), 1)
}
