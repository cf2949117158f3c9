package autograd

import (
	"fmt"
	"math"
	"slices"

	"github.com/autonl-go/autonl/tensor"
)

// NLLLoss returns the mean negative log-likelihood of labels under
// logProbs, a batch of N rows of K log-probabilities:
// loss = −(1/N) Σᵢ logProbs[i, labels[i]], a scalar, as PyTorch's
// F.nll_loss with mean reduction. It panics if logProbs is not N×K, if
// there are not N labels or if a label is outside [0, K).
//
// Backward: ∂logProbs[i, labels[i]] = −g/N, and 0 elsewhere.
func NLLLoss(logProbs *Var, labels []int) *Var {
	n, k := checkLabels("NLLLoss", "logProbs", logProbs.Value.Shape(), labels)
	labels = slices.Clone(labels)
	lp := logProbs.Value.Data()
	var s float64
	for i, y := range labels {
		s -= float64(lp[i*k+y])
	}
	loss := tensor.Scalar(float32(s / float64(n)))
	return record("NLLLoss", loss, []*Var{logProbs}, func(g *tensor.Tensor) {
		dx := tensor.New(n, k)
		d := dx.Data()
		w := -g.Item() / float32(n)
		for i, y := range labels {
			d[i*k+y] = w
		}
		logProbs.accumulate(dx)
	})
}

// CrossEntropy returns the mean cross-entropy between the softmax of
// logits, a batch of N rows of K class scores, and the labels smoothed by
// s = smoothing, as PyTorch's F.cross_entropy(logits, labels,
// label_smoothing=s) with mean reduction. With logp the log-softmax of each
// row,
//
//	loss = (1/N) Σᵢ [(1 − s)·(−logp[i, yᵢ]) + s·(1/K) Σₖ (−logp[i, k])],
//
// the cross-entropy with the target distribution (1 − s)·onehot(yᵢ) + s/K.
// Log-softmax and loss are fused in one pass over each row, in float64. It
// panics if logits is not N×K, if there are not N labels, if a label is
// outside [0, K) or if s is outside [0, 1].
//
// Backward: ∂logits[i, k] = (g/N)·(softmax[i, k] − (1 − s)·[k = yᵢ] − s/K).
func CrossEntropy(logits *Var, labels []int, smoothing float32) *Var {
	if !(smoothing >= 0 && smoothing <= 1) {
		panic(fmt.Sprintf("autograd: CrossEntropy: label smoothing %v out of range [0, 1]", smoothing))
	}
	n, k := checkLabels("CrossEntropy", "logits", logits.Value.Shape(), labels)
	labels = slices.Clone(labels)
	x := logits.Value.Data()
	s := float64(smoothing)
	lse := make([]float64, n) // ln Σₖ exp x[i, k] per row
	var total float64
	for i, y := range labels {
		row := x[i*k : (i+1)*k]
		m := float64(row[0])
		for _, v := range row {
			m = math.Max(m, float64(v))
		}
		var e, sum float64
		for _, v := range row {
			e += math.Exp(float64(v) - m)
			sum += float64(v)
		}
		lse[i] = m + math.Log(e)
		total += (1-s)*(lse[i]-float64(row[y])) + s*(lse[i]-sum/float64(k))
	}
	loss := tensor.Scalar(float32(total / float64(n)))
	return record("CrossEntropy", loss, []*Var{logits}, func(g *tensor.Tensor) {
		dx := tensor.New(n, k)
		d := dx.Data()
		w := float64(g.Item()) / float64(n)
		uniform := s / float64(k)
		for i, y := range labels {
			row, dr := x[i*k:(i+1)*k], d[i*k:(i+1)*k]
			for j, v := range row {
				dr[j] = float32(w * (math.Exp(float64(v)-lse[i]) - uniform))
			}
			dr[y] = float32(w * (math.Exp(float64(row[y])-lse[i]) - uniform - (1 - s)))
		}
		logits.accumulate(dx)
	})
}

// checkLabels validates a batch of scores of shape N×K and its N labels in
// [0, K), and returns N and K.
func checkLabels(op, name string, shape []int, labels []int) (n, k int) {
	if len(shape) != 2 {
		panic(fmt.Sprintf("autograd: %s: %s of shape %v are not a batch of N×K scores", op, name, shape))
	}
	n, k = shape[0], shape[1]
	if len(labels) != n {
		panic(fmt.Sprintf("autograd: %s: %d labels for a batch of %d rows of %s %v", op, len(labels), n, name, shape))
	}
	for i, y := range labels {
		if y < 0 || y >= k {
			panic(fmt.Sprintf("autograd: %s: label %d at index %d out of range [0, %d)", op, y, i, k))
		}
	}
	return n, k
}
