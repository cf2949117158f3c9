// Package testnets holds what the tests and the interoperability checks
// (interop/) share: a network of the kind a search derives, and the
// measure by which logits are compared.
package testnets

import "math"

// SearchedArch is a network of the kind an architecture search derives, as
// arch strings: kernels 3 and 5, expansions 1, 3 and 6, layers dropped
// from the stages (fewer repeats than the MnasNet skeleton), squeeze-excite
// with ratios 0.25 and 0.5, and LightNL blocks with channel ratios 0.125
// and 0.25 and key strides 1 and 2. Its first block takes 32 channels, the
// stem's width.
const SearchedArch = `
r1_k3_s11_e1_i32_o16
r1_k5_s22_e3_i16_o24_nonlocal0.25
r1_k3_s11_e6_i24_o24_nonlocal0.125-2
r1_k5_s22_e6_i24_o40_se0.25
r2_k3_s11_e3_i40_o40_se0.25_nonlocal0.25-2
r1_k5_s22_e6_i40_o80_se0.25_nonlocal0.125
r1_k3_s11_e3_i80_o96_se0.5_nonlocal0.25-2
`

// RelDiff returns the relative difference of got from want,
// max|got − want| / max|want| (the absolute difference if want is all
// zeros), computed in float64; NaN if a value is NaN, so that a check
// d <= tolerance fails. It panics if the lengths differ.
func RelDiff(got, want []float32) float64 {
	if len(got) != len(want) {
		panic("testnets: RelDiff: lengths differ")
	}
	var num, den float64
	for i := range got {
		num = math.Max(num, math.Abs(float64(got[i])-float64(want[i])))
		den = math.Max(den, math.Abs(float64(want[i])))
	}
	if den == 0 {
		return num
	}
	return num / den
}
