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
// assembly kernels are within rounding of the twin. The plane is computed
// between two others, in one call with them.
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
				k := randSlice(rng, 27)
				ho, wo := (h+1)/2, (w+1)/2
				want := make([]float32, ho*ldy)
				xs := append(append(randSlice(rng, h*w), x...), randSlice(rng, h*w)...)
				all := randSlice(rng, 3*ho*wo+Lanes)
				tail := append([]float32(nil), all[3*ho*wo:]...)
				got := all[ho*wo:]
				twin := make([]float32, ho*wo)
				func() {
					defer Use(Use(name))
					Taps(want, buf, k[9:], offs, g, false)
					Plane3x3S2(all[:3*ho*wo], xs, k, h, w, 3)
				}()
				plane3x3S2Generic(twin, x, k[9:], h, w, 1)
				msg := fmt.Sprintf("%s Plane3x3S2 against Taps: %d×%d", name, h, w)
				for i := range ho {
					sameBits(t, want[i*ldy:i*ldy+wo], got[i*wo:(i+1)*wo], fmt.Sprintf("%s, row %d", msg, i))
				}
				sameBits(t, tail, all[3*ho*wo:], msg+": past the planes")
				closeTo(t, twin, got[:ho*wo], 9, fmt.Sprintf("%s Plane3x3S2 against the twin: %d×%d", name, h, w))
			}
		}
	}
	require.Positive(t, tested, "no variant with Plane3x3S2 among %v", Variants())
}

// s2Sizes are the plane heights and widths of the stride-2 plane tests:
// odd and even, every remainder of chunks and strips.
var (
	s2Heights = []int{1, 2, 3, 4, 5, 8, 13}
	s2Widths  = []int{1, 2, 3, 7, 14, 15, 16, 17, 28, 31, 32, 33, 56, 63, 64, 65, 112, 127, 128, 129, 200, 257}
)

// s2Refs returns, for the variant name, the variants whose GradTaps and
// Taps its stride-2 plane kernels must match bit for bit: itself and, for
// an assembly variant, every assembly variant.
func s2Refs(name string) []string {
	if name == "generic" {
		return []string{name}
	}
	return Variants()[:len(Variants())-1]
}

// s2PlaneVariants returns the variants that have the stride-2 plane
// kernels, failing the test if none has.
func s2PlaneVariants(t *testing.T) []string {
	var has []string
	for _, name := range Variants() {
		prev := Use(name)
		if HasPlane3x3S2(16) {
			has = append(has, name)
		}
		Use(prev)
	}
	require.NotEmpty(t, has, "no variant with the stride-2 plane kernels among %v", Variants())
	return has
}

// forS2Cases runs f for every variant with the stride-2 plane kernels and
// every plane size of s2Heights and s2Widths, with one to three planes.
func forS2Cases(t *testing.T, rng *rand.Rand, f func(name string, h, w, np int)) {
	for _, name := range s2PlaneVariants(t) {
		for _, h := range s2Heights {
			for _, w := range s2Widths {
				f(name, h, w, 1+rng.IntN(3))
			}
		}
	}
}

// TestGradPlane3x3S2MatchesGradTaps checks that GradPlane3x3S2 of every
// variant that has it (the pure-Go twin among them), on one to three
// planes at once, gives bit for bit what GradTaps gives on a zero-padded
// copy of each plane split by column parity and a copy of its dy padded
// to whole vectors, accumulating into given sums (negative zeros among
// them, which stay so where nothing is added).
func TestGradPlane3x3S2MatchesGradTaps(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	forS2Cases(t, rng, func(name string, h, w, np int) {
		ho, wo := (h+1)/2, (w+1)/2
		var xs, dys, out0 []float32
		type ref struct {
			buf, dyPad []float32
			offs       []int
			g          Grid
		}
		var refs []ref
		for range np {
			x, buf, offs, g, ldy := paddedPlaneS2(rng, h, w)
			ioffs := make([]int, 9)
			for i, o := range offs {
				ioffs[i] = int(o)
			}
			dy := randSlice(rng, ho*wo)
			dyPad := make([]float32, ho*ldy)
			for i := range ho {
				copy(dyPad[i*ldy:], dy[i*wo:(i+1)*wo])
			}
			xs, dys = append(xs, x...), append(dys, dy...)
			refs = append(refs, ref{buf, dyPad, ioffs, g})
		}
		out0 = randSlice(rng, np*GradSums)
		for i := range out0 {
			if rng.IntN(3) == 0 {
				out0[i] = float32(math.Copysign(0, -1))
			}
		}
		got := append([]float32(nil), out0...)
		func() {
			defer Use(Use(name))
			GradPlane3x3S2(got, dys, xs, h, w, np)
		}()
		for _, rv := range s2Refs(name) {
			want := append([]float32(nil), out0...)
			func() {
				defer Use(Use(rv))
				for k, r := range refs {
					GradTaps(want[k*GradSums:(k+1)*GradSums], r.dyPad, r.buf, r.offs, r.g)
				}
			}()
			sameBits(t, want, got, fmt.Sprintf("%s GradPlane3x3S2 against %s GradTaps: %d planes %d×%d", name, rv, np, h, w))
		}
	})
}

// TestGradInput3x3S2MatchesTaps checks that GradInput3x3S2 of every
// variant that has it, on one to three planes at once, gives bit for bit
// what Taps gives with the flipped kernel on dy spread over a zero buffer
// (dy[i][j] at row 2i+1 and column 2j+1), with infinite elements of dy,
// and writes nothing past dx.
func TestGradInput3x3S2MatchesTaps(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	forS2Cases(t, rng, func(name string, h, w, np int) {
		ho, wo := (h+1)/2, (w+1)/2
		dy := randSlice(rng, np*ho*wo)
		if rng.IntN(2) == 0 {
			dy[rng.IntN(len(dy))] = float32(math.Inf(-1))
		}
		k := randSlice(rng, 9*np)
		got := randSlice(rng, np*h*w+2*Lanes)
		tail := append([]float32(nil), got[np*h*w:]...)
		func() {
			defer Use(Use(name))
			GradInput3x3S2(got[:np*h*w], dy, k, h, w, np)
		}()
		sameBits(t, tail, got[np*h*w:], fmt.Sprintf("%s GradInput3x3S2 %d×%d: past dx", name, h, w))
		nvec := (w + Lanes - 1) / Lanes
		ld := nvec*Lanes + 2 + rng.IntN(3)
		offs := make([]int32, 9)
		for p := range 3 {
			for q := range 3 {
				offs[3*p+q] = int32(p*ld + q)
			}
		}
		ldy := nvec * Lanes
		g := Grid{Vecs: nvec, Rows: h, XStep: Lanes, XRow: ld, YStep: Lanes, YRow: ldy}
		for pl := range np {
			var flipped [9]float32
			for t := range 9 {
				flipped[t] = k[9*pl+8-t]
			}
			buf := make([]float32, (h+3)*ld)
			for i := range ho {
				for j := range wo {
					buf[(2*i+1)*ld+2*j+1] = dy[pl*ho*wo+i*wo+j]
				}
			}
			for _, ref := range s2Refs(name) {
				want := make([]float32, h*ldy)
				func() {
					defer Use(Use(ref))
					Taps(want, buf, flipped[:], offs, g, false)
				}()
				for a := range h {
					sameBits(t, want[a*ldy:a*ldy+w], got[(pl*h+a)*w:(pl*h+a+1)*w],
						fmt.Sprintf("%s GradInput3x3S2 against %s Taps: plane %d of %d, %d×%d, row %d", name, ref, pl, np, h, w, a))
				}
			}
		}
	})
}

// TestGradNarrow3x3S2 checks GradNarrow3x3S2: every assembly variant gives
// the same sums bit for bit (the AVX-512 kernel and the AVX2 one over
// the rows split by column parity), each within rounding of the pure-Go twin,
// for heights and widths odd and even up to 16 (chunks of two output
// rows and a last one of one), one to three planes a call, sums that start
// at given values (negative zeros among them), and infinite inputs; that
// sums past the planes' are untouched; and that the lanes added up give
// the weight gradient of a naive loop.
func TestGradNarrow3x3S2(t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 28))
	require.False(t, HasGradNarrow3x3S2(8, 17))
	for _, h := range []int{1, 2, 3, 4, 5, 6, 7, 8, 11, 13, 14, 17} {
		for w := 1; w <= 16; w++ {
			for _, inf := range []bool{false, true} {
				ho, wo := (h+1)/2, (w+1)/2
				n := 1 + rng.IntN(3)
				x, dy := randSlice(rng, n*h*w), randSlice(rng, n*ho*wo)
				if inf {
					x[rng.IntN(len(x))] = float32(math.Inf(1))
				}
				out0 := randSlice(rng, n*GradSums+16)
				for i := range out0 {
					if rng.IntN(5) == 0 {
						out0[i] = float32(math.Copysign(0, -1))
					}
				}
				msg := fmt.Sprintf("%d planes %d×%d inf %v", n, h, w, inf)
				twin := append([]float32(nil), out0...)
				gradNarrowS2Generic(twin, dy, x, h, w, n)
				var ref []float32
				for _, name := range Variants() {
					got := append([]float32(nil), out0...)
					func() {
						defer Use(Use(name))
						GradNarrow3x3S2(got[:n*GradSums], dy, x, h, w, n)
					}()
					require.Equal(t, out0[n*GradSums:], got[n*GradSums:], "%s %s: sums past the planes changed", name, msg)
					if name == "generic" {
						sameBits(t, twin, got, name+" "+msg)
						continue
					}
					if ref == nil {
						ref = got
					} else {
						sameBits(t, ref, got, fmt.Sprintf("%s against %s: %s", name, Variants()[0], msg))
					}
					if !inf {
						closeTo(t, twin, got, n*ho, name+" "+msg)
					}
				}
				if inf {
					continue
				}
				sums := make([]float32, n*GradSums)
				gradNarrowS2Generic(sums, dy, x, h, w, n)
				for m := range n {
					for tp := range 9 {
						p, q := tp/3, tp%3
						var want, got float64
						for i := range ho {
							for j := range wo {
								if a, b := 2*i+p-1, 2*j+q-1; a >= 0 && a < h && b >= 0 && b < w {
									want += float64(dy[m*ho*wo+i*wo+j]) * float64(x[m*h*w+a*w+b])
								}
							}
						}
						for l := range 16 {
							got += float64(sums[m*GradSums+16*tp+l])
						}
						require.InDelta(t, want, got, 1e-4*float64(h*w+1), "%s: plane %d tap %d", msg, m, tp)
					}
				}
			}
		}
	}
}
