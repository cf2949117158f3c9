package autograd

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/autonl-go/autonl/tensor"
)

// refCrossEntropy is PyTorch's F.cross_entropy(logits, labels,
// label_smoothing=s) with mean reduction, computed in float64 from the
// definition: logp = log_softmax(logits), loss_i = (1−s)·(−logp[i, y_i]) +
// s·mean_k(−logp[i, k]).
func refCrossEntropy(logits *tensor.Tensor, labels []int, s float64) float64 {
	n, k := logits.Dim(0), logits.Dim(1)
	var total float64
	for i := range n {
		var z float64
		for j := range k {
			z += math.Exp(float64(logits.At(i, j)))
		}
		var smooth float64
		for j := range k {
			smooth -= (float64(logits.At(i, j)) - math.Log(z)) / float64(k)
		}
		total += (1-s)*-(float64(logits.At(i, labels[i]))-math.Log(z)) + s*smooth
	}
	return total / float64(n)
}

func TestCrossEntropyValue(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, tc := range []struct {
		name   string
		logits *tensor.Tensor
		labels []int
		s      float32
		want   float64
	}{
		// log 2, and the value PyTorch prints for these logits.
		{"uniform", tensor.New(1, 2), []int{0}, 0, math.Ln2},
		{"smoothed", tensor.FromSlice([]float32{1, 2, 3}, 1, 3), []int{2}, 0.1, 0.50760596},
		{"one class", tensor.FromSlice([]float32{3, -1}, 2, 1), []int{0, 0}, 0.2, 0},
	} {
		got := CrossEntropy(Const(tc.logits), tc.labels, tc.s).Value
		require.Empty(t, got.Shape(), tc.name)
		require.InDelta(t, tc.want, got.Item(), 1e-6, tc.name)
	}
	for _, s := range []float64{0, 0.1, 0.5, 1} {
		logits := tensor.Normal(rng, 0, 3, 7, 5)
		labels := []int{0, 4, 2, 2, 1, 3, 0}
		got := CrossEntropy(Const(logits), labels, float32(s)).Value.Item()
		require.InDelta(t, refCrossEntropy(logits, labels, s), got, 1e-5, "smoothing %v", s)
	}

	// Large logits do not overflow: the loss is that of logits shifted by −1000.
	big := tensor.FromSlice([]float32{1000, 1001, 1002}, 1, 3)
	require.InDelta(t, 0.50760596, CrossEntropy(Const(big), []int{2}, 0.1).Value.Item(), 1e-5)
	// CrossEntropy is NLLLoss of LogSoftmax when not smoothed.
	logits := tensor.Normal(rng, 0, 1, 4, 3)
	labels := []int{2, 0, 1, 1}
	require.InDelta(t, NLLLoss(LogSoftmax(Const(logits), 1), labels).Value.Item(),
		CrossEntropy(Const(logits), labels, 0).Value.Item(), 1e-6)
}

func TestLossGrads(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	for _, tc := range []struct {
		shape  []int
		labels []int
	}{
		{[]int{1, 1}, []int{0}},
		{[]int{1, 4}, []int{3}},
		{[]int{3, 5}, []int{0, 4, 2}},
		{[]int{4, 2}, []int{1, 1, 0, 1}},
	} {
		x := tensor.Normal(rng, 0, 2, tc.shape...)
		requireGrad(t, "NLLLoss", func(in ...*Var) *Var { return NLLLoss(in[0], tc.labels) }, x)
		for _, s := range []float32{0, 0.1, 1} {
			requireGrad(t, "CrossEntropy", func(in ...*Var) *Var { return CrossEntropy(in[0], tc.labels, s) }, x)
		}
	}

	// The analytic gradient by hand: (softmax − target)/N for one row of
	// two equal logits, label 0, smoothing 0.2: target = [0.9, 0.1].
	x := Param(tensor.New(1, 2))
	CrossEntropy(x, []int{0}, 0.2).Backward()
	require.InDeltaSlice(t, []float32{-0.4, 0.4}, x.Grad.Data(), 1e-7)
}

func TestLossPanic(t *testing.T) {
	x := Const(tensor.New(3, 4))
	for _, tc := range []struct {
		f    func()
		want string
	}{
		{func() { NLLLoss(x, []int{0, 1, 4}) }, "autograd: NLLLoss: label 4 at index 2 out of range [0, 4)"},
		{func() { NLLLoss(x, []int{0, -1, 2}) }, "autograd: NLLLoss: label -1 at index 1 out of range [0, 4)"},
		{func() { NLLLoss(x, []int{0, 1}) }, "autograd: NLLLoss: 2 labels for a batch of 3 rows of logProbs [3 4]"},
		{func() { NLLLoss(Const(tensor.New(4)), []int{0}) }, "autograd: NLLLoss: logProbs of shape [4] are not a batch of N×K scores"},
		{func() { CrossEntropy(x, []int{0, 9, 1}, 0) }, "autograd: CrossEntropy: label 9 at index 1 out of range [0, 4)"},
		{func() { CrossEntropy(Const(tensor.New(2, 3, 4)), []int{0, 1}, 0) },
			"autograd: CrossEntropy: logits of shape [2 3 4] are not a batch of N×K scores"},
		{func() { CrossEntropy(x, []int{0, 1, 2}, 1.5) }, "autograd: CrossEntropy: label smoothing 1.5 out of range [0, 1]"},
		{func() { CrossEntropy(x, []int{0, 1, 2}, float32(math.NaN())) }, "autograd: CrossEntropy: label smoothing NaN out of range [0, 1]"},
	} {
		require.PanicsWithValue(t, tc.want, tc.f)
	}
}
