package dwconv

import "fmt"

// c16MaxBlock and c16MaxBlock2 are the widest blocks of pixels of the
// TapsC16 kernels with one and two rows (as in ../asmgen).
const c16MaxBlock, c16MaxBlock2 = 14, 8

// c16Kw returns the index of the kernel width kw among those TapsC16
// takes (3, 5, 7), or −1.
func c16Kw(kw int) int {
	switch kw {
	case 3:
		return 0
	case 5:
		return 1
	case 7:
		return 2
	}
	return -1
}

// HasTapsC16 reports whether the kernel variant in use has TapsC16 for
// kernels kw columns wide (3, 5 or 7), and PackC16 (AVX-512).
func HasTapsC16(kw int) bool { return cur.tapsC16 != nil && HasC16() && c16Kw(kw) >= 0 }

// TapsC16 computes a depthwise correlation with a kh×kw kernel over
// pixels of 16 lanes, each lane a channel (see PackC16), into the planes
// of the channels: for lanes l < 16, r < ho and v < wo it sets
// y[l·plane + r·wo + v] to lane l of
//
//	Σ_{p<kh, q<kw} w[16(p·kw+q):][:16] ⊙ x[(r+p)·xrow + 16(v+q):][:16]   ((p, q) increasing, from 0)
//
// with fused multiply-adds in assembly (the results of FlatPlan.Run's
// assembly on the planes of the lanes when x holds them zero-padded, bit
// for bit); the pure-Go twin rounds each product. xrow is in elements, a
// multiple of 16. It panics unless HasTapsC16(kw).
func TapsC16(y, x, w []float32, kh, kw, wo, ho, xrow, plane int) {
	if !HasTapsC16(kw) {
		panic(fmt.Sprintf("dwconv: TapsC16: no kernel for %d-column kernels with kernel variant %s", kw, cur.name))
	}
	if kh < 1 || wo < 0 || ho < 0 || xrow < 0 || xrow%16 != 0 || plane < 0 || len(w) < 16*kh*kw {
		panic(fmt.Sprintf("dwconv: TapsC16: %d×%d kernel (%d weights), %d×%d pixels, stride %d, plane %d", kh, kw, len(w), ho, wo, xrow, plane))
	}
	if wo == 0 || ho == 0 {
		return
	}
	if (ho+kh-2)*xrow+16*(wo+kw-1) > len(x) || 15*plane+ho*wo > len(y) || plane < ho*wo {
		panic(fmt.Sprintf("dwconv: TapsC16: %d×%d pixels of a %d×%d kernel (stride %d, plane %d) do not fit x of %d or y of %d",
			ho, wo, kh, kw, xrow, plane, len(x), len(y)))
	}
	cur.tapsC16(y, x, w, kh, kw, wo, ho, xrow, plane)
}

// tapsC16Generic is the pure-Go twin of TapsC16.
func tapsC16Generic(y, x, w []float32, kh, kw, wo, ho, xrow, plane int) {
	for r := range ho {
		for v := range wo {
			var s [16]float32
			for p := range kh {
				for q := range kw {
					xs := x[(r+p)*xrow+16*(v+q):][:16]
					ws := w[16*(p*kw+q):][:16]
					for l := range 16 {
						s[l] += ws[l] * xs[l]
					}
				}
			}
			for l := range 16 {
				y[l*plane+r*wo+v] = s[l]
			}
		}
	}
}
