package testnets

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/autonl-go/autonl/models"
)

func TestRelDiff(t *testing.T) {
	for _, tc := range []struct {
		got, want []float32
		d         float64
	}{
		{[]float32{1, 2}, []float32{1, 2}, 0},
		{[]float32{1, 2.5}, []float32{1, -2}, 4.5 / 2},
		{[]float32{0.5, 0}, []float32{0, 0}, 0.5},
	} {
		assert.Equal(t, tc.d, RelDiff(tc.got, tc.want))
	}
	assert.True(t, math.IsNaN(RelDiff([]float32{float32(math.NaN())}, []float32{1})), "a NaN is never close")
	assert.Panics(t, func() { RelDiff([]float32{1}, nil) })
}

func TestSearchedArchParses(t *testing.T) {
	blocks, err := models.ParseArch(SearchedArch)
	assert.NoError(t, err)
	assert.Len(t, models.Unroll(blocks), 8)
}
