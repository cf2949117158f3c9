package vec

import (
	"math"
	"math/rand/v2"
	"testing"
)

// sizes exercise every tail: below one vector, between blocks, and long.
var sizes = func() []int {
	var s []int
	for n := range 70 {
		s = append(s, n)
	}
	return append(s, 127, 128, 129, 1000, 4099)
}()

// data returns n values around [−2, 8] with the special values that the
// kernels must treat as their twins do: bounds, signed zeros, infinities
// and NaN.
func data(rng *rand.Rand, n int) []float32 {
	special := []float32{0, float32(math.Copysign(0, -1)), 6, -1, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}
	x := make([]float32, n)
	for i := range x {
		if rng.IntN(8) == 0 {
			x[i] = special[rng.IntN(len(special))]
		} else {
			x[i] = float32(rng.Float64()*10 - 2)
		}
	}
	return x
}

// finite returns n values without special values.
func finite(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64()*3 + 1)
	}
	return x
}

// spread scales each element of x by a random power of two in
// 2⁻¹²..2¹².
func spread(rng *rand.Rand, x []float32) {
	for i := range x {
		x[i] = float32(math.Ldexp(float64(x[i]), rng.IntN(25)-12))
	}
}

func sameBits(t *testing.T, what string, n int, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s n=%d: element %d is %v, twin gives %v", what, n, i, got[i], want[i])
		}
	}
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

func TestElementwiseMatchTwins(t *testing.T) {
	t.Logf("kernels: %s", Kernel())
	forEachVariant(t, testElementwiseMatchTwins)
}

func testElementwiseMatchTwins(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range sizes {
		x, dy, y := data(rng, n+3), data(rng, n+3), data(rng, n+3)
		for _, op := range []struct {
			name    string
			f, twin func(dst, a, b []float32)
		}{{"Add", Add, AddGeneric}, {"Mul", Mul, MulGeneric}} {
			got, want := make([]float32, n+1), make([]float32, n+1)
			got[n], want[n] = 42, 42 // past the end: untouched
			op.f(got[:n], x, dy)
			op.twin(want[:n], x, dy)
			sameBits(t, op.name, n, got, want)
			// In place, dst being a.
			copy(got, x[:n])
			op.f(got[:n], got, dy)
			sameBits(t, op.name+" in place", n, got, want)
		}
		for _, c := range []float32{1.7, -0.25, 0, float32(math.Inf(1))} {
			got, want := make([]float32, n+1), make([]float32, n+1)
			got[n], want[n] = 42, 42
			Scale(got[:n], x, c)
			ScaleGeneric(want[:n], x, c)
			sameBits(t, "Scale", n, got, want)
			copy(got, x[:n])
			Scale(got[:n], got, c)
			sameBits(t, "Scale in place", n, got, want)
		}
		for _, b := range [][2]float32{{0, 6}, {0, float32(math.Inf(1))}, {float32(math.Inf(-1)), float32(math.Inf(1))}, {-1, 1}} {
			lo, hi := b[0], b[1]
			got, want := make([]float32, n+1), make([]float32, n+1)
			got[n], want[n] = 42, 42 // past the end: untouched
			Clamp(got[:n], x, lo, hi)
			ClampGeneric(want[:n], x, lo, hi)
			sameBits(t, "Clamp", n, got, want)

			ClampMask(got[:n], x, dy, lo, hi)
			ClampMaskGeneric(want[:n], x, dy, lo, hi)
			sameBits(t, "ClampMask", n, got, want)

			PositiveMask(got[:n], x, dy)
			PositiveMaskGeneric(want[:n], x, dy)
			sameBits(t, "PositiveMask", n, got, want)

			Normalize(got[:n], x, 0.5, 1.7, -0.3, lo, hi)
			NormalizeGeneric(want[:n], x, 0.5, 1.7, -0.3, lo, hi)
			sameBits(t, "Normalize", n, got, want)
			// In place, as batch norm's gathered passes call it: a kernel
			// that left part of its prefix to the twin, or did part twice,
			// would show here.
			copy(got, x[:n])
			Normalize(got[:n], got, 0.5, 1.7, -0.3, lo, hi)
			sameBits(t, "Normalize in place", n, got, want)
			copy(got, x[:n])
			NormalizeStream(got[:n], got, 0.5, 1.7, -0.3, lo, hi)
			sameBits(t, "NormalizeStream in place", n, got, want)
			// The streaming kernels from every alignment of dst (to 64
			// bytes).
			for o := range 17 {
				gs := make([]float32, n+o+1)
				gs[n+o] = 42
				NormalizeStream(gs[o:n+o], x, 0.5, 1.7, -0.3, lo, hi)
				sameBits(t, "NormalizeStream", n, gs[o:], want)
			}

			f := Affine{Mean: 0.25, A: 1.7, B: -0.3, Lo: lo, Hi: hi}
			BNGradMaskedX(got[:n], dy, x, 1.3, 0.1, 0.7, f)
			BNGradMaskedXGeneric(want[:n], dy, x, 1.3, 0.1, 0.7, f)
			sameBits(t, "BNGradMaskedX", n, got, want)
			copy(got, dy[:n]) // dx in place of dy, as batch norm's gathered passes
			BNGradMaskedX(got[:n], got, x, 1.3, 0.1, 0.7, f)
			sameBits(t, "BNGradMaskedX in place", n, got, want)
			copy(got, dy[:n])
			BNGradMaskedXStream(got[:n], got, x, 1.3, 0.1, 0.7, f)
			sameBits(t, "BNGradMaskedXStream in place", n, got, want)
			for o := range 17 {
				gs := make([]float32, n+o+1)
				gs[n+o] = 42
				BNGradMaskedXStream(gs[o:n+o], dy, x, 1.3, 0.1, 0.7, f)
				sameBits(t, "BNGradMaskedXStream", n, gs[o:], want)
			}
			// The mask from x is the mask from Normalize's output.
			yn := make([]float32, n)
			Normalize(yn, x, f.Mean, f.A, f.B, lo, hi)
			BNGradMasked(want[:n], dy, x, yn, 0.25, 1.3, 0.1, 0.7, lo, hi)
			sameBits(t, "BNGradMaskedX against BNGradMasked", n, got, want)

			BNGradMasked(got[:n], dy, x, y, 0.25, 1.3, 0.1, 0.7, lo, hi)
			BNGradMaskedGeneric(want[:n], dy, x, y, 0.25, 1.3, 0.1, 0.7, lo, hi)
			sameBits(t, "BNGradMasked", n, got, want)
			copy(got, dy[:n])
			BNGradMasked(got[:n], got, x, y, 0.25, 1.3, 0.1, 0.7, lo, hi)
			sameBits(t, "BNGradMasked in place", n, got, want)
		}
		got, want := make([]float32, n), make([]float32, n)
		BNGrad(got, dy, x, 0.25, 1.3, 0.1, 0.7)
		BNGradGeneric(want, dy, x, 0.25, 1.3, 0.1, 0.7)
		sameBits(t, "BNGrad", n, got, want)
		copy(got, dy[:n])
		BNGrad(got, got, x, 0.25, 1.3, 0.1, 0.7)
		sameBits(t, "BNGrad in place", n, got, want)
	}
}

func TestSumsMatchTwins(t *testing.T) { forEachVariant(t, testSumsMatchTwins) }

func testSumsMatchTwins(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i, n := range append(sizes, sizes...) {
		x, dy, y := finite(rng, n), finite(rng, n), data(rng, n)
		if i >= len(sizes) {
			// Magnitudes spread over 2⁻¹²..2¹²: sums whose float32 partial
			// sums round at every step, so that their order shows.
			spread(rng, x)
			spread(rng, dy)
		}
		var got, want Acc
		// Two calls into the same accumulator, as over the images of a
		// batch.
		for range 2 {
			Sums(&got, x, 0.75)
			SumsGeneric(&want, x, 0.75)
		}
		if got != want {
			t.Fatalf("Sums n=%d: lanes %v, twin %v", n, got, want)
		}
		got, want = Acc{}, Acc{}
		Dots(&got, dy, x, -0.5)
		DotsGeneric(&want, dy, x, -0.5)
		if got != want {
			t.Fatalf("Dots n=%d: lanes %v, twin %v", n, got, want)
		}
		f := Affine{Mean: -0.5, A: 1.3, B: 0.2, Lo: 0, Hi: 6}
		got, want = Acc{}, Acc{}
		DotsMaskedX(&got, dy, x, f)
		DotsMaskedXGeneric(&want, dy, x, f)
		if got != want {
			t.Fatalf("DotsMaskedX n=%d: lanes %v, twin %v", n, got, want)
		}
		yn := make([]float32, n)
		Normalize(yn, x, f.Mean, f.A, f.B, f.Lo, f.Hi)
		want = Acc{}
		DotsMasked(&want, dy, x, yn, -0.5, 0, 6)
		if got != want {
			t.Fatalf("DotsMaskedX n=%d differs from DotsMasked on Normalize's output", n)
		}
		got, want = Acc{}, Acc{}
		DotsMasked(&got, dy, x, y, -0.5, 0, 6)
		DotsMaskedGeneric(&want, dy, x, y, -0.5, 0, 6)
		if got != want {
			t.Fatalf("DotsMasked n=%d: lanes %v, twin %v", n, got, want)
		}
	}
}

// TestSumsAccuracy checks that the float32 partial sums of the blocks
// keep the sums within a few float32 roundings of the exact ones, on
// long inputs with a large mean.
func TestSumsAccuracy(t *testing.T) { forEachVariant(t, testSumsAccuracy) }

func testSumsAccuracy(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	n := 100003
	x, dy := make([]float32, n), make([]float32, n)
	var e1, e2, f1, f2 float64
	for i := range x {
		x[i] = float32(50 + 3*rng.NormFloat64())
		dy[i] = float32(rng.NormFloat64())
		d := float64(x[i] - 49)
		e1 += d
		e2 += d * d
		g := float64(dy[i])
		f1 += g
		f2 += g * float64(x[i]-50)
	}
	var a Acc
	Sums(&a, x, 49)
	s1, s2 := a.Totals()
	if math.Abs(s1-e1) > 1e-5*math.Abs(e1)+1e-3 || math.Abs(s2-e2) > 1e-6*e2 {
		t.Errorf("Sums: %v %v, want %v %v", s1, s2, e1, e2)
	}
	a = Acc{}
	Dots(&a, dy, x, 50)
	s1, s2 = a.Totals()
	if math.Abs(s1-f1) > 1e-4 || math.Abs(s2-f2) > 1e-5*math.Sqrt(float64(n))*3 {
		t.Errorf("Dots: %v %v, want %v %v", s1, s2, f1, f2)
	}
}

func TestSumsValues(t *testing.T) { forEachVariant(t, testSumsValues) }

func testSumsValues(t *testing.T) {
	x := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19}
	var a Acc
	Sums(&a, x, 10)
	s1, s2 := a.Totals()
	if s1 != 0 || s2 != 570 {
		t.Fatalf("Sums: %v %v, want 0 570", s1, s2)
	}
	dy := make([]float32, len(x))
	for i := range dy {
		dy[i] = 2
	}
	a = Acc{}
	DotsMasked(&a, dy, x, x, 10, 3, 17) // 4..16 pass: 13 values
	s1, s2 = a.Totals()
	if s1 != 26 || s2 != 0 {
		t.Fatalf("DotsMasked: %v %v, want 26 0", s1, s2)
	}
}
