package vec

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// swishInputs returns n values: normals of several scales, and the edge
// cases (zeros, ±Inf, NaN, the ends of the exponential's range, tiny and
// huge values) at random places.
func swishInputs(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	scales := []float64{0.01, 1, 5, 30, 120}
	for i := range x {
		x[i] = float32(rng.NormFloat64() * scales[rng.IntN(len(scales))])
	}
	inf := float32(math.Inf(1))
	for _, v := range []float32{0, float32(math.Copysign(0, -1)), inf, -inf, float32(math.NaN()), 87, -87, 88, -88, 87.5, -88.5,
		1e-30, -1e-30, 1e30, -1e30, math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32} {
		x[rng.IntN(n)] = v
	}
	return x
}

// expDivs are the kernels of swish.go with their twins.
var expDivs = []struct {
	name       string
	f, twin    func(dst, x []float32)
	exact      func(x float64) float64
	ulps, tiny float64 // accuracy: within ulps units in the last place, or tiny where the result is below tiny
}{
	{"Swish", Swish, SwishGeneric, func(x float64) float64 { return x / (1 + math.Exp(-x)) }, 4, 1e-30},
	{"Sigmoid", Sigmoid, SigmoidGeneric, func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }, 4, 1e-30},
}

// TestSwishMatchesTwin checks every kernel variant of Swish and Sigmoid
// against its twin, bit for bit, over lengths that exercise the AVX-512,
// AVX2 and Go parts, in place and not.
func TestSwishMatchesTwin(t *testing.T) {
	for _, k := range expDivs {
		t.Run(k.name, func(t *testing.T) {
			forEachVariant(t, func(t *testing.T) {
				rng := rand.New(rand.NewPCG(5, 6))
				for _, n := range []int{0, 1, 7, 8, 15, 16, 17, 24, 31, 32, 48, 85, 100, 1000, 4099} {
					x := swishInputs(rng, max(n, 1))[:n]
					want := make([]float32, n)
					k.twin(want, x)
					got := make([]float32, n)
					k.f(got, x)
					requireSameBits(t, want, got, "n=%d", n)
					k.f(x, x)
					requireSameBits(t, want, x, "n=%d in place", n)
				}
			})
		})
	}
}

// TestNormalizeSwishMatchesTwins checks NormalizeSwish, with every kernel
// variant, against NormalizeGeneric followed by SwishGeneric, bit for bit,
// over the lengths of TestSwishMatchesTwin, with and without clamps, in
// place and not, and that it writes nothing past len(dst).
func TestNormalizeSwishMatchesTwins(t *testing.T) {
	inf := float32(math.Inf(1))
	forEachVariant(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(9, 10))
		for _, n := range []int{0, 1, 7, 8, 15, 16, 17, 24, 31, 32, 48, 49, 85, 100, 196, 1000, 4099} {
			for _, p := range [][5]float32{{0.3, 1.7, -0.2, -inf, inf}, {-1, 0.5, 2, 0, 6}, {0, 30, 0, -inf, inf}} {
				x := swishInputs(rng, n+1)
				want := make([]float32, n+1)
				NormalizeGeneric(want[:n], x, p[0], p[1], p[2], p[3], p[4])
				SwishGeneric(want[:n], want[:n])
				want[n] = 42
				got := make([]float32, n+1)
				got[n] = 42
				NormalizeSwish(got[:n], x, p[0], p[1], p[2], p[3], p[4])
				requireSameBits(t, want, got, "n=%d %v", n, p)
				NormalizeSwish(x[:n], x, p[0], p[1], p[2], p[3], p[4])
				requireSameBits(t, want[:n], x[:n], "n=%d %v in place", n, p)
			}
		}
	})
}

// TestSwishSweep checks every kernel variant of Swish and Sigmoid against
// its twin, bit for bit, on float32 values spread over every exponent
// (every 997th bit pattern) and more densely where activations lie (every
// 509th pattern of magnitude below 32).
func TestSwishSweep(t *testing.T) {
	var x []float32
	for b := uint64(0); b < 1<<32; b += 997 {
		x = append(x, math.Float32frombits(uint32(b)))
	}
	for b := uint32(0); b < 0x42000000; b += 509 {
		x = append(x, math.Float32frombits(b), -math.Float32frombits(b))
	}
	for _, k := range expDivs {
		t.Run(k.name, func(t *testing.T) {
			want := make([]float32, len(x))
			k.twin(want, x)
			forEachVariant(t, func(t *testing.T) {
				got := make([]float32, len(x))
				k.f(got, x)
				requireSameBits(t, want, got, "sweep")
			})
		})
	}
}

// requireSameBits requires equal slices, NaNs equal to NaNs.
func requireSameBits(t *testing.T, want, got []float32, msg string, args ...any) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		if math.IsNaN(float64(want[i])) && math.IsNaN(float64(got[i])) {
			continue
		}
		if math.Float32bits(want[i]) != math.Float32bits(got[i]) {
			t.Fatalf("element %d: %v, want %v; %s", i, got[i], want[i], fmt.Sprintf(msg, args...))
		}
	}
}

// TestSwishAccuracy checks SwishGeneric against x·σ(x) and SigmoidGeneric
// against σ(x) in float64: within 4 units in the last place where the
// result is normal (and above 1e-30 in magnitude), exactly 0 or NaN where
// it must be, and x itself (1 for σ) for large x.
func TestSwishAccuracy(t *testing.T) {
	for _, k := range expDivs {
		t.Run(k.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, 8))
			x := swishInputs(rng, 200000)
			got := make([]float32, len(x))
			k.twin(got, x)
			for i, v := range x {
				f := float64(v)
				switch {
				case math.IsNaN(f):
					require.True(t, math.IsNaN(float64(got[i])))
					continue
				case math.IsInf(f, 1):
					require.Equal(t, float32(k.exact(f)), got[i])
					continue
				case math.IsInf(f, -1):
					want := k.exact(f) // NaN for Swish, 0 for Sigmoid
					if math.IsNaN(want) {
						require.True(t, math.IsNaN(float64(got[i])), "%s(-Inf) = %v", k.name, got[i])
					} else {
						require.Equal(t, float32(want), got[i])
					}
					continue
				}
				want := k.exact(f)
				if math.Abs(want) < k.tiny {
					require.InDelta(t, want, float64(got[i]), k.tiny, "x=%v", v)
					continue
				}
				ulp := math.Abs(float64(math.Nextafter32(float32(want), float32(math.Inf(1)))) - math.Abs(want))
				ulp = math.Max(ulp, float64(math.Nextafter32(float32(math.Abs(want)), float32(math.Inf(1))))-float64(float32(math.Abs(want))))
				require.InDelta(t, want, float64(got[i]), k.ulps*ulp, "x=%v", v)
			}
		})
	}
}

// BenchmarkSwish measures Swish in place on n values that stay in L1 (4
// Ki) and in L2 (64 Ki), as in a convolution's epilogue.
func BenchmarkSwish(b *testing.B) { benchmarkExpDiv(b, Swish) }

// BenchmarkSigmoid measures Sigmoid as BenchmarkSwish measures Swish.
func BenchmarkSigmoid(b *testing.B) { benchmarkExpDiv(b, Sigmoid) }

func benchmarkExpDiv(b *testing.B, f func(dst, x []float32)) {
	for _, n := range []int{49, 196, 1 << 12, 1 << 16} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			x := swishInputs(rand.New(rand.NewPCG(1, 2)), n)
			for i := range x {
				x[i] = max(min(x[i], 10), -10) // values of activations, no Inf or NaN
			}
			y := make([]float32, n)
			b.SetBytes(int64(4 * n))
			for b.Loop() {
				f(y, x)
			}
		})
	}
}
