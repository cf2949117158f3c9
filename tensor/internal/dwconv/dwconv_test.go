package dwconv

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func randSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.Float64()*2 - 1)
	}
	return s
}

// randOffsets returns n tap offsets in [0, 40) and the largest of them.
func randOffsets(rng *rand.Rand, n int) (offs []int32, maxOff int) {
	offs = make([]int32, n)
	for i := range offs {
		offs[i] = int32(rng.IntN(40))
		maxOff = max(maxOff, int(offs[i]))
	}
	return offs, maxOff
}

// grids returns vector geometries that exercise every block size and
// remainder of the kernels (vector counts 1..19), vectors one after the
// other along rows (the AVX-512 kernels' pairs), down columns (which they
// transpose), and neither, with unit and non-unit strides.
func grids() []Grid {
	var gs []Grid
	for _, vecs := range []int{1, 2, 3, 4, 5, 7, 8, 9, 10, 12, 15, 16, 17, 19, 33} {
		for _, rows := range []int{1, 2, 3, 5, 6} {
			gs = append(gs,
				Grid{Vecs: vecs, Rows: rows, XStep: Lanes, XRow: vecs*Lanes + 5, YStep: Lanes, YRow: vecs * Lanes},
				Grid{Vecs: vecs, Rows: rows, XStep: vecs*Lanes + 3, XRow: Lanes, YStep: rows * Lanes, YRow: Lanes},
				Grid{Vecs: vecs, Rows: rows, XStep: 3*Lanes + 1, XRow: 2, YStep: rows * Lanes, YRow: Lanes},
				Grid{Vecs: vecs, Rows: rows, XStep: 1, XRow: 37, YStep: Lanes + 3, YRow: vecs*(Lanes+3) + 1})
		}
	}
	return gs
}

// tapOffsets returns sets of n tap offsets for a kernel on g, each with
// its largest offset: random ones and, for n = 9 on grids of vectors
// along rows or columns, those of a 3×3 kernel whose row p reads the
// input of the output row p after (as a forward convolution) or before
// (as its flipped kernel in the input gradient), which the AVX-512
// kernels compute over rows.
func tapOffsets(rng *rand.Rand, g Grid, n int) (sets [][]int32, maxOffs []int) {
	offs, m := randOffsets(rng, n)
	sets, maxOffs = append(sets, offs), append(maxOffs, m)
	r, ok := rowVectors(g)
	if n != 9 || !ok {
		return sets, maxOffs
	}
	base, dq := rng.IntN(5), 1+rng.IntN(2)
	fwd, rev := make([]int32, 9), make([]int32, 9)
	for p := range 3 {
		for q := range 3 {
			fwd[3*p+q] = int32(base + q*dq + p*r.XRow)
			rev[8-3*p-q] = fwd[3*p+q]
		}
	}
	m = base + 2*dq + 2*r.XRow
	return append(sets, fwd, rev), append(maxOffs, m, m)
}

// forEachVariant runs f as a subtest with each kernel variant the CPU runs
// in use (so that a CPU with AVX-512 tests its AVX2 kernels too).
func forEachVariant(t *testing.T, f func(t *testing.T)) {
	for _, name := range Variants() {
		t.Run(name, func(t *testing.T) {
			defer Use(Use(name))
			f(t)
		})
	}
}

// sameBits fails unless got and want hold the same float32 bit patterns.
func sameBits(t *testing.T, want, got []float32, msg string) {
	t.Helper()
	for i := range want {
		if math.Float32bits(want[i]) != math.Float32bits(got[i]) {
			require.Failf(t, "mismatch", "%s: element %d: want %v, got %v", msg, i, want[i], got[i])
		}
	}
}

func xLen(g Grid, maxOff int) int {
	lx, _ := g.last()
	return lx + maxOff + Lanes + 3
}

func yLen(g Grid) int {
	_, ly := g.last()
	return ly + Lanes + 2
}

func closeTo(t *testing.T, want, got []float32, terms int, msg string) {
	t.Helper()
	for i := range want {
		tol := 2e-6 * float64(terms+1) * (1 + math.Abs(float64(want[i])))
		if math.Abs(float64(want[i]-got[i])) > tol {
			require.Failf(t, "mismatch", "%s: element %d: want %v, got %v", msg, i, want[i], got[i])
		}
	}
}

// TestTapsMatchesGeneric compares the kernels in use, Taps and TapsVec,
// with their pure-Go twins.
func TestTapsMatchesGeneric(t *testing.T) {
	t.Logf("kernel: %s", Kernel())
	forEachVariant(t, testTapsMatchesGeneric)
}

func testTapsMatchesGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, g := range grids() {
		for _, ntaps := range []int{1, 3, 9, 25, 49} {
			sets, maxOffs := tapOffsets(rng, g, ntaps)
			for i, offs := range sets {
				testTapsCase(t, rng, g, offs, maxOffs[i])
			}
		}
	}
}

// testTapsCase compares Taps and TapsVec with their twins on g with the
// tap offsets offs.
func testTapsCase(t *testing.T, rng *rand.Rand, g Grid, offs []int32, maxOff int) {
	ntaps := len(offs)
	w := randSlice(rng, ntaps*Lanes)
	x := randSlice(rng, xLen(g, maxOff))
	for _, acc := range []bool{false, true} {
		y0 := randSlice(rng, yLen(g))
		want, got := append([]float32(nil), y0...), append([]float32(nil), y0...)
		tapsGeneric(want, x, w, offs, g, acc)
		Taps(got, x, w, offs, g, acc)
		closeTo(t, want, got, ntaps, fmt.Sprintf("%+v offs=%v acc=%v", g, offs, acc))
		wantV, gotV := append([]float32(nil), y0...), append([]float32(nil), y0...)
		tapsVecGeneric(wantV, x, w, offs, g, acc)
		TapsVec(gotV, x, w, offs, g, acc)
		closeTo(t, wantV, gotV, ntaps, fmt.Sprintf("TapsVec %+v offs=%v acc=%v", g, offs, acc))
		// Elements outside the output vectors are untouched.
		touched := make([]bool, len(y0))
		for r := range g.Rows {
			for v := range g.Vecs {
				for l := range Lanes {
					touched[r*g.YRow+v*g.YStep+l] = true
				}
			}
		}
		for i := range y0 {
			if !touched[i] {
				require.Equal(t, y0[i], got[i], "%+v: y[%d] outside the output changed", g, i)
				require.Equal(t, y0[i], gotV[i], "TapsVec %+v: y[%d] outside the output changed", g, i)
			}
		}
	}
}

// TestGradTapsMatchesGeneric compares each kernel variant with the twin
// for 1 to MaxGradTaps taps.
func TestGradTapsMatchesGeneric(t *testing.T) { forEachVariant(t, testGradTapsMatchesGeneric) }

func testGradTapsMatchesGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, g := range grids() {
		for n := 1; n <= MaxGradTaps; n++ {
			offs := make([]int, n)
			maxOff := 0
			for i := range offs {
				offs[i] = rng.IntN(30)
				maxOff = max(maxOff, offs[i])
			}
			x, dy := randSlice(rng, xLen(g, maxOff)), randSlice(rng, yLen(g))
			out0 := randSlice(rng, 2*MaxGradTaps*Lanes)
			want, got := append([]float32(nil), out0...), append([]float32(nil), out0...)
			gradTapsGeneric(want, dy, x, offs, g)
			GradTaps(got[:2*n*Lanes:2*n*Lanes], dy, x, offs, g)
			closeTo(t, want, got, g.Vecs*g.Rows, fmt.Sprintf("%+v offs=%v", g, offs))
			require.Equal(t, out0[2*n*Lanes:], got[2*n*Lanes:], "outputs past the taps changed")
			// Infinite inputs: a sum takes an infinity or NaN from the
			// products of its own vectors only, not from lanes that a
			// kernel reads past a row's last vector.
			for range 3 {
				x[rng.IntN(len(x))] = float32(math.Inf(1))
			}
			copy(want, out0)
			copy(got, out0)
			gradTapsGeneric(want, dy, x, offs, g)
			GradTaps(got[:2*n*Lanes], dy, x, offs, g)
			for i := range want {
				if math.IsNaN(float64(want[i])) != math.IsNaN(float64(got[i])) || math.IsInf(float64(want[i]), 0) != math.IsInf(float64(got[i]), 0) {
					require.Failf(t, "mismatch", "%+v offs=%v with infinite inputs: sum %d is %v, twin gives %v", g, offs, i, got[i], want[i])
				}
			}
		}
	}
}

// TestCopyRowsMatchesGeneric compares the row copy with its twin for
// every tail length, with and without a masked last row.
func TestCopyRowsMatchesGeneric(t *testing.T) { forEachVariant(t, testCopyRowsMatchesGeneric) }

func testCopyRowsMatchesGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for n := 1; n <= 27; n++ {
		for _, rows := range []int{1, 2, 5} {
			for _, maskLast := range []bool{false, true} {
				ds, ss := (n+Lanes-1)/Lanes*Lanes+rng.IntN(3), n+rng.IntN(4)
				src := randSlice(rng, (rows-1)*ss+n)
				dst0 := randSlice(rng, rows*ds+Lanes)
				want, got := append([]float32(nil), dst0...), append([]float32(nil), dst0...)
				copyRowsGeneric(want, src, n, rows, ds, ss, maskLast)
				CopyRows(got, src, n, rows, ds, ss, maskLast)
				require.Equal(t, want, got, "n=%d rows=%d maskLast=%v", n, rows, maskLast)
			}
		}
	}
}

// TestDeinterleave2MatchesGeneric compares the stride-2 split with its
// twin for every chunk remainder.
func TestDeinterleave2MatchesGeneric(t *testing.T) {
	forEachVariant(t, testDeinterleave2MatchesGeneric)
}

func testDeinterleave2MatchesGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for n := 1; n <= 40; n++ {
		for _, rows := range []int{1, 3} {
			w := (n + 15) / 16 * 8
			ds, ss := w+rng.IntN(3), n+rng.IntN(4)
			src := randSlice(rng, (rows-1)*ss+n)
			buf0 := randSlice(rng, 2*rows*ds)
			want, got := append([]float32(nil), buf0...), append([]float32(nil), buf0...)
			deinterleave2Generic(want[rows*ds:], want, src, n, rows, ds, ss)
			Deinterleave2(got[rows*ds:], got, src, n, rows, ds, ss)
			require.Equal(t, want, got, "n=%d rows=%d", n, rows)
		}
	}
}

// TestPackC8MatchesGeneric compares the interleaving kernels with their
// twins for widths and pixel counts that leave every tail of a vector.
func TestPackC8MatchesGeneric(t *testing.T) { forEachVariant(t, testPackC8MatchesGeneric) }

func testPackC8MatchesGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for w := 1; w <= 19; w++ {
		for _, rows := range []int{1, 3} {
			srow, drow := w+2, (w+3)*Lanes
			plane := rows*srow + 5
			src := randSlice(rng, (Lanes-1)*plane+rows*srow)
			d0 := randSlice(rng, rows*drow)
			want, got := append([]float32(nil), d0...), append([]float32(nil), d0...)
			packC8Generic(want, src, plane, rows, w, srow, drow)
			PackC8(got, src, plane, rows, w, srow, drow)
			require.Equal(t, want, got, "PackC8 w=%d rows=%d", w, rows)
		}
		n := w * 3
		plane := n + 4
		src := randSlice(rng, n*Lanes)
		d0 := randSlice(rng, Lanes*plane)
		want, got := append([]float32(nil), d0...), append([]float32(nil), d0...)
		unpackC8Generic(want, src, plane, n)
		UnpackC8(got, src, plane, n)
		require.Equal(t, want, got, "UnpackC8 n=%d", n)
	}
}

func TestBoundsPanics(t *testing.T) {
	w, offs := []float32{1}, []int32{4}
	g := Grid{Vecs: 2, Rows: 2, XStep: Lanes, XRow: 2 * Lanes, YStep: Lanes, YRow: 2 * Lanes}
	require.Panics(t, func() { Taps(make([]float32, 32), make([]float32, 35), w, offs, g, false) })
	require.Panics(t, func() { Taps(make([]float32, 31), make([]float32, 36), w, offs, g, false) })
	require.Panics(t, func() { Taps(make([]float32, 32), make([]float32, 36), w, []int32{-1}, g, false) })
	require.NotPanics(t, func() { Taps(make([]float32, 32), make([]float32, 36), w, offs, g, false) })
	require.Panics(t, func() { GradTaps(make([]float32, 16), make([]float32, 32), make([]float32, 35), []int{4}, g) })
	require.Panics(t, func() { GradTaps(make([]float32, 16), make([]float32, 32), make([]float32, 40), []int{-1}, g) })
	require.NotPanics(t, func() { GradTaps(make([]float32, 16), make([]float32, 32), make([]float32, 36), []int{4}, g) })
	require.Panics(t, func() { CopyRows(make([]float32, 15), make([]float32, 14), 7, 2, 8, 7, false) })
	require.NotPanics(t, func() { CopyRows(make([]float32, 15), make([]float32, 14), 7, 2, 8, 7, true) })
	require.Panics(t, func() { CopyRows(make([]float32, 16), make([]float32, 13), 7, 2, 8, 7, false) })
}

// TestTapsStreamMatchesTaps checks that TapsStream gives Taps's results bit
// for bit and leaves the rest of y alone, from every alignment of y
// (streaming stores when y and the strides are 32-byte aligned, regular
// ones otherwise), with vector counts that exercise every block.
func TestTapsStreamMatchesTaps(t *testing.T) { forEachVariant(t, testTapsStreamMatchesTaps) }

func testTapsStreamMatchesTaps(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	gs := grids()
	for _, vecs := range []int{1, 3, 7, 8, 13, 56} {
		for _, rows := range []int{1, 2, 7, 56} {
			gs = append(gs,
				Grid{Vecs: vecs, Rows: rows, XStep: Lanes, XRow: vecs*Lanes + 5, YStep: Lanes, YRow: vecs * Lanes},
				Grid{Vecs: vecs, Rows: rows, XStep: vecs*Lanes + 5, XRow: Lanes, YStep: rows * Lanes, YRow: Lanes},
				Grid{Vecs: vecs, Rows: rows, XStep: Lanes, XRow: vecs*Lanes + 3, YStep: 2 * Lanes, YRow: (2*vecs + 1) * Lanes})
		}
	}
	for _, g := range gs {
		for _, ntaps := range []int{1, 9, 25} {
			sets, maxOffs := tapOffsets(rng, g, ntaps)
			offs, maxOff := sets[len(sets)-1], maxOffs[len(sets)-1]
			w := randSlice(rng, ntaps)
			x := randSlice(rng, xLen(g, maxOff))
			for _, acc := range []bool{false, true} {
				y0 := randSlice(rng, yLen(g)+Lanes)
				want := append([]float32(nil), y0...)
				got := append([]float32(nil), y0...)
				for o := range Lanes {
					copy(want, y0)
					copy(got, y0)
					Taps(want[o:], x, w, offs, g, acc)
					TapsStream(got[o:], x, w, offs, g, acc)
					for i := range want {
						if math.Float32bits(want[i]) != math.Float32bits(got[i]) {
							require.Failf(t, "mismatch", "%+v ntaps=%d acc=%v offset %d: element %d: want %v, got %v",
								g, ntaps, acc, o, i, want[i], got[i])
						}
					}
				}
			}
		}
	}
}

// TestVariantsBitIdentical checks that every assembly variant gives the
// results of the AVX2 kernels (the last assembly variant) bit for bit:
// the AVX-512 kernels compute each lane's fused multiply-adds in the same
// order. On a CPU with only AVX2 there is nothing to compare.
func TestVariantsBitIdentical(t *testing.T) {
	names := Variants()
	if len(names) < 3 {
		t.Skipf("one assembly variant at most: %v", names)
	}
	ref := names[len(names)-2]
	rng := rand.New(rand.NewPCG(9, 10))
	run := func(name string, f func()) {
		defer Use(Use(name))
		f()
	}
	for _, g := range grids() {
		for _, ntaps := range []int{1, 2, 4, 9, 25} {
			sets, maxOffs := tapOffsets(rng, g, ntaps)
			for i, offs := range sets {
				maxOff := maxOffs[i]
				w := randSlice(rng, ntaps*Lanes)
				ioffs := make([]int, ntaps)
				for i, o := range offs {
					ioffs[i] = int(o)
				}
				x := randSlice(rng, xLen(g, maxOff))
				dy := randSlice(rng, yLen(g))
				y0 := randSlice(rng, yLen(g)+Lanes)
				sums0 := randSlice(rng, 2*ntaps*Lanes)
				// Results of Taps, TapsVec, TapsStream (both y alignments, acc
				// or not) and GradTaps, concatenated.
				results := func() []float32 {
					var out []float32
					for _, acc := range []bool{false, true} {
						for _, f := range []func(y, x, w []float32, offs []int32, g Grid, acc bool){Taps, TapsVec, TapsStream} {
							for o := range 2 {
								y := append([]float32(nil), y0...)
								f(y[o*Lanes/2:], x, w, offs, g, acc)
								out = append(out, y...)
							}
						}
					}
					for t0 := 0; t0 < ntaps; t0 += MaxGradTaps {
						n := min(MaxGradTaps, ntaps-t0)
						s := append([]float32(nil), sums0[:2*n*Lanes]...)
						GradTaps(s, dy, x, ioffs[t0:t0+n], g)
						out = append(out, s...)
					}
					return out
				}
				var want []float32
				run(ref, func() { want = results() })
				for _, name := range names[:len(names)-2] {
					var got []float32
					run(name, func() { got = results() })
					sameBits(t, want, got, fmt.Sprintf("%s against %s: %+v offs=%v", name, ref, g, offs))
				}
			}
		}
	}
}

// Plane sizes for the tests of Plane3x3 and GradPlane3x3: every row
// count of the kernels' three unrolled steps, widths with every remainder
// of chunks and strips.
var (
	planeHeights = []int{1, 2, 3, 4, 7, 33, 70} // 33 and 70: bands of plane3x3Band rows
	planeWidths  = []int{24, 32, 40, 56, 64, 72, 80, 128, 136, 200}
)

// planeVariants returns the kernel variants with Plane3x3 and
// GradPlane3x3, skipping the test if there is none, and checks the widths
// HasPlane3x3 refuses.
func planeVariants(t *testing.T) []string {
	var has []string
	for _, name := range Variants() {
		prev := Use(name)
		if HasPlane3x3(MinPlaneWidth) {
			has = append(has, name)
			require.False(t, HasPlane3x3(MinPlaneWidth+4), "%s: a width that is not a multiple of Lanes", name)
			require.False(t, HasPlane3x3(MinPlaneWidth-Lanes), name)
			require.False(t, HasPlane3x3(MaxPlaneWidth+Lanes), name)
		}
		Use(prev)
	}
	if len(has) == 0 {
		t.Skipf("no variant with plane kernels among %v", Variants())
	}
	return has
}

// paddedPlane returns a random h×w plane x (with an infinity half of the
// time), a zero-padded copy buf of it, and the tap offsets and the grid
// of vectors along rows of a 3×3 correlation with padding 1 over buf.
func paddedPlane(rng *rand.Rand, h, w int) (x, buf []float32, offs []int32, g Grid) {
	x = randSlice(rng, h*w)
	if rng.IntN(2) == 0 {
		x[rng.IntN(len(x))] = float32(math.Inf(1))
	}
	ldx := w + 2 + rng.IntN(3)
	buf = make([]float32, (h+2)*ldx+Lanes)
	for i := range h {
		copy(buf[(i+1)*ldx+1:], x[i*w:(i+1)*w])
	}
	offs = make([]int32, 9)
	for p := range 3 {
		for q := range 3 {
			offs[3*p+q] = int32(p*ldx + q)
		}
	}
	return x, buf, offs, Grid{Vecs: w / Lanes, Rows: h, XStep: Lanes, XRow: ldx, YStep: Lanes, YRow: w}
}

// TestPlane3x3MatchesTaps checks that Plane3x3, where a variant has it,
// gives bit for bit what Taps gives on a zero-padded copy of the plane
// with the offsets of a 3×3 kernel, with Taps of every assembly variant,
// for widths that leave every strip and chunk remainder, outputs at every
// 32-byte alignment (streaming stores where aligned), and infinite inputs
// (whose products must not reach the padding).
func TestPlane3x3MatchesTaps(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	has := planeVariants(t)
	refs := Variants()[:max(1, len(Variants())-1)]
	for _, h := range planeHeights {
		for _, w := range planeWidths {
			x, buf, offs, g := paddedPlane(rng, h, w)
			k := randSlice(rng, 9)
			for _, acc := range []bool{false, true} {
				y0 := randSlice(rng, h*w+2*Lanes)
				for _, ref := range refs {
					want := append([]float32(nil), y0...)
					func() {
						defer Use(Use(ref))
						Taps(want[:h*w], buf, k, offs, g, acc)
					}()
					for _, name := range has {
						for o := range 4 {
							for _, stream := range []bool{false, true} {
								got := make([]float32, len(y0)+2*Lanes)
								copy(got[4*o:], y0)
								func() {
									defer Use(Use(name))
									Plane3x3(got[4*o:4*o+h*w], x, k, h, w, acc, stream)
								}()
								sameBits(t, want, got[4*o:4*o+len(y0)], fmt.Sprintf("%s Plane3x3 against %s Taps: %d×%d acc=%v stream=%v offset %d",
									name, ref, h, w, acc, stream, 4*o))
							}
						}
					}
				}
			}
		}
	}
}

// TestGradPlane3x3MatchesGradTaps checks that GradPlane3x3, where a
// variant has it, gives bit for bit what GradTaps gives on a zero-padded
// copy of the plane with vectors along rows, with GradTaps of every
// assembly variant, accumulating into given sums.
func TestGradPlane3x3MatchesGradTaps(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	has := planeVariants(t)
	refs := Variants()[:max(1, len(Variants())-1)]
	for _, h := range planeHeights {
		for _, w := range planeWidths {
			x, buf, offs, g := paddedPlane(rng, h, w)
			ioffs := make([]int, 9)
			for i, o := range offs {
				ioffs[i] = int(o)
			}
			dy := randSlice(rng, h*w)
			out0 := randSlice(rng, 2*9*Lanes)
			// Negative zeros stay so in sums that nothing adds to (the odd
			// sums of a row of one vector), even past a row's last vector.
			for i := range out0 {
				if rng.IntN(3) == 0 {
					out0[i] = float32(math.Copysign(0, -1))
				}
			}
			for _, ref := range refs {
				want := append([]float32(nil), out0...)
				func() {
					defer Use(Use(ref))
					GradTaps(want, dy, buf, ioffs, g)
				}()
				for _, name := range has {
					got := append([]float32(nil), out0...)
					func() {
						defer Use(Use(name))
						GradPlane3x3(got, dy, x, h, w)
					}()
					sameBits(t, want, got, fmt.Sprintf("%s GradPlane3x3 against %s GradTaps: %d×%d", name, ref, h, w))
				}
			}
		}
	}
}

// TestC16MatchesC8 checks PackC16 and GradC16, where the variant in use
// has them, against PackC8 and GradTaps on each half of the lanes (pixels
// of 8): the same pixels, and the same float64 totals bit for bit, for
// grids of one to nine vectors per row, several rows, strides 1 and 2,
// and totals that start at given values; PackC16 also on planes whose
// rows lie apart.
func TestC16MatchesC8(t *testing.T) {
	if !HasC16() {
		t.Skipf("no PackC16 and GradC16 with kernel variant %s", Kernel())
	}
	rng := rand.New(rand.NewPCG(29, 30))
	for _, vecs := range []int{1, 2, 3, 7, 8, 9} {
		for _, rows := range []int{1, 2, 5} {
			for _, s := range []int{1, 2} {
				// An h×w plane per channel, 16 channels, in pixels of 8
				// (two groups) and of 16, ld pixels per row.
				h, w := (rows-1)*s+3, (vecs-1)*s+3
				ld := w + rng.IntN(2)
				plane := h*w + rng.IntN(3)
				src := randSlice(rng, 16*plane)
				dy := randSlice(rng, 16*rows*vecs)
				p8 := [2][]float32{make([]float32, h*ld*Lanes+Lanes), make([]float32, h*ld*Lanes+Lanes)}
				d8 := [2][]float32{make([]float32, rows*vecs*Lanes), make([]float32, rows*vecs*Lanes)}
				p16 := make([]float32, h*ld*2*Lanes+2*Lanes)
				d16 := make([]float32, rows*vecs*2*Lanes)
				for k := range 2 {
					PackC8(p8[k], src[k*Lanes*plane:], plane, h, w, w, ld*Lanes)
					PackC8(d8[k], dy[k*Lanes*rows*vecs:], rows*vecs, 1, rows*vecs, rows*vecs, rows*vecs*Lanes)
				}
				PackC16(p16, src, plane, h, w, w, ld*2*Lanes)
				PackC16(d16, dy, rows*vecs, 1, rows*vecs, rows*vecs, rows*vecs*2*Lanes)
				for i := range h * ld {
					for k := range 2 {
						sameBits(t, p8[k][i*Lanes:(i+1)*Lanes], p16[(2*i+k)*Lanes:(2*i+k+1)*Lanes], fmt.Sprintf("PackC16 %d×%d pixel %d half %d", h, w, i, k))
					}
				}
				// Rows apart in the planes (srow > w): the 8-lane kernels.
				sp := w + 2
				src2 := randSlice(rng, 16*h*sp)
				q16 := make([]float32, h*ld*2*Lanes+2*Lanes)
				PackC16(q16, src2, h*sp, h, w, sp, ld*2*Lanes)
				for k := range 2 {
					q8 := make([]float32, h*ld*Lanes+Lanes)
					PackC8(q8, src2[k*Lanes*h*sp:], h*sp, h, w, sp, ld*Lanes)
					for i := range h * ld {
						sameBits(t, q8[i*Lanes:(i+1)*Lanes], q16[(2*i+k)*Lanes:(2*i+k+1)*Lanes], fmt.Sprintf("PackC16 %d×%d rows %d apart, pixel %d half %d", h, w, sp, i, k))
					}
				}
				var offs8, offs16 []int
				for p := range 3 {
					for q := range 3 {
						offs8 = append(offs8, (p*ld+q)*Lanes)
						offs16 = append(offs16, (p*ld+q)*2*Lanes)
					}
				}
				g8 := Grid{Vecs: vecs, Rows: rows, XStep: s * Lanes, XRow: s * ld * Lanes, YStep: Lanes, YRow: vecs * Lanes}
				g16 := Grid{Vecs: vecs, Rows: rows, XStep: s * 2 * Lanes, XRow: s * ld * 2 * Lanes, YStep: 2 * Lanes, YRow: vecs * 2 * Lanes}
				tot0 := make([]float64, 2*9*Lanes)
				for i := range tot0 {
					tot0[i] = rng.Float64()
				}
				want := append([]float64(nil), tot0...)
				for k := range 2 {
					sums := make([]float32, 2*9*Lanes)
					GradTaps(sums, d8[k], p8[k], offs8, g8)
					for tp := range 9 {
						for l := range Lanes {
							want[k*9*Lanes+tp*Lanes+l] += float64(sums[2*tp*Lanes+l] + sums[(2*tp+1)*Lanes+l])
						}
					}
				}
				got := append([]float64(nil), tot0...)
				GradC16(got[:9*Lanes], got[9*Lanes:], d16, p16, offs16, g16)
				for i := range want {
					require.Equal(t, math.Float64bits(want[i]), math.Float64bits(got[i]), "GradC16 %+v: total %d: want %v, got %v", g16, i, want[i], got[i])
				}
			}
		}
	}
}

// TestSumLanes checks SumLanes: every variant gives, bit for bit, the
// lanes of each tap's even and odd sums added one at a time from 0 (the
// definition, written out here), for 3×3 kernels (the assembly kernels,
// 8 channels at a time, and the rest one by one) and 5×5 ones (taps in
// groups of MaxGradTaps), channels strided apart, sums with negative
// zeros, infinities and huge values whose order matters; and that
// gradients past the channels' are untouched.
func TestSumLanes(t *testing.T) {
	rng := rand.New(rand.NewPCG(29, 30))
	for _, kk := range []int{9, 25} {
		size := 2 * ((kk + MaxGradTaps - 1) / MaxGradTaps) * MaxGradTaps * Lanes
		for _, n := range []int{0, 1, 7, 8, 9, 16, 23, 40} {
			stride := size + 16*rng.IntN(2)
			sums := randSlice(rng, max(0, (n-1)*stride+size))
			for i := range sums {
				switch rng.IntN(12) {
				case 0:
					sums[i] = float32(math.Copysign(0, -1))
				case 1:
					sums[i] = 3e38
				case 2:
					sums[i] = -3e38
				}
			}
			if n > 0 {
				sums[rng.IntN(len(sums))] = float32(math.Inf(1))
			}
			want := make([]float32, n*kk+3)
			for o := range n {
				for tp := range kk {
					g, u := tp/MaxGradTaps, tp%MaxGradTaps
					e := sums[o*stride+(2*g*MaxGradTaps+2*u)*Lanes:]
					od := sums[o*stride+(2*g*MaxGradTaps+2*u+1)*Lanes:]
					var s float32
					for l := range Lanes {
						s = s + (e[l] + od[l])
					}
					want[o*kk+tp] = s
				}
			}
			for _, name := range Variants() {
				got := make([]float32, n*kk+3)
				func() {
					defer Use(Use(name))
					SumLanes(got, sums, kk, n, stride)
				}()
				sameBits(t, want, got, fmt.Sprintf("%s: %d channels of %d taps, stride %d", name, n, kk, stride))
			}
		}
	}
}
