package tensor

import (
	"github.com/autonl-go/autonl/internal/parallel"
	"github.com/autonl-go/autonl/tensor/internal/dwconv"
)

// Stride-1 depthwise convolutions that run on flattened planes
// (dwconv.FlatPlan) form every tap of a 16-output chunk with a shuffle
// (VALIGND) next to its multiply-add, and waste the lanes past the plane's
// last chunk (15 of 64 on 7×7 maps). With AVX-512 and 16 channels at a
// time, they can instead run on pixels of 16 lanes, each lane a channel:
// dwconv.PackC16 into a zero-padded buffer, then dwconv.TapsC16, which
// loads each input pixel of a block's window once and applies it to the
// up to kw outputs it reaches with the row's kw weight vectors held in
// registers (no shuffle per multiply-add, about 0.3–0.5 loads each), and
// transposes each block's sums into the planes. The two transposes cost
// 8 shuffles per 16 outputs, which kernels of 25 taps and more amortize
// (on any AVX-512 core: fewer shuffles and loads per multiply-add than
// FlatPlan); 3×3 kernels only where the flattened planes waste a quarter
// of their lanes or more (7×7 maps) and on Intel CPUs, the only ones
// measured. The results are FlatPlan.Run's, bit for bit.
// Intel Xeon (KVM, AVX-512), one thread, GFLOP/s flat → 16 channels:
// 5×5 on 7×7 (C576) 50 → 93, 7×7 on 14×14 (C240) 67 → 115, 5×5 on
// 14×14 (C480) 62 → 89, 5×5 on 56×56 (C144) 69 → 81, 3×3 on 7×7 (C960)
// 39 → 46, and 3×3 on 14×14 (C384) 43 → 39, which stays flat
// (benchmarks/README.md, dw8).

// dwC16Enabled turns the path off for the tests that compare it with
// FlatPlan.
var dwC16Enabled = true

// dwC16MinTaps is the smallest kernel (taps) that runs on pixels of 16
// channels on any map (dwC16).
const dwC16MinTaps = 25

// dwC16 reports whether the stride-1 depthwise convolution g, which runs
// flat (dwFlat) forward and for its input gradient, runs on pixels of 16
// channels instead: the kernel variant has TapsC16 for the kernel's
// width (AVX-512; 3, 5 or 7 columns), one output per input channel,
// whole groups of 16 channels, and a kernel of dwC16MinTaps taps or more,
// or one of 9 or more on planes whose last chunk of 16 outputs leaves a
// quarter of the lanes of the flattened plane empty, on the CPUs where
// that was measured faster (dwconv.C16SmallKernels: Intel).
func dwC16(g *convGeom) bool {
	if !dwC16Enabled || !dwconv.HasTapsC16(g.kw) || g.og != 1 || g.c%16 != 0 || g.kh-1-g.ph < 0 || g.kw-1-g.pw < 0 {
		return false
	}
	hw := g.hw()
	return g.kk() >= dwC16MinTaps || g.kk() >= 9 && 4*((hw+15)/16*16) >= 5*hw && dwconv.C16SmallKernels()
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
		for gi := lo; gi < hi; gi++ {
			n, c0 := gi/groups, gi%groups*16
			p0 := n*g.c + c0
			dwconv.PackC16(buf[(pt*wp+pl)*16:], src[p0*hw:], hw, h, wd, wd, wp*16)
			dwconv.TapsC16(dst[p0*hw:], buf, wv[c0*kk:], kh, kw, wd, h, wp*16, hw)
			if ep != nil {
				ep.planes(dst, p0, p0+16, hw, g.c)
			}
		}
		putScratch(buf)
	})
	putScratch(wv)
}
