package vec

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestLaneSumsMatchesTwin checks every kernel variant of LaneSums against
// LaneSumsGeneric, bit for bit, on lengths around whole vectors, onto a
// non-zero accumulator (a −0 lane among them, which a lane without values
// must keep), with signed zeros, infinities and NaN among the values; and
// the twin against the definition, acc[j mod 16] += x[j] in increasing j.
func TestLaneSumsMatchesTwin(t *testing.T) {
	forEachVariant(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(11, 12))
		for _, n := range sizes {
			x := data(rng, n)
			var start [16]float64
			for l := range start {
				start[l] = rng.NormFloat64()
			}
			start[15] = math.Copysign(0, -1)
			want, got := start, start
			for j, v := range x {
				want[j%16] += float64(v)
			}
			twin := start
			LaneSumsGeneric(&twin, x)
			LaneSums(&got, x)
			for l := range 16 {
				if math.IsNaN(want[l]) {
					require.True(t, math.IsNaN(got[l]) && math.IsNaN(twin[l]), "n=%d lane %d", n, l)
					continue
				}
				require.Equal(t, math.Float64bits(want[l]), math.Float64bits(twin[l]), "twin n=%d lane %d", n, l)
				require.Equal(t, math.Float64bits(want[l]), math.Float64bits(got[l]), "n=%d lane %d", n, l)
			}
		}
	})
}
