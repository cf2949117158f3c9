package train

import (
	"context"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/data"
	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/tensor"
)

// EvalResult is the outcome of evaluating a classifier on a dataset.
type EvalResult struct {
	// Loss is the mean cross-entropy (without label smoothing) over the
	// examples.
	Loss float64
	// Correct and Total count the correctly classified and all examples.
	Correct, Total int
	// Confusion counts every (true class, predicted class) pair.
	Confusion *Confusion
}

// Accuracy returns Correct/Total, or 0 for an empty evaluation.
func (r EvalResult) Accuracy() float64 {
	if r.Total == 0 {
		return 0
	}
	return float64(r.Correct) / float64(r.Total)
}

// Evaluate runs model in evaluation mode and without gradients over one
// pass of loader (epoch 0, so an evaluation loader should neither shuffle
// nor augment) and returns the mean loss, the accuracy and the confusion
// matrix. The model's previous training/evaluation mode is restored
// afterwards. progress, if not nil, is called after each batch with the
// number of batches done.
//
// It returns the context's error if ctx is cancelled before the pass ends,
// and an error if the model's output is not N×K logits for the dataset's K
// classes.
func Evaluate(ctx context.Context, model nn.Module, loader *data.Loader, progress func(batches int)) (EvalResult, error) {
	classes := loader.Dataset().Classes()
	res := EvalResult{Confusion: NewConfusion(classes)}
	restore := nn.EvalMode(model)
	defer restore()
	it := loader.Epoch(ctx, 0)
	defer it.Close()
	var lossSum float64
	for done := 1; it.Next(); done++ {
		b := it.Batch()
		var (
			logits *autograd.Var
			err    error
		)
		autograd.NoGrad(func() {
			logits = model.Forward(autograd.Const(b.Images))
			if err = checkLogits(logits, len(b.Labels), len(classes)); err != nil {
				return
			}
			loss := autograd.CrossEntropy(logits, b.Labels, 0)
			lossSum += float64(loss.Value.Item()) * float64(len(b.Labels))
		})
		if err != nil {
			return res, err
		}
		for i, p := range tensor.ArgMax(logits.Value, 1) {
			res.Confusion.Add(b.Labels[i], p)
			if p == b.Labels[i] {
				res.Correct++
			}
		}
		res.Total += len(b.Labels)
		tensor.Release(b.Images)
		if progress != nil {
			progress(done)
		}
	}
	if err := it.Err(); err != nil {
		return res, err
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	if res.Total > 0 {
		res.Loss = lossSum / float64(res.Total)
	}
	return res, nil
}

// checkLogits reports an error unless logits is n×k.
func checkLogits(logits *autograd.Var, n, k int) error {
	s := logits.Shape()
	if len(s) != 2 || s[0] != n || s[1] != k {
		return fmt.Errorf("train: the model's output has shape %v; want [%d %d] (batch × classes)", s, n, k)
	}
	return nil
}

// Confusion is a confusion matrix: Counts[t][p] is the number of examples
// of true class t predicted as class p.
type Confusion struct {
	// Classes are the class names, by label.
	Classes []string
	// Counts is the K×K matrix of counts, rows by true class, columns by
	// predicted class.
	Counts [][]int
}

// NewConfusion returns an empty confusion matrix over the given classes.
func NewConfusion(classes []string) *Confusion {
	c := &Confusion{Classes: classes, Counts: make([][]int, len(classes))}
	for i := range c.Counts {
		c.Counts[i] = make([]int, len(classes))
	}
	return c
}

// Add counts one example of class truth predicted as pred. It panics if a
// class is out of range.
func (c *Confusion) Add(truth, pred int) {
	k := len(c.Classes)
	if truth < 0 || truth >= k || pred < 0 || pred >= k {
		panic(fmt.Sprintf("train: Confusion.Add: classes (%d, %d) out of range [0, %d)", truth, pred, k))
	}
	c.Counts[truth][pred]++
}

// Total returns the number of examples counted.
func (c *Confusion) Total() int {
	n := 0
	for _, row := range c.Counts {
		for _, v := range row {
			n += v
		}
	}
	return n
}

// Correct returns the number of examples on the diagonal.
func (c *Confusion) Correct() int {
	n := 0
	for i, row := range c.Counts {
		n += row[i]
	}
	return n
}

// Accuracy returns Correct/Total, or 0 when nothing was counted.
func (c *Confusion) Accuracy() float64 {
	if t := c.Total(); t > 0 {
		return float64(c.Correct()) / float64(t)
	}
	return 0
}

// Recall returns the fraction of the examples of class k predicted as k,
// or NaN if there are none.
func (c *Confusion) Recall(k int) float64 {
	n := 0
	for _, v := range c.Counts[k] {
		n += v
	}
	if n == 0 {
		return math.NaN()
	}
	return float64(c.Counts[k][k]) / float64(n)
}

// Precision returns the fraction of the examples predicted as class k that
// are of class k, or NaN if none was predicted as k.
func (c *Confusion) Precision(k int) float64 {
	n := 0
	for _, row := range c.Counts {
		n += row[k]
	}
	if n == 0 {
		return math.NaN()
	}
	return float64(c.Counts[k][k]) / float64(n)
}

// String returns the matrix as a text table: one row per true class, named,
// with the counts per predicted class (columns numbered by label) and the
// class's recall, for example
//
//	true \ predicted      0     1  recall
//	0 same              480    20   96.0%
//	1 different          35   465   93.0%
func (c *Confusion) String() string {
	k := len(c.Classes)
	nameW := len("true \\ predicted")
	for i, name := range c.Classes {
		nameW = max(nameW, utf8.RuneCountInString(fmt.Sprintf("%d %s", i, name)))
	}
	cellW := 5
	for _, row := range c.Counts {
		for _, v := range row {
			cellW = max(cellW, len(fmt.Sprint(v)))
		}
	}
	cellW = max(cellW, len(fmt.Sprint(k-1)))
	var sb strings.Builder
	pad := func(s string, w int) string {
		return s + strings.Repeat(" ", max(0, w-utf8.RuneCountInString(s)))
	}
	sb.WriteString(pad("true \\ predicted", nameW))
	for j := range k {
		fmt.Fprintf(&sb, " %*d", cellW, j)
	}
	sb.WriteString("  recall\n")
	for i, row := range c.Counts {
		sb.WriteString(pad(fmt.Sprintf("%d %s", i, c.Classes[i]), nameW))
		for _, v := range row {
			fmt.Fprintf(&sb, " %*d", cellW, v)
		}
		if r := c.Recall(i); math.IsNaN(r) {
			sb.WriteString("       -\n")
		} else {
			fmt.Fprintf(&sb, "  %5.1f%%\n", 100*r)
		}
	}
	return sb.String()
}
