package dwconv

import "fmt"

// C16MaxTaps is the largest kernel (taps) TapsC16 takes.
const C16MaxTaps = flatMaxKw * flatMaxKw

// HasTapsC16 reports whether the kernel variant in use has TapsC16 and
// UnpackC16 (AVX-512; PackC16 too, HasC16).
func HasTapsC16() bool { return cur.tapsC16 != nil && HasC16() }

// TapsC16 computes a depthwise correlation over pixels of 16 lanes, each
// lane a channel (see PackC16): for r < ho and v < wo it sets the pixel
// y[r·yrow + 16v:] to
//
//	Σ_{t<len(offs)} w[16t:16t+16] ⊙ x[r·xrow + 16v + offs[t]:][:16]   (per lane, t increasing, from 0)
//
// with fused multiply-adds in assembly (the results of FlatPlan.Run's
// assembly on the planes of the lanes when x holds them zero-padded and
// the taps are in the same order, bit for bit); the pure-Go twin rounds
// each product. Strides and offsets are in elements, multiples of 16.
// It panics unless HasTapsC16().
func TapsC16(y, x, w []float32, offs []int32, wo, ho, xrow, yrow int) {
	if !HasTapsC16() {
		panic(fmt.Sprintf("dwconv: TapsC16: no kernel with kernel variant %s", cur.name))
	}
	nt := len(offs)
	if nt < 1 || nt > C16MaxTaps || wo < 0 || ho < 0 || xrow < 0 || yrow < 0 || len(w) < 16*nt {
		panic(fmt.Sprintf("dwconv: TapsC16: %d taps (%d weights), %d×%d pixels, strides %d, %d", nt, len(w), ho, wo, xrow, yrow))
	}
	if wo == 0 || ho == 0 {
		return
	}
	lo, hi := int(offs[0]), int(offs[0])
	for _, o := range offs {
		if o%16 != 0 {
			panic(fmt.Sprintf("dwconv: TapsC16: offset %d is not a whole pixel", o))
		}
		lo, hi = min(lo, int(o)), max(hi, int(o))
	}
	last := (ho-1)*xrow + 16*wo
	if lo < 0 || last+hi > len(x) || (ho-1)*yrow+16*wo > len(y) || xrow%16 != 0 || yrow%16 != 0 {
		panic(fmt.Sprintf("dwconv: TapsC16: %d×%d pixels (strides %d, %d, offsets %d to %d) do not fit x of %d or y of %d",
			ho, wo, xrow, yrow, lo, hi, len(x), len(y)))
	}
	cur.tapsC16(y, x, w, offs, wo, ho, xrow, yrow)
}

// tapsC16Generic is the pure-Go twin of TapsC16.
func tapsC16Generic(y, x, w []float32, offs []int32, wo, ho, xrow, yrow int) {
	for r := range ho {
		for v := range wo {
			var s [16]float32
			for t, o := range offs {
				xs := x[r*xrow+16*v+int(o):][:16]
				ws := w[16*t:][:16]
				for l := range 16 {
					s[l] += ws[l] * xs[l]
				}
			}
			copy(y[r*yrow+16*v:], s[:])
		}
	}
}

// UnpackC16 is the inverse of PackC16 for rows stored one after the
// other: lane l of pixel src[16k:] goes to dst[l·plane + k], for k < n.
// src holds ⌈n/16⌉·16 pixels (the assembly reads the last 16 whole). It
// panics unless HasTapsC16().
func UnpackC16(dst, src []float32, plane, n int) {
	if !HasTapsC16() {
		panic(fmt.Sprintf("dwconv: UnpackC16: no kernel with kernel variant %s", cur.name))
	}
	if plane < 0 || n < 0 {
		panic(fmt.Sprintf("dwconv: UnpackC16: negative size or stride plane=%d n=%d", plane, n))
	}
	if n == 0 {
		return
	}
	if 15*plane+n > len(dst) || (n+15)/16*256 > len(src) {
		panic(fmt.Sprintf("dwconv: UnpackC16: %d pixels (plane %d) do not fit dst of %d or src of %d", n, plane, len(dst), len(src)))
	}
	cur.unpackC16(dst, src, plane, n)
}

// unpackC16Generic is the pure-Go twin of UnpackC16.
func unpackC16Generic(dst, src []float32, plane, n int) {
	for k := range n {
		for l := range 16 {
			dst[l*plane+k] = src[16*k+l]
		}
	}
}
