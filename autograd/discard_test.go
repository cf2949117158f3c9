package autograd

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/autonl-go/autonl/tensor"
)

// TestDiscard checks who Discard may release: a fresh result of an
// operation under NoGrad, and a reshape of one, unless a kept Var shares
// its storage; never a leaf, a view of a leaf, or a recorded result.
func TestDiscard(t *testing.T) {
	w := Param(tensor.Ones(128))
	x := Const(tensor.Ones(128))
	NoGrad(func() {
		y := ReLU(x)
		z := Reshape(y, 2, 64)
		assert.False(t, Discard(y, x, z), "z shares y's storage")
		assert.True(t, Discard(z, x))
		require.PanicsWithValue(t, "tensor: Shape of a released tensor: its storage went back to the buffer pool (tensor.Release), so whoever kept it kept it beyond its owner's use",
			func() { z.Shape() })

		assert.False(t, Discard(x), "a Const")
		assert.False(t, Discard(w), "a Param")
		assert.False(t, Discard(Reshape(w, 2, 64)), "a view of a Param")
		assert.False(t, Discard(Reshape(Reshape(w, 4, 32), 2, 64)), "a view of a view of a Param")
		assert.False(t, Discard(nil))
	})
	assert.Equal(t, 128, w.Value.Len())
	assert.Equal(t, 128, x.Value.Len())
	y := Mul(w, x)
	assert.False(t, Discard(y), "a result recorded in a graph")
	assert.Equal(t, 128, y.Value.Len())
}
