package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Welch's test of (1, 2, 3, 4, 5) against (2, 4, 6, 8, 10): t = −3/√2.5 =
// −1.8974, ν = 2.5²/(0.5²/4 + 2²/4) = 5.8824 by hand, and p = 0.10753 by
// numerical integration of Student's t density (torch.distributions.StudentT,
// trapezoids on [|t|, 200] with 2·10⁶ steps).
func TestWelch(t *testing.T) {
	tv, df, p := Welch([]float64{1, 2, 3, 4, 5}, []float64{2, 4, 6, 8, 10})
	assert.InDelta(t, -1.8974, tv, 1e-4)
	assert.InDelta(t, 5.8824, df, 1e-4)
	assert.InDelta(t, 0.10753, p, 1e-5)
	_, _, p = Welch([]float64{1, 1}, []float64{1, 1})
	assert.Equal(t, 1.0, p)
	_, _, p = Welch([]float64{1, 1}, []float64{0.5, 0.5})
	assert.Equal(t, 0.0, p)
}

func TestTable(t *testing.T) {
	g, order, err := read(strings.NewReader("# runs\nsearched 1\nsearched 1\nrandom 0.5\n\nrandom 1\n"), "x")
	require.NoError(t, err)
	var b strings.Builder
	require.NoError(t, table(&b, g, order, "", 100))
	assert.Contains(t, b.String(), "| searched | 2 | 100.00 ± 0.00 | 100.00, 100.00 | – |")
	assert.Contains(t, b.String(), "| random | 2 | 75.00 ± 35.36 | 50.00, 100.00 | 0.5 |")
	_, _, err = read(strings.NewReader("searched\n"), "x")
	assert.ErrorContains(t, err, "x:1")
	_, _, err = read(strings.NewReader("a NaN\n"), "x")
	assert.ErrorContains(t, err, "finite")
	assert.ErrorContains(t, table(&b, g, order, "nope", 100), "-ref nope")
}
