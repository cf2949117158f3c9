package vec

import "math"

// FMA32 returns a·b + c rounded once to the nearest float32 (ties to
// even), the float32 fused multiply-add of VFMADD…PS, which Go does not
// have: float32(math.FMA(a, b, c)) in float64 rounds twice (to 53 bits,
// then to 24), which differs when the first rounding lands on a midpoint
// between two float32 values.
//
// a·b is exact in float64 (24 + 24 < 53 bits, and the exponents of two
// float32 values stay well inside float64's). The sum s = a·b + c is
// rounded to float64 with its error e found exactly (Knuth's TwoSum);
// where e ≠ 0 and s is even (last bit of its significand 0), s moves one
// unit toward e, which rounds a·b + c to odd instead: with 53 ≥ 24 + 2
// bits, rounding that to float32 to nearest gives the correctly rounded
// result (Boldo and Melquiond, "Emulation of FMA and correctly rounded
// sums: proved algorithms using rounding to odd", IEEE TC 2008), also
// where it is subnormal in float32. Infinities and NaNs pass through as
// the float64 sum gives them; a·b + c cannot overflow float64.
func FMA32(a, b, c float32) float32 {
	p := float64(a) * float64(b)
	s := p + float64(c)
	if math.IsInf(s, 0) || s != s {
		return float32(s)
	}
	// TwoSum: e = (p + c) − s exactly.
	cc := float64(c)
	pp := s - cc
	cv := s - pp
	e := (p - pp) + (cc - cv)
	if bits := math.Float64bits(s); e != 0 && bits&1 == 0 {
		if (e > 0) == (s > 0) {
			bits++ // away from zero
		} else {
			bits-- // toward zero
		}
		s = math.Float64frombits(bits)
	}
	return float32(s)
}
