package nn_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/tensor"
)

// channelStats returns the mean and the biased variance of every channel of
// x (N×C×…) in float64.
func channelStats(x *tensor.Tensor) (mean, variance []float64) {
	n, c := x.Dim(0), x.Dim(1)
	s := x.Len() / (n * c)
	mean, variance = make([]float64, c), make([]float64, c)
	d := x.Data()
	for ch := range c {
		var sum float64
		for i := range n {
			for _, v := range d[(i*c+ch)*s : (i*c+ch+1)*s] {
				sum += float64(v)
			}
		}
		mean[ch] = sum / float64(n*s)
		var sq float64
		for i := range n {
			for _, v := range d[(i*c+ch)*s : (i*c+ch+1)*s] {
				sq += (float64(v) - mean[ch]) * (float64(v) - mean[ch])
			}
		}
		variance[ch] = sq / float64(n*s)
	}
	return mean, variance
}

func TestBatchNorm2dRunningStats(t *testing.T) {
	tests := []struct {
		name  string
		opt   nn.BatchNormConfig
		shape []int
		str   string
	}{
		{"defaults", nn.BatchNormConfig{}, []int{3, 4, 5, 2},
			"BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)"},
		{"mnasnet", nn.BatchNormConfig{Momentum: 0.01, Eps: 1e-3}, []int{2, 4, 3, 3},
			"BatchNorm2d(4, eps=0.001, momentum=0.01, affine=True, track_running_stats=True)"},
		{"N×C", nn.BatchNormConfig{Momentum: 0.5}, []int{6, 4},
			"BatchNorm2d(4, eps=1e-05, momentum=0.5, affine=True, track_running_stats=True)"},
		{"two values", nn.BatchNormConfig{Momentum: 1}, []int{2, 4, 1, 1},
			"BatchNorm2d(4, eps=1e-05, momentum=1.0, affine=True, track_running_stats=True)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rng := newRNG(4)
			bn := nn.NewBatchNorm2d(4, tc.opt)
			assert.Equal(t, tc.str, bn.String())
			params, buffers := names(bn)
			assert.Equal(t, map[string][]int{"weight": {4}, "bias": {4}}, params)
			assert.Equal(t, map[string][]int{"running_mean": {4}, "running_var": {4}, "num_batches_tracked": {}}, buffers)
			assert.Equal(t, []float32{1, 1, 1, 1}, bn.Weight.Value.Data())
			assert.Equal(t, []float32{0, 0, 0, 0}, bn.Bias.Value.Data())

			bn.RunningMean.CopyFrom(tensor.Normal(rng, 0, 1, 4))
			bn.RunningVar.CopyFrom(tensor.Uniform(rng, 0.5, 2, 4))
			bn.Weight.Value.CopyFrom(tensor.Normal(rng, 1, 0.3, 4))
			bn.Bias.Value.CopyFrom(tensor.Normal(rng, 0, 0.3, 4))
			m := float64(tensor.NumElements(tc.shape) / 4)
			for step := 1; step <= 3; step++ {
				rm0, rv0 := bn.RunningMean.Clone(), bn.RunningVar.Clone()
				x := tensor.Normal(rng, 2, 3, tc.shape...)
				var y *autograd.Var
				if step == 2 {
					// The update happens without a graph too.
					autograd.NoGrad(func() { y = bn.Forward(autograd.Const(x)) })
				} else {
					y = bn.Forward(autograd.Const(x))
				}
				mean, variance := channelStats(x)
				mom := bn.Momentum
				for c := range 4 {
					assert.InDelta(t, (1-mom)*float64(rm0.At(c))+mom*mean[c], bn.RunningMean.At(c), 1e-5, "running_mean[%d]", c)
					assert.InDelta(t, (1-mom)*float64(rv0.At(c))+mom*variance[c]*m/(m-1), bn.RunningVar.At(c), 1e-4, "running_var[%d]", c)
				}
				assert.Equal(t, float32(step), bn.NumBatchesTracked.Item())
				// The output is normalized with the batch statistics.
				ym, yv := channelStats(y.Value)
				for c := range 4 {
					g, b := float64(bn.Weight.Value.At(c)), float64(bn.Bias.Value.At(c))
					assert.InDelta(t, b, ym[c], 1e-4)
					assert.InDelta(t, g*g*variance[c]/(variance[c]+bn.Eps), yv[c], 1e-3)
				}
			}

			// Evaluation mode uses the running statistics and leaves them.
			nn.SetTraining(bn, false)
			rm, rv := bn.RunningMean.Clone(), bn.RunningVar.Clone()
			x := tensor.Normal(rng, 0, 1, tc.shape...)
			y := bn.Forward(autograd.Const(x))
			assert.Equal(t, rm.Data(), bn.RunningMean.Data())
			assert.Equal(t, rv.Data(), bn.RunningVar.Data())
			assert.Equal(t, float32(3), bn.NumBatchesTracked.Item())
			s := x.Len() / (x.Dim(0) * 4)
			for i, v := range x.Data() {
				c := i / s % 4
				want := (float64(v)-float64(rm.At(c)))/math.Sqrt(float64(rv.At(c))+bn.Eps)*float64(bn.Weight.Value.At(c)) + float64(bn.Bias.Value.At(c))
				require.InDelta(t, want, y.Value.Data()[i], 1e-5)
			}
		})
	}
}

func TestBatchNorm2dPanics(t *testing.T) {
	bn := nn.NewBatchNorm2d(4, nn.BatchNormConfig{})
	checkPanics(t, []panicCase{
		{"channels", "nn: BatchNorm2d: input [2 3 8 8] has 3 channels, want 4",
			func() { bn.Forward(autograd.Const(tensor.New(2, 3, 8, 8))) }},
		{"rank", "nn: BatchNorm2d: input [2 4 8] is not N×C×H×W or N×C",
			func() { bn.Forward(autograd.Const(tensor.New(2, 4, 8))) }},
		{"one value", "nn: BatchNorm2d: expected more than 1 value per channel when training, got input [1 4 1 1]",
			func() { bn.Forward(autograd.Const(tensor.New(1, 4, 1, 1))) }},
		{"momentum", "nn: NewBatchNorm2d: momentum 1.5 out of range (0, 1]",
			func() { nn.NewBatchNorm2d(4, nn.BatchNormConfig{Momentum: 1.5}) }},
		{"eps", "nn: NewBatchNorm2d: eps -1 is not positive",
			func() { nn.NewBatchNorm2d(4, nn.BatchNormConfig{Eps: -1}) }},
		{"channels count", "nn: NewBatchNorm2d: 0 channels, want at least 1",
			func() { nn.NewBatchNorm2d(0, nn.BatchNormConfig{}) }},
	})
	// One value per channel is fine in evaluation mode.
	nn.SetTraining(bn, false)
	assert.NotPanics(t, func() { bn.Forward(autograd.Const(tensor.New(1, 4, 1, 1))) })
}

// ForwardAffine with γ⊙m and β⊙m computes Forward's output on the channels
// m keeps and exactly 0 on the others (ForwardAffineClamp likewise, clamped),
// updating the running statistics as Forward does; gradients reach γ, β
// and the mask.
func TestBatchNorm2dForwardAffine(t *testing.T) {
	rng := newRNG(5)
	x := tensor.Normal(rng, 0.5, 2, 3, 4, 5, 5)
	mask := tensor.FromSlice([]float32{1, 0, 1, 0}, 4)
	for _, clamp := range []bool{false, true} {
		for _, training := range []bool{true, false} {
			ref := nn.NewBatchNorm2d(4, nn.BatchNormConfig{})
			bn := nn.NewBatchNorm2d(4, nn.BatchNormConfig{})
			for _, b := range []*nn.BatchNorm2d{ref, bn} {
				b.Weight.Value.CopyFrom(tensor.FromSlice([]float32{0.5, 2, -1, 1.5}, 4))
				b.Bias.Value.CopyFrom(tensor.FromSlice([]float32{0.1, -0.2, 0.3, 0.4}, 4))
				b.RunningVar.CopyFrom(tensor.FromSlice([]float32{2, 3, 0.5, 1}, 4))
				nn.SetTraining(b, training)
			}
			m := autograd.Const(mask)
			var want, got *autograd.Var
			if clamp {
				want = ref.ForwardClamp(autograd.Const(x), 0, 6)
				got = bn.ForwardAffineClamp(autograd.Const(x), autograd.Mul(bn.Weight, m), autograd.Mul(bn.Bias, m), 0, 6)
			} else {
				want = ref.Forward(autograd.Const(x))
				got = bn.ForwardAffine(autograd.Const(x), autograd.Mul(bn.Weight, m), autograd.Mul(bn.Bias, m))
			}
			for i, v := range got.Value.Data() {
				if mask.Data()[(i/25)%4] == 0 {
					require.Zero(t, v, "clamp %v training %v element %d", clamp, training, i)
				} else {
					require.Equal(t, want.Value.Data()[i], v, "clamp %v training %v element %d", clamp, training, i)
				}
			}
			assert.Equal(t, ref.RunningMean.Data(), bn.RunningMean.Data())
			assert.Equal(t, ref.RunningVar.Data(), bn.RunningVar.Data())
		}
	}
	bn := nn.NewBatchNorm2d(3, nn.BatchNormConfig{})
	mv := tensor.Uniform(rng, 0.2, 1, 3)
	r := autograd.CheckGrad(func(in ...*autograd.Var) *autograd.Var {
		return bn.ForwardAffine(in[0], autograd.Mul(in[1], in[3]), autograd.Mul(in[2], in[3]))
	}, tensor.Normal(rng, 0, 1, 2, 3, 3, 3), tensor.Normal(rng, 1, 0.5, 3), tensor.Normal(rng, 0, 0.5, 3), mv)
	require.Less(t, r.Error, gradTol, "%v", r)
	require.PanicsWithValue(t, "nn: BatchNorm2d: gamma of shape [4], want [3]", func() {
		bn.ForwardAffine(autograd.Const(tensor.New(2, 3, 2, 2)), autograd.Const(tensor.New(4)), bn.Bias)
	})
}
