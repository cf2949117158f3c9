package vec

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// fma32Exact returns a·b + c rounded once to float32, from the exact sum in
// big.Float.
func fma32Exact(a, b, c float32) float32 {
	x := new(big.Float).SetPrec(1000).SetFloat64(float64(a))
	x.Mul(x, new(big.Float).SetPrec(1000).SetFloat64(float64(b)))
	x.Add(x, new(big.Float).SetPrec(1000).SetFloat64(float64(c)))
	if x.Sign() == 0 {
		// The sign of an exact zero: +0 unless both a·b and c are −0.
		return float32(float64(a)*float64(b) + float64(c))
	}
	f, _ := x.Float32()
	return f
}

// midpointCases returns triples (a, b, c) whose a·b + c lies within 2^-70
// relative of a midpoint between two float32 values, on either side, so
// that rounding it to float64 first lands on the midpoint: c a float32,
// a·b = ±ulp(c)/2·(1 + k·2^-23)(1 − k·2^-23) = ±ulp(c)/2·(1 − k²·2^-46).
func midpointCases(rng *rand.Rand, n int) [][3]float32 {
	var cs [][3]float32
	for len(cs) < n {
		c := math.Float32frombits(rng.Uint32()&^(0xff<<23) | uint32(1+rng.IntN(250))<<23) // normal, any sign
		half := float64(math.Nextafter32(c, float32(math.Inf(1)))-c) / 2
		if math.Abs(half) == 0 || math.IsInf(half, 0) {
			continue
		}
		half = math.Abs(half)
		k := float64(1 + rng.IntN(1<<10))
		a := float32(half * (1 + k*0x1p-23))
		b := float32(1 - k*0x1p-23)
		if rng.IntN(2) == 0 {
			a = -a
		}
		cs = append(cs, [3]float32{a, b, c})
	}
	return cs
}

// TestFMA32 checks FMA32 against the exactly rounded a·b + c: on sums near
// midpoints, where float32(math.FMA(…)) rounds twice and errs (the test
// requires that it does, somewhere), on subnormal results, signed zeros,
// infinities and NaNs, and on a random sweep over every exponent.
func TestFMA32(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	naiveWrong := 0
	for _, c := range midpointCases(rng, 20000) {
		a, b, cc := c[0], c[1], c[2]
		want := fma32Exact(a, b, cc)
		require.Equal(t, math.Float32bits(want), math.Float32bits(FMA32(a, b, cc)), "FMA32(%g, %g, %g)", a, b, cc)
		if float32(math.FMA(float64(a), float64(b), float64(cc))) != want {
			naiveWrong++
		}
	}
	require.Positive(t, naiveWrong, "no midpoint case tells FMA32 from float32(math.FMA)")
	t.Logf("float32(math.FMA) rounded %d of 20000 midpoint cases wrongly", naiveWrong)

	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	tiny := float32(math.SmallestNonzeroFloat32)
	for _, c := range [][3]float32{
		{0, 0, 0}, {-0.0, 0, 0}, {float32(math.Copysign(0, -1)), 1, float32(math.Copysign(0, -1))},
		{1, float32(math.Copysign(0, -1)), 0}, {2, 3, -6}, {-2, 3, 6},
		{tiny, 0.5, 0}, {tiny, 0.5, tiny}, {tiny, 1.5, 0}, {tiny, 2.5, 0}, {0x1p-75, 0x1p-75, tiny},
		{0x1p-126, 0.75, -0x1p-127}, {math.MaxFloat32, 2, 0}, {math.MaxFloat32, 1, math.MaxFloat32},
		{math.MaxFloat32, 2, -math.MaxFloat32}, {inf, 1, 1}, {inf, 0, 1}, {inf, 1, -inf}, {1, 1, inf}, {nan, 1, 1}, {1, 1, nan},
	} {
		got, naive := FMA32(c[0], c[1], c[2]), float32(math.FMA(float64(c[0]), float64(c[1]), float64(c[2])))
		if naive != naive {
			require.True(t, got != got, "FMA32(%g, %g, %g) = %g, want NaN", c[0], c[1], c[2], got)
			continue
		}
		want := naive
		if !math.IsInf(float64(naive), 0) {
			want = fma32Exact(c[0], c[1], c[2])
		}
		require.Equal(t, math.Float32bits(want), math.Float32bits(got), "FMA32(%g, %g, %g)", c[0], c[1], c[2])
	}

	// Random operands of every exponent, and c near −a·b (cancellation).
	r := func() float32 {
		return math.Float32frombits(rng.Uint32()&^(0xff<<23) | uint32(rng.IntN(255))<<23)
	}
	for range 200000 {
		a, b, c := r(), r(), r()
		if rng.IntN(4) == 0 {
			c = -float32(float64(a) * float64(b) * (1 + float64(rng.IntN(64)-32)*0x1p-24))
		}
		want := fma32Exact(a, b, c)
		if math.IsInf(float64(a)*float64(b)+float64(c), 0) || math.Abs(float64(want)) > math.MaxFloat32 {
			continue
		}
		require.Equal(t, math.Float32bits(want), math.Float32bits(FMA32(a, b, c)), "FMA32(%g, %g, %g)", a, b, c)
	}
}
