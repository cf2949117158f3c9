package tensor

import (
	"github.com/autonl-go/autonl/internal/parallel"
	"github.com/autonl-go/autonl/tensor/internal/dwconv"
)

// Stride-1 depthwise convolutions that run on flattened planes
// (dwconv.FlatPlan) form every tap of a 16-output chunk with a shuffle
// (VALIGND) next to its multiply-add. With AVX-512 and 16 channels at a
// time, they can instead run on pixels of 16 lanes, each lane a channel
// (dwconv.PackC16 into a zero-padded buffer, dwconv.TapsC16,
// dwconv.UnpackC16): every multiply-add then reads its input pixel from
// memory, aligned, with no shuffle, and the tap's weight vector serves a
// block of up to 16 pixels (8 of 2 rows); the two transposes cost about
// one shuffle per 2 outputs. The results are FlatPlan.Run's, bit for bit.
// dwC16 chooses where.

// dwC16MinTaps is the smallest kernel (taps) that runs on pixels of 16
// channels (dwC16).
const dwC16MinTaps = 9

// dwC16 reports whether the stride-1 depthwise convolution g, which runs
// flat (dwFlat) forward and for its input gradient, runs on pixels of 16
// channels instead: the kernel variant has TapsC16 (AVX-512), one output
// per input channel, whole groups of 16 channels, a kernel of
// dwC16MinTaps taps or more and up to dwconv.C16MaxTaps.
func dwC16(g *convGeom) bool {
	return dwconv.HasTapsC16() && g.og == 1 && g.c%16 == 0 && g.kk() >= dwC16MinTaps && g.kk() <= dwconv.C16MaxTaps &&
		g.kh-1-g.ph >= 0 && g.kw-1-g.pw >= 0
}

// dwC16Run computes the stride-1 correlation of dwFlat's convolution g
// (outputs of the inputs' size) of the planes src into dst, 16 channels of
// one image at a time, with the kernel w in (p, q) order, or flipped (the
// input gradient, whose padding is then kh−1−ph rows and kw−1−pw columns),
// then ep, if not nil, on each group's planes.
func dwC16Run(g *convGeom, src, w, dst []float32, flip bool, ep *ConvEpilogue) {
	h, wd, kh, kw, kk := g.h, g.w, g.kh, g.kw, g.kk()
	pt, pl := g.ph, g.pw
	if flip {
		pt, pl = kh-1-g.ph, kw-1-g.pw
	}
	hw := h * wd
	wp := wd + kw - 1 // buffer row, pixels
	bufLen := (h + kh - 1) * wp * 16
	outLen := (hw + 15) / 16 * 256
	var offs [dwconv.C16MaxTaps]int32
	for p := range kh {
		for q := range kw {
			offs[p*kw+q] = int32((p*wp + q) * 16)
		}
	}
	// The weights of each group of 16 channels as kk pixels, in the taps'
	// order: tap t of the flipped kernel is weight kk−1−t.
	groups := g.c / 16
	wv := getScratch(g.c * kk)
	for gi := range groups {
		wg := wv[gi*16*kk : (gi+1)*16*kk]
		dwconv.PackC16(wg, w[gi*16*kk:], kk, 1, kk, kk, 16*kk)
		if flip {
			for t := range kk / 2 {
				a, b := wg[16*t:16*t+16], wg[16*(kk-1-t):16*(kk-t)]
				for l := range 16 {
					a[l], b[l] = b[l], a[l]
				}
			}
		}
	}
	grain := parallel.Grain(g.n*groups, max(1, depthwiseGrain/(16*hw*kk)), dwPlaneChunks)
	parallel.For(g.n*groups, grain, func(lo, hi int) {
		buf := getScratch(bufLen)
		clear(buf)
		out := getScratch(outLen)
		for gi := lo; gi < hi; gi++ {
			n, c0 := gi/groups, gi%groups*16
			p0 := n*g.c + c0
			dwconv.PackC16(buf[(pt*wp+pl)*16:], src[p0*hw:], hw, h, wd, wd, wp*16)
			dwconv.TapsC16(out, buf, wv[c0*kk:], offs[:kk], wd, h, wp*16, wd*16)
			dwconv.UnpackC16(dst[p0*hw:], out, hw, hw)
			if ep != nil {
				ep.planes(dst, p0, p0+16, hw, g.c)
			}
		}
		putScratch(buf)
		putScratch(out)
	})
	putScratch(wv)
}
