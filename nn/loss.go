package nn

import (
	"fmt"
	"strconv"

	"github.com/autonl-go/autonl/autograd"
)

// CrossEntropyLoss is the mean cross-entropy between the softmax of a batch
// of logits and integer labels, PyTorch's torch.nn.CrossEntropyLoss with
// mean reduction: with logp the log-softmax of each row of N×K logits and
// s = LabelSmoothing,
//
//	loss = (1/N) Σᵢ [(1 − s)·(−logp[i, yᵢ]) + (s/K)·Σₖ (−logp[i, k])].
//
// The zero value is plain cross-entropy.
type CrossEntropyLoss struct {
	// LabelSmoothing s in [0, 1] mixes the one-hot target with the uniform
	// distribution: target = (1 − s)·onehot + s/K.
	LabelSmoothing float32
}

// Forward returns the scalar loss of logits (N×K) for labels (N values in
// [0, K)); see autograd.CrossEntropy, which it wraps and whose panics it
// shares.
func (l CrossEntropyLoss) Forward(logits *autograd.Var, labels []int) *autograd.Var {
	return autograd.CrossEntropy(logits, labels, l.LabelSmoothing)
}

// String returns "CrossEntropyLoss()", as PyTorch prints the module, or
// with the smoothing, "CrossEntropyLoss(label_smoothing=0.1)".
func (l CrossEntropyLoss) String() string {
	if l.LabelSmoothing == 0 {
		return "CrossEntropyLoss()"
	}
	// The float32's shortest decimal, so that 0.1 prints as 0.1.
	v, _ := strconv.ParseFloat(strconv.FormatFloat(float64(l.LabelSmoothing), 'g', -1, 32), 64)
	return fmt.Sprintf("CrossEntropyLoss(label_smoothing=%s)", pyFloat(v))
}
