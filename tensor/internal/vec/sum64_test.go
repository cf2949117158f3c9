package vec

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSum64MatchesTwin checks every kernel variant of Sum64 against
// Sum64Generic, bit for bit, on lengths around whole vectors with signed
// zeros, infinities and NaN among the values; and the twin against its
// definition, written out: lanes j mod 16, then l + (l+8), + (l+4),
// + (l+2), + (l+1).
func TestSum64MatchesTwin(t *testing.T) {
	forEachVariant(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(11, 12))
		for _, n := range append(sizes, 49, 196, 784, 3136) {
			for _, special := range []bool{false, true} {
				x := make([]float32, n)
				for i := range x {
					x[i] = float32(rng.NormFloat64() * 3)
				}
				if special {
					x = data(rng, n)
				}
				var s [16]float64
				for j, v := range x {
					s[j%16] += float64(v)
				}
				var a [8]float64
				for l := range 8 {
					a[l] = s[l] + s[l+8]
				}
				b := [4]float64{a[0] + a[4], a[1] + a[5], a[2] + a[6], a[3] + a[7]}
				want := (b[0] + b[2]) + (b[1] + b[3])
				twin, got := Sum64Generic(x), Sum64(x)
				if math.IsNaN(want) {
					require.True(t, math.IsNaN(twin) && math.IsNaN(got), "n=%d", n)
					continue
				}
				require.Equal(t, math.Float64bits(want), math.Float64bits(twin), "twin n=%d", n)
				require.Equal(t, math.Float64bits(want), math.Float64bits(got), "n=%d", n)
			}
		}
	})
}
