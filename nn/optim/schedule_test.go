package optim

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSchedules(t *testing.T) {
	ep := PerEpoch(5) // 5 steps per epoch
	autoNL := LinearWarmup(ep(5), 0, ExponentialStaircase(0.016*1024/256, 0.97, ep(2.4), true))
	tests := []struct {
		name  string
		s     Schedule
		steps []int
		want  []float64
	}{
		{"constant", Constant(0.1), []int{0, 1, 1000}, []float64{0.1, 0.1, 0.1}},
		{"step", Step(1, 10, 0.5), []int{-5, 0, 9, 10, 19, 25}, []float64{1, 1, 1, 0.5, 0.5, 0.25}},
		// Fractional decay steps: ⌊k/2.4⌋ = 0,0,0,1,1,2,2,2,3 for k = 0..8.
		{"staircase 2.4", ExponentialStaircase(1, 0.5, 2.4, true),
			[]int{0, 1, 2, 3, 4, 5, 6, 7, 8}, []float64{1, 1, 1, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125}},
		{"smooth exponential", ExponentialStaircase(1, 0.5, 2, false),
			[]int{0, 1, 2, 3}, []float64{1, math.Sqrt(0.5), 0.5, 0.5 * math.Sqrt(0.5)}},
		{"cosine", Cosine(1, 4, 0), []int{0, 1, 2, 3, 4, 100},
			[]float64{1, (1 + math.Sqrt(0.5)) / 2, 0.5, (1 - math.Sqrt(0.5)) / 2, 0, 0}},
		{"cosine to min", Cosine(1, 10, 0.1), []int{0, 5, 10, 11}, []float64{1, 0.55, 0.1, 0.1}},
		{"warmup from 0", LinearWarmup(4, 0, Constant(1)), []int{0, 1, 3, 4, 9}, []float64{0, 0.25, 0.75, 1, 1}},
		// The ramp aims at then.LR(0) = 1; afterwards then runs unshifted.
		{"warmup then staircase", LinearWarmup(4, 0.1, ExponentialStaircase(1, 0.5, 3, true)),
			[]int{0, 2, 3, 4, 6}, []float64{0.1, 0.55, 0.775, 0.5, 0.25}},
		{"no warmup", LinearWarmup(0, 0, Constant(2)), []int{0, 1}, []float64{2, 2}},
		{"shift", Shift(Cosine(1, 4, 0), 2), []int{0, 2, 3, 4, 6}, []float64{1, 1, (1 + math.Sqrt(0.5)) / 2, 0.5, 0}},
		{"warmup then shifted cosine", LinearWarmup(2, 0, Shift(Cosine(1, 4, 0), 2)),
			[]int{0, 1, 2, 4, 6}, []float64{0, 0.5, 1, 0.5, 0}},
		{"func", ScheduleFunc(func(step int) float64 { return 1 / float64(step+1) }), []int{0, 3}, []float64{1, 0.25}},
		// The AutoNL recipe at batch 1024 and 5 steps per epoch: warm-up over
		// 25 steps to 0.064, then ×0.97 every 12 steps, counted from step 0.
		{"autonl", autoNL, []int{0, 5, 24, 25, 35, 36, 1749},
			[]float64{0, 0.0128, 0.06144, 0.064 * 0.97 * 0.97, 0.064 * 0.97 * 0.97, 0.064 * 0.97 * 0.97 * 0.97, 0.064 * math.Pow(0.97, 145)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i, step := range tt.steps {
				assert.InDelta(t, tt.want[i], tt.s.LR(step), 1e-15, "step %d", step)
			}
		})
	}
}

func TestScheduleStrings(t *testing.T) {
	ep := PerEpoch(1251)
	s := LinearWarmup(ep(5), 0, ExponentialStaircase(0.064, 0.97, ep(2.4), true))
	assert.Equal(t, "LinearWarmup(6255, 0, ExponentialStaircase(0.064, 0.97, 3002.4, true))", fmt.Sprint(s))
	assert.Equal(t, "Shift(Cosine(0.1, 1000, 0), 50)", fmt.Sprint(Shift(Cosine(0.1, 1000, 0), 50)))
	assert.Equal(t, "Step(0.1, 30, 0.1)", fmt.Sprint(Step(0.1, 30, 0.1)))
	assert.Equal(t, "Constant(0.5)", fmt.Sprint(Constant(0.5)))
}

func TestScheduleInvalid(t *testing.T) {
	for name, f := range map[string]func(){
		"step":        func() { Step(1, 0, 0.5) },
		"staircase":   func() { ExponentialStaircase(1, 0.5, -1, true) },
		"cosine":      func() { Cosine(1, math.Inf(1), 0) },
		"warmup":      func() { LinearWarmup(-1, 0, Constant(1)) },
		"per epoch":   func() { PerEpoch(0) },
		"warmup NaN":  func() { LinearWarmup(math.NaN(), 0, Constant(1)) },
		"cosine zero": func() { Cosine(1, 0, 0) },
	} {
		assert.Panics(t, f, name)
	}
}
