package dwconv

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// paddedPlaneS2 returns a random h×w plane x (with an infinity half of
// the time), a zero-padded copy buf of it whose columns are split by
// parity (padded column c at (c mod 2)·phase + c/2), and the tap offsets
// and the grid of vectors along rows (ldy apart) of a 3×3 correlation
// with stride 2 and padding 1 over buf.
func paddedPlaneS2(rng *rand.Rand, h, w int) (x, buf []float32, offs []int32, g Grid, ldy int) {
	x = randSlice(rng, h*w)
	if rng.IntN(2) == 0 {
		x[rng.IntN(len(x))] = float32(math.Inf(1))
	}
	ho, wo := (h+1)/2, (w+1)/2
	nvec := (wo + Lanes - 1) / Lanes
	phase := nvec*Lanes + 1 + rng.IntN(3)
	ldx := 2 * phase
	buf = make([]float32, (h+3)*ldx)
	for a := range h {
		for b := range w {
			c := b + 1
			buf[(a+1)*ldx+c%2*phase+c/2] = x[a*w+b]
		}
	}
	offs = make([]int32, 9)
	for p := range 3 {
		for q := range 3 {
			offs[3*p+q] = int32(p*ldx + q%2*phase + q/2)
		}
	}
	ldy = nvec * Lanes
	return x, buf, offs, Grid{Vecs: nvec, Rows: ho, XStep: Lanes, XRow: 2 * ldx, YStep: Lanes, YRow: ldy}, ldy
}

// TestPlane3x3S2MatchesTaps checks that Plane3x3S2 of every variant that
// has it (the pure-Go twin among them) gives bit for bit what Taps of the
// same variant gives on a zero-padded copy of the plane, for heights and
// widths odd and even, every remainder of chunks and strips, and infinite
// inputs (whose products must not reach the padding); and that the
// assembly kernels are within rounding of the twin.
func TestPlane3x3S2MatchesTaps(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	heights := []int{1, 2, 3, 4, 5, 8, 13}
	widths := []int{1, 2, 3, 7, 14, 15, 16, 28, 31, 32, 33, 56, 63, 64, 65, 112, 127, 128, 129, 200, 257}
	tested := 0
	for _, name := range Variants() {
		prev := Use(name)
		has := HasPlane3x3S2(16)
		Use(prev)
		if !has {
			continue
		}
		tested++
		for _, h := range heights {
			for _, w := range widths {
				x, buf, offs, g, ldy := paddedPlaneS2(rng, h, w)
				k := randSlice(rng, 9)
				ho, wo := (h+1)/2, (w+1)/2
				want := make([]float32, ho*ldy)
				got := randSlice(rng, ho*wo+Lanes)
				tail := append([]float32(nil), got[ho*wo:]...)
				twin := make([]float32, ho*wo)
				func() {
					defer Use(Use(name))
					Taps(want, buf, k, offs, g, false)
					Plane3x3S2(got[:ho*wo], x, k, h, w)
				}()
				plane3x3S2Generic(twin, x, k, h, w)
				msg := fmt.Sprintf("%s Plane3x3S2 against Taps: %d×%d", name, h, w)
				for i := range ho {
					sameBits(t, want[i*ldy:i*ldy+wo], got[i*wo:(i+1)*wo], fmt.Sprintf("%s, row %d", msg, i))
				}
				sameBits(t, tail, got[ho*wo:], msg+": past the plane")
				closeTo(t, twin, got[:ho*wo], 9, fmt.Sprintf("%s Plane3x3S2 against the twin: %d×%d", name, h, w))
			}
		}
	}
	require.Positive(t, tested, "no variant with Plane3x3S2 among %v", Variants())
}
