package nas

import (
	"fmt"
	"slices"

	"github.com/autonl-go/autonl/models"
)

// Limits of a search space besides those of package models (models.MaxWidth
// and the others, which bound its widths, kernels, expansions, strides,
// repeats, layers, input size, classes and width multiplier the same way
// they bound a network's).
const (
	// MaxCandidates bounds the candidates of each kind of decision
	// (kernels, expansions, LightNL ratios and key strides): a gate per
	// candidate, where the paper searches between two.
	MaxCandidates = 8
	// MaxSpaceBytes bounds the size of a search space file: a space of
	// models.MaxLayers stages written out is under 100 kB.
	MaxSpaceBytes = 1 << 20
)

// checkLimits reports the first field of s above its limit, naming it;
// Validate calls it before anything else, so that no later check
// allocates or computes with an unbounded size.
func (s Space) checkLimits() error {
	bad := func(field string, v any, limit any) error {
		return fmt.Errorf("nas: search space: %s: %v, want at most %v", field, v, limit)
	}
	for _, f := range []struct {
		name     string
		v, limit int
	}{
		{"input_size", s.InputSize, models.MaxInputSize}, {"input_channels", s.InputChannels, models.MaxWidth},
		{"classes", s.Classes, models.MaxClasses}, {"stem_width", s.StemWidth, models.MaxWidth},
		{"stem_stride", s.StemStride, models.MaxStride}, {"head_width", s.HeadWidth, models.MaxWidth},
		{"stages (count)", len(s.Stages), models.MaxLayers},
	} {
		if f.v > f.limit {
			return bad(f.name, f.v, f.limit)
		}
	}
	if s.WidthMultiplier > models.MaxWidthMultiplier {
		return bad("width_multiplier", s.WidthMultiplier, models.MaxWidthMultiplier)
	}
	if err := checkCandidates("kernels", s.Kernels, models.MaxKernel, "kernel size"); err != nil {
		return err
	}
	if err := checkCandidates("expansions", s.Expansions, models.MaxExpand, "expansion"); err != nil {
		return err
	}
	if len(s.NonLocalRatios) > MaxCandidates {
		return fmt.Errorf("nas: search space: nonlocal_ratios: %d candidates, want at most %d", len(s.NonLocalRatios), MaxCandidates)
	}
	if err := checkCandidates("nonlocal_strides", s.NonLocalStrides, models.MaxStride, "key stride"); err != nil {
		return err
	}
	layers := 0
	for i, st := range s.Stages {
		field := func(name string) string { return fmt.Sprintf("stages[%d].%s", i, name) }
		switch {
		case st.Width > models.MaxWidth:
			return bad(field("width"), st.Width, models.MaxWidth)
		case st.Repeats > models.MaxRepeats:
			return bad(field("repeats"), st.Repeats, models.MaxRepeats)
		}
		if err := checkCandidates(field("kernels"), st.Kernels, models.MaxKernel, "kernel size"); err != nil {
			return err
		}
		if err := checkCandidates(field("expansions"), st.Expansions, models.MaxExpand, "expansion"); err != nil {
			return err
		}
		if layers += max(st.Repeats, 0); layers > models.MaxLayers {
			return fmt.Errorf("nas: search space: %s: the space has more than %d layers", field("repeats"), models.MaxLayers)
		}
	}
	if !(s.WidthMultiplier > 0) {
		return nil // Validate reports it
	}
	// Widths after the width multiplier, and the largest hidden width.
	if w := models.ScaleWidth(max(s.StemWidth, 1), s.WidthMultiplier, roundNearest); w > models.MaxWidth {
		return fmt.Errorf("nas: search space: stem_width: %d after the width multiplier %g, want at most %d", w, s.WidthMultiplier, models.MaxWidth)
	}
	if w := s.headWidth(); w > models.MaxWidth {
		return fmt.Errorf("nas: search space: head_width: %d after the width multiplier %g, want at most %d", w, s.WidthMultiplier, models.MaxWidth)
	}
	in := models.ScaleWidth(max(s.StemWidth, 1), s.WidthMultiplier, roundNearest)
	for i, st := range s.Stages {
		out := models.ScaleWidth(max(st.Width, 1), s.WidthMultiplier, roundNearest)
		if out > models.MaxWidth {
			return fmt.Errorf("nas: search space: stages[%d].width: %d after the width multiplier %g, want at most %d", i, out, s.WidthMultiplier, models.MaxWidth)
		}
		es := s.Expansions
		if len(st.Expansions) > 0 {
			es = st.Expansions
		}
		if len(es) > 0 {
			e := slices.Max(es)
			for _, c := range []int{in, out} { // the first layer's input, the others'
				if h := float64(c) * e; h > models.MaxWidth {
					return fmt.Errorf("nas: search space: stages[%d]: hidden width %.0f (width %d × expansion %g), want at most %d", i, h, c, e, models.MaxWidth)
				}
			}
		}
		in = out
	}
	return nil
}

// Footprint returns the memory the supernet of s needs, counted as that
// of its largest network (every layer, the largest kernel and expansion,
// the largest LightNL ratio with the smallest key stride) without building
// it.
func (s Space) Footprint() (models.Footprint, error) {
	largest, _, err := s.extremes()
	if err != nil {
		return models.Footprint{}, err
	}
	return models.FootprintOf(largest.Cost), nil
}

// MACsRange returns the MACs of the smallest and the largest network of s:
// the targets a search in s can reach.
func (s Space) MACsRange() (smallest, largest int64, err error) {
	l, sm, err := s.extremes()
	if err != nil {
		return 0, 0, err
	}
	return sm.Cost.Total.MACs, l.Cost.Total.MACs, nil
}

// extremes derives the largest and the smallest network of s.
func (s Space) extremes() (largest, smallest Derived, err error) {
	specs, err := s.Layers()
	if err != nil {
		return Derived{}, Derived{}, err
	}
	big, small := make([]Choice, len(specs)), make([]Choice, len(specs))
	for i, l := range specs {
		big[i] = Choice{Kernel: slices.Max(l.Kernels), Expansion: slices.Max(l.Expansions), Keep: true}
		if l.HasNonLocal() {
			big[i].NonLocal = models.LightNLSpec{Ratio: slices.Max(l.NonLocalRatios), Stride: slices.Min(l.NonLocalStrides)}
		}
		small[i] = Choice{Kernel: slices.Min(l.Kernels), Expansion: slices.Min(l.Expansions), Keep: !l.Droppable}
	}
	if largest, err = s.Derive(big); err != nil {
		return Derived{}, Derived{}, err
	}
	if smallest, err = s.Derive(small); err != nil {
		return Derived{}, Derived{}, err
	}
	return largest, smallest, nil
}

// checkCandidates reports the candidates vs of one kind of decision of a
// search space (its field) if there are more than MaxCandidates or if the
// largest is above limit, the largest what (such as "kernel size") of
// package models.
func checkCandidates[T int | float64](field string, vs []T, limit T, what string) error {
	if len(vs) > MaxCandidates {
		return fmt.Errorf("nas: search space: %s: %d candidates, want at most %d", field, len(vs), MaxCandidates)
	}
	if len(vs) > 0 && slices.Max(vs) > limit {
		return fmt.Errorf("nas: search space: %s: %v, want at most %s %v", field, vs, what, limit)
	}
	return nil
}
