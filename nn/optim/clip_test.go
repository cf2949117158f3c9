package optim

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/tensor"
)

func withGrads(grads ...*tensor.Tensor) []nn.Param {
	ps := make([]nn.Param, len(grads))
	for i, g := range grads {
		v := autograd.Param(tensor.New(1))
		v.Grad = g
		ps[i] = nn.Param{Name: string(rune('a' + i)), Var: v}
	}
	return ps
}

func TestClipGradNorm(t *testing.T) {
	shared := vec(3, 4)
	tests := []struct {
		name    string
		params  []nn.Param
		maxNorm float64
		norm    float64
		want    [][]float32 // gradients after clipping, nil where none
	}{
		{"clipped", withGrads(vec(3), vec(4)), 1, 5, [][]float32{{float32(3 / (5 + 1e-6))}, {float32(4 / (5 + 1e-6))}}},
		{"not clipped", withGrads(vec(3), vec(4)), 5.1, 5, [][]float32{{3}, {4}}},
		{"missing gradient", withGrads(vec(3), nil, vec(-4)), 10, 5, [][]float32{{3}, nil, {-4}}},
		{"none", withGrads(nil), 1, 0, [][]float32{nil}},
		// Two parameters with the same gradient tensor: counted twice,
		// scaled once.
		{"shared", withGrads(shared, shared), 1, math.Sqrt(50),
			[][]float32{{float32(3 / (math.Sqrt(50) + 1e-6)), float32(4 / (math.Sqrt(50) + 1e-6))}, nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			norm := ClipGradNorm(tt.params, tt.maxNorm)
			assert.InDelta(t, tt.norm, norm, 1e-12)
			for i, p := range tt.params {
				if tt.want[i] == nil {
					continue
				}
				assert.InDeltaSlice(t, tt.want[i], p.Var.Grad.Data(), 1e-7)
			}
		})
	}
	assert.Same(t, shared, tests[4].params[1].Var.Grad)
}

// TestClipGradNormNonFinite checks PyTorch's behaviour without
// error_if_nonfinite: the coefficient maxNorm/(norm + 1e-6) is applied even
// when the norm is NaN or infinite.
func TestClipGradNormNonFinite(t *testing.T) {
	ps := withGrads(vec(1, float32(math.NaN())))
	assert.True(t, math.IsNaN(ClipGradNorm(ps, 1)))
	assert.True(t, math.IsNaN(float64(ps[0].Var.Grad.Data()[0])))

	ps = withGrads(vec(1, float32(math.Inf(1))))
	assert.True(t, math.IsInf(ClipGradNorm(ps, 1), 1))
	assert.Equal(t, float32(0), ps[0].Var.Grad.Data()[0])
	assert.True(t, math.IsNaN(float64(ps[0].Var.Grad.Data()[1])))
}
