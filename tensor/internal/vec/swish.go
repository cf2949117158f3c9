package vec

import "math"

// Constants of Swish's exponential (Cephes' expf): exp(t) = 2^n·exp(r)
// with n = round(t·log2(e)) and r = t − n·ln2Hi − n·ln2Lo, exp(r) by a
// degree-7 polynomial.
const (
	swishExpLo = -87.0 // exp of less is taken as exp(−87), still normal
	swishExpHi = 88.0  // exp of more is taken as exp(88) (< MaxFloat32)
	swishLog2e = 1.44269504088896341
	swishLn2Hi = 0.693359375 // n·ln2Hi is exact for |n| ≤ 2^8
	swishLn2Lo = -2.12194440e-4
	swishP0    = 1.9875691500e-4
	swishP1    = 1.3981999507e-3
	swishP2    = 8.3334519073e-3
	swishP3    = 4.1665795894e-2
	swishP4    = 1.6666665459e-1
	swishP5    = 5.0000001201e-1
)

// Swish sets dst[i] = x[i]·σ(x[i]) = x[i] / (1 + exp(−x[i])) for i <
// len(dst), in float32 with the exponential of SwishGeneric (within a
// few units in the last place of the exact function). dst may be x.
func Swish(dst, x []float32) {
	x = x[:len(dst)]
	n := 0
	if useAsm {
		n = swishAsm(dst, x)
	}
	SwishGeneric(dst[n:], x[n:])
}

// SwishGeneric is the pure-Go twin of Swish, and its specification:
//
//	y = x / (1 + e),  e = expNeg(x)
//
// except that y = x·0 where −x > 88 (x·σ(x) is below 6e-37 in magnitude
// there; −Inf gives NaN, as x·σ(x) in float64 does). A NaN x gives a NaN.
func SwishGeneric(dst, x []float32) {
	x = x[:len(dst)]
	for i, v := range x {
		e, big := expNeg(v)
		y := v / (1 + e)
		if big {
			y = v * 0
		}
		dst[i] = y
	}
}

// NormalizeSwish sets dst[i] = Swish(min(max((x[i] − mean)·a + b, lo), hi))
// for i < len(dst): Normalize followed by Swish, the same results bit for
// bit, in one pass over the values where the AVX-512 kernel runs. dst may
// be x.
func NormalizeSwish(dst, x []float32, mean, a, b, lo, hi float32) {
	x = x[:len(dst)]
	if useAsm && normSwishAsm(dst, x, mean, a, b, lo, hi) {
		return
	}
	Normalize(dst, x, mean, a, b, lo, hi)
	Swish(dst, dst)
}

// Sigmoid sets dst[i] = σ(x[i]) = 1 / (1 + exp(−x[i])) for i < len(dst),
// in float32 with the exponential of SwishGeneric (within a few units in
// the last place of the exact function where σ(x) is above 1e-30). dst
// may be x.
func Sigmoid(dst, x []float32) {
	x = x[:len(dst)]
	n := 0
	if useAsm {
		n = sigmoidAsm(dst, x)
	}
	SigmoidGeneric(dst[n:], x[n:])
}

// SigmoidGeneric is the pure-Go twin of Sigmoid, and its specification:
//
//	y = 1 / (1 + e),  e = expNeg(x)
//
// except that y = 0 where −x > 88 (σ(x) is below 6e-39 there). A NaN x
// gives a NaN.
func SigmoidGeneric(dst, x []float32) {
	x = x[:len(dst)]
	for i, v := range x {
		e, big := expNeg(v)
		y := 1 / (1 + e)
		if big {
			y = 0
		}
		dst[i] = y
	}
}

// expNeg returns e = exp(−x) as the Swish and Sigmoid kernels form it,
// and whether −x > 88. Each operation below is one float32 operation,
// rounded once, in this order, fma(a, b, c) being a·b + c rounded once (a
// fused multiply-add, FMA32):
//
//	t = min(max(−x, −87), 88)
//	f = roundToEven(t·log2(e)),  n = int(f)
//	r = fma(−f, ln2Lo, fma(−f, ln2Hi, t)),  z = r·r
//	p = fma(fma(fma(fma(fma(fma(P0, r, P1), r, P2), r, P3), r, P4), r, P5), z, r) + 1
//	e = p·2^n
//
// (e = NaN for a NaN x). Where −x > 88 the callers replace their result,
// so e does not matter there.
func expNeg(v float32) (e float32, big bool) {
	t := -v
	big = swishExpHi < t
	if swishExpLo > t {
		t = swishExpLo
	}
	if swishExpHi < t {
		t = swishExpHi
	}
	f := float32(math.RoundToEven(float64(float32(t * swishLog2e))))
	r := FMA32(-f, swishLn2Hi, t)
	r = FMA32(-f, swishLn2Lo, r)
	z := float32(r * r)
	p := FMA32(swishP0, r, swishP1)
	p = FMA32(p, r, swishP2)
	p = FMA32(p, r, swishP3)
	p = FMA32(p, r, swishP4)
	p = FMA32(p, r, swishP5)
	p = FMA32(p, z, r)
	p = p + 1
	if f != f { // NaN
		return f, big
	}
	return float32(p * math.Float32frombits(uint32(int32(f)+127)<<23)), big
}
