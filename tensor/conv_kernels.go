package tensor

import (
	"github.com/autonl-go/autonl/internal/parallel"
	"github.com/autonl-go/autonl/tensor/internal/dwconv"
)

// Raw-slice convolution kernels. Their inner loops run along a row of the
// output (W) with a fixed input stride, contiguous when the stride is 1, so
// that SIMD versions can replace them one for one.

// Minimum amounts of work (elements moved or multiply-adds) per range of a
// parallel loop.
const (
	im2colGrain    = 1 << 15
	depthwiseGrain = 1 << 15
)

// dwRunFloats is the minimum length of the runs of memory (in values) in
// which kernels that loop over images inside a range of channels read an
// image: shorter runs, one far from the next, defeat the hardware
// prefetchers.
const dwRunFloats = 1024

// validRange returns the range [lo, hi) of output positions j < outSize
// whose input position j·stride + off lies in [0, size). lo == hi if there
// is none.
func validRange(off, stride, size, outSize int) (lo, hi int) {
	if off >= size {
		return 0, 0
	}
	if off < 0 {
		lo = (-off + stride - 1) / stride
	}
	hi = min((size-off+stride-1)/stride, outSize)
	return min(lo, hi), hi
}

// forColRows calls fn once for every row r = (c·kh+p)·kw+q of col, the
// (Cg·kh·kw)×(Ho·Wo) column matrix of img (Cg×H×W), as im2col lays it out:
// plane is channel c of img, row is row r of col, off = q·dw − pw, output
// rows i in [i0, i1) read input row i·sh − ph + p·dh, and output columns
// j in [j0, j1) read input column j·sw + off; the others are padding.
// Channels are processed in parallel; within a channel in order.
func forColRows(g *convGeom, img, col []float32, fn func(plane, row []float32, p, off, i0, i1, j0, j1 int)) {
	hw, howo, kk := g.hw(), g.howo(), g.kk()
	parallel.For(g.cg, max(1, im2colGrain/(kk*howo)), func(lo, hi int) {
		for c := lo; c < hi; c++ {
			plane := img[c*hw : (c+1)*hw]
			for p := range g.kh {
				i0, i1 := validRange(p*g.dh-g.ph, g.sh, g.h, g.ho)
				for q := range g.kw {
					r := (c*g.kh+p)*g.kw + q
					off := q*g.dw - g.pw
					j0, j1 := validRange(off, g.sw, g.w, g.wo)
					fn(plane, col[r*howo:(r+1)*howo], p, off, i0, i1, j0, j1)
				}
			}
		}
	})
}

// im2col unfolds x, one image's group of Cg channels (Cg×H×W), into col, a
// (Cg·kh·kw)×(Ho·Wo) matrix:
//
//	col[(c·kh+p)·kw+q, i·Wo+j] = x[c, i·sh − ph + p·dh, j·sw − pw + q·dw]
//
// or 0 where the input position is in the padding. Every element of col is
// written. Channels are unfolded in parallel.
func im2col(g *convGeom, x, col []float32) {
	if g.sw == 2 {
		im2colS2(g, x, col)
		return
	}
	forColRows(g, x, col, func(plane, row []float32, p, off, i0, i1, j0, j1 int) {
		clear(row[:i0*g.wo])
		clear(row[i1*g.wo:])
		for i := i0; i < i1; i++ {
			src := plane[(i*g.sh-g.ph+p*g.dh)*g.w:]
			src = src[:g.w]
			dst := row[i*g.wo : (i+1)*g.wo]
			clear(dst[:j0])
			clear(dst[j1:])
			if g.sw == 1 {
				if j0 < j1 { // off may be out of range when nothing is read
					copy(dst[j0:j1], src[j0+off:j1+off])
				}
				continue
			}
			for j := j0; j < j1; j++ {
				dst[j] = src[j*g.sw+off]
			}
		}
	})
}

// im2colS2 is im2col for a horizontal stride of 2 (the stem of MobileNetV2
// and AutoNL, 3×3 stride 2 on 224×224 inputs), whose rows im2col would
// gather element by element: each input row that a row of taps p reads is
// split once by the parity of its columns (dwconv.Deinterleave2) into
// even and odd halves, and each tap column q then copies a run of one
// half, since input column 2j + off is element j + ⌊off/2⌋ of the even
// half if off is even and of the odd half if it is odd. The values are
// im2col's, copied. On 8 images 3×224×224, 2 threads, Zen 5: 1.7 ms of
// CPU per batch element by element.
func im2colS2(g *convGeom, x, col []float32) {
	hw, howo, kk := g.hw(), g.howo(), g.kk()
	half := (g.w + 15) / 16 * 8 // the rows of Deinterleave2's halves
	parallel.For(g.cg, max(1, im2colGrain/(kk*howo)), func(lo, hi int) {
		buf := getScratch(2 * g.ho * half)
		even, odd := buf[:g.ho*half], buf[g.ho*half:]
		for c := lo; c < hi; c++ {
			plane := x[c*hw : (c+1)*hw]
			for p := range g.kh {
				i0, i1 := validRange(p*g.dh-g.ph, g.sh, g.h, g.ho)
				if i0 < i1 {
					dwconv.Deinterleave2(even, odd, plane[(i0*g.sh-g.ph+p*g.dh)*g.w:], g.w, i1-i0, half, g.sh*g.w)
				}
				for q := range g.kw {
					row := col[((c*g.kh+p)*g.kw+q)*howo:][:howo]
					off := q*g.dw - g.pw
					j0, j1 := validRange(off, 2, g.w, g.wo)
					clear(row[:i0*g.wo])
					clear(row[i1*g.wo:])
					src, m := even, off>>1 // input column 2j + off is src[j+m]
					if off&1 != 0 {
						src = odd
					}
					for i := i0; i < i1; i++ {
						dst := row[i*g.wo : (i+1)*g.wo]
						clear(dst[:j0])
						clear(dst[j1:])
						if j0 < j1 {
							copy(dst[j0:j1], src[(i-i0)*half+j0+m:])
						}
					}
				}
			}
		}
		putScratch(buf)
	})
}

// col2im is the adjoint of im2col: it adds every element of col, a
// (Cg·kh·kw)×(Ho·Wo) matrix, to the element of dx (Cg×H×W) that im2col
// would have read it from:
//
//	dx[c, i·sh − ph + p·dh, j·sw − pw + q·dw] += col[(c·kh+p)·kw+q, i·Wo+j]
//
// skipping padding positions. Channels are processed in parallel; within a
// channel the additions happen in a fixed order.
func col2im(g *convGeom, col, dx []float32) {
	forColRows(g, dx, col, func(plane, row []float32, p, off, i0, i1, j0, j1 int) {
		for i := i0; i < i1; i++ {
			dst := plane[(i*g.sh-g.ph+p*g.dh)*g.w:]
			dst = dst[:g.w]
			src := row[i*g.wo : (i+1)*g.wo]
			if g.sw == 1 {
				if j0 < j1 {
					addPartial(dst[j0+off:j1+off], src[j0:j1])
				}
				continue
			}
			for j := j0; j < j1; j++ {
				dst[j*g.sw+off] += src[j]
			}
		}
	})
}
