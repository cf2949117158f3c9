package train

import (
	"bytes"
	"context"
	"math"
	"testing"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/data"
	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

func TestConfusion(t *testing.T) {
	c := NewConfusion([]string{"cat", "dog", "bird"})
	for _, p := range [][2]int{{0, 0}, {0, 0}, {0, 1}, {1, 1}, {1, 0}, {1, 1}, {1, 1}} {
		c.Add(p[0], p[1])
	}
	assert.Equal(t, [][]int{{2, 1, 0}, {1, 3, 0}, {0, 0, 0}}, c.Counts)
	assert.Equal(t, 7, c.Total())
	assert.Equal(t, 5, c.Correct())
	assert.InDelta(t, 5.0/7, c.Accuracy(), 1e-12)
	assert.InDelta(t, 2.0/3, c.Recall(0), 1e-12)
	assert.InDelta(t, 0.75, c.Recall(1), 1e-12)
	assert.True(t, math.IsNaN(c.Recall(2)))
	assert.InDelta(t, 2.0/3, c.Precision(0), 1e-12)
	assert.True(t, math.IsNaN(c.Precision(2)))
	assert.Equal(t, ""+
		"true \\ predicted     0     1     2  recall\n"+
		"0 cat                2     1     0   66.7%\n"+
		"1 dog                1     3     0   75.0%\n"+
		"2 bird               0     0     0       -\n", c.String())
	assert.PanicsWithValue(t, "train: Confusion.Add: classes (3, 0) out of range [0, 3)", func() { c.Add(3, 0) })
	assert.Zero(t, NewConfusion([]string{"a"}).Accuracy())
}

// constNet predicts, for an image, the class given by its first pixel
// (rounded), which lets a test choose every prediction.
type constNet struct {
	nn.Base
	classes int
}

func (m *constNet) Forward(x *autograd.Var) *autograd.Var {
	n := x.Shape()[0]
	per := x.Value.Len() / n
	out := tensor.New(n, m.classes)
	for i := range n {
		k := int(x.Value.Data()[i*per] + 0.5)
		for j := range m.classes {
			out.Data()[i*m.classes+j] = 0
		}
		out.Data()[i*m.classes+k] = 10
	}
	return autograd.Const(out)
}

func TestEvaluate(t *testing.T) {
	// Labels 0 1 2 0 1 2 0; predictions 0 1 1 0 2 2 0.
	labels := []int{0, 1, 2, 0, 1, 2, 0}
	preds := []float32{0, 1, 1, 0, 2, 2, 0}
	pix := make([]float32, 7*4)
	for i, p := range preds {
		pix[i*4] = p
	}
	ds, err := data.NewMemory(1, 2, 2, pix, labels, []string{"a", "b", "c"})
	require.NoError(t, err)
	loader, err := data.NewLoader(ds, data.LoaderConfig{BatchSize: 3})
	require.NoError(t, err)
	model := &constNet{classes: 3}
	var calls []int
	res, err := Evaluate(context.Background(), model, loader, func(b int) { calls = append(calls, b) })
	require.NoError(t, err)
	assert.Equal(t, []int{1, 2, 3}, calls)
	assert.Equal(t, 5, res.Correct)
	assert.Equal(t, 7, res.Total)
	assert.Equal(t, [][]int{{3, 0, 0}, {0, 1, 1}, {0, 1, 1}}, res.Confusion.Counts)
	// Cross-entropy of logits (10, 0, 0): right ≈ 9.1e-5, wrong ≈ 10.00009.
	right := math.Log(1 + 2*math.Exp(-10))
	assert.InDelta(t, (5*right+2*(10+right))/7, res.Loss, 1e-5)
	assert.True(t, model.Training(), "the training mode is restored")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = Evaluate(ctx, model, loader, nil)
	require.ErrorIs(t, err, context.Canceled)

	bad := &constNet{classes: 2}
	pix[0] = 1
	_, err = Evaluate(context.Background(), bad, loader, nil)
	require.ErrorContains(t, err, "want [3 3]")
}
