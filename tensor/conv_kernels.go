package tensor

import "github.com/autonl-go/autonl/tensor/internal/parallel"

// Raw-slice convolution kernels. Their inner loops run along a row of the
// output (W) with a fixed input stride, contiguous when the stride is 1, so
// that SIMD versions can replace them one for one.

// Minimum amounts of work (elements moved or multiply-adds) per range of a
// parallel loop.
const (
	im2colGrain    = 1 << 15
	depthwiseGrain = 1 << 15
)

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

// im2col unfolds x, one image's group of Cg channels (Cg×H×W), into col, a
// (Cg·kh·kw)×(Ho·Wo) matrix:
//
//	col[(c·kh+p)·kw+q, i·Wo+j] = x[c, i·sh − ph + p·dh, j·sw − pw + q·dw]
//
// or 0 where the input position is in the padding. Every element of col is
// written. Channels are unfolded in parallel.
func im2col(g *convGeom, x, col []float32) {
	hw, howo, kk := g.hw(), g.howo(), g.kk()
	parallel.For(g.cg, max(1, im2colGrain/(kk*howo)), func(lo, hi int) {
		for c := lo; c < hi; c++ {
			plane := x[c*hw : (c+1)*hw]
			for p := range g.kh {
				i0, i1 := validRange(p*g.dh-g.ph, g.sh, g.h, g.ho)
				for q := range g.kw {
					r := (c*g.kh+p)*g.kw + q
					row := col[r*howo : (r+1)*howo]
					off := q*g.dw - g.pw
					j0, j1 := validRange(off, g.sw, g.w, g.wo)
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
				}
			}
		}
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
	hw, howo, kk := g.hw(), g.howo(), g.kk()
	parallel.For(g.cg, max(1, im2colGrain/(kk*howo)), func(lo, hi int) {
		for c := lo; c < hi; c++ {
			plane := dx[c*hw : (c+1)*hw]
			for p := range g.kh {
				i0, i1 := validRange(p*g.dh-g.ph, g.sh, g.h, g.ho)
				for q := range g.kw {
					r := (c*g.kh+p)*g.kw + q
					row := col[r*howo : (r+1)*howo]
					off := q*g.dw - g.pw
					j0, j1 := validRange(off, g.sw, g.w, g.wo)
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
				}
			}
		}
	})
}

// axpyStrided computes y[j] += α·x[j·stride] for j < len(y).
func axpyStrided(alpha float32, x []float32, stride int, y []float32) {
	if stride == 1 {
		x = x[:len(y)]
		for j, v := range x {
			y[j] += alpha * v
		}
		return
	}
	for j := range y {
		y[j] += alpha * x[j*stride]
	}
}

// scatterStrided computes y[j·stride] += α·x[j] for j < len(x).
func scatterStrided(alpha float32, x []float32, y []float32, stride int) {
	if stride == 1 {
		y = y[:len(x)]
		for j, v := range x {
			y[j] += alpha * v
		}
		return
	}
	for j, v := range x {
		y[j*stride] += alpha * v
	}
}

// dotStrided returns Σ_j x[j]·y[j·stride] for j < len(x). Four partial
// sums over j mod 4 hide the latency of the additions; they are combined
// as (s0+s1)+(s2+s3) and the tail added in increasing j, an order that
// depends only on len(x).
func dotStrided(x, y []float32, stride int) float32 {
	var s0, s1, s2, s3 float32
	n := len(x) &^ 3
	if stride == 1 {
		y = y[:len(x)]
		for j := 0; j < n; j += 4 {
			xx, yy := x[j:j+4:j+4], y[j:j+4:j+4]
			s0 += xx[0] * yy[0]
			s1 += xx[1] * yy[1]
			s2 += xx[2] * yy[2]
			s3 += xx[3] * yy[3]
		}
	} else {
		for j := 0; j < n; j += 4 {
			xx := x[j : j+4 : j+4]
			s0 += xx[0] * y[j*stride]
			s1 += xx[1] * y[(j+1)*stride]
			s2 += xx[2] * y[(j+2)*stride]
			s3 += xx[3] * y[(j+3)*stride]
		}
	}
	s := (s0 + s1) + (s2 + s3)
	for j := n; j < len(x); j++ {
		s += x[j] * y[j*stride]
	}
	return s
}

// depthwiseForward computes a depthwise convolution (G = C, Cg = 1, Og =
// Cout/C outputs per input channel):
//
//	y[n,o,i,j] = Σ_{p,q} x[n, o/Og, i·sh − ph + p·dh, j·sw − pw + q·dw] · w[o,0,p,q]
//
// in parallel over the input planes. y must be zero.
func depthwiseForward(g *convGeom, x, w, y []float32) {
	hw, howo, kk := g.hw(), g.howo(), g.kk()
	grain := max(1, depthwiseGrain/(g.og*howo*kk))
	parallel.For(g.n*g.c, grain, func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			n, c := pl/g.c, pl%g.c
			xp := x[pl*hw : (pl+1)*hw]
			for m := range g.og {
				o := c*g.og + m
				depthwisePlane(g, xp, w[o*kk:(o+1)*kk], y[(n*g.cout+o)*howo:(n*g.cout+o+1)*howo])
			}
		}
	})
}

// depthwisePlane adds the correlation of the H×W plane x with the kh×kw
// filter w to the Ho×Wo plane y, one output row at a time. Every output
// element receives its taps in row-major (p, q) order. For kw = 3 the three
// taps of a kernel row are fused into one pass over the columns whose taps
// all lie inside the input; the other columns, and other kernel widths,
// add one tap at a time.
func depthwisePlane(g *convGeom, x, w, y []float32) {
	// Columns [ja, jb) have all kw taps inside the input.
	ja, jb := 0, g.wo
	for q := range g.kw {
		j0, j1 := validRange(q*g.dw-g.pw, g.sw, g.w, g.wo)
		ja, jb = max(ja, j0), min(jb, j1)
	}
	fused := g.kw == 3 && ja < jb
	for i := range g.ho {
		dst := y[i*g.wo : (i+1)*g.wo]
		for p := range g.kh {
			ih := i*g.sh - g.ph + p*g.dh
			if ih < 0 || ih >= g.h {
				continue
			}
			src := x[ih*g.w : (ih+1)*g.w]
			wr := w[p*g.kw : (p+1)*g.kw]
			if !fused {
				for q, wv := range wr {
					off := q*g.dw - g.pw
					j0, j1 := validRange(off, g.sw, g.w, g.wo)
					if j0 < j1 {
						axpyStrided(wv, src[j0*g.sw+off:], g.sw, dst[j0:j1])
					}
				}
				continue
			}
			depthwiseEdge(g, src, wr, dst, 0, ja)
			depthwiseRow3(wr[0], wr[1], wr[2], src[ja*g.sw-g.pw:], g.sw, g.dw, dst[ja:jb])
			depthwiseEdge(g, src, wr, dst, jb, g.wo)
		}
	}
}

// depthwiseRow3 computes y[j] = ((y[j] + w0·x[j·s]) + w1·x[j·s+d]) + w2·x[j·s+2d]
// for j < len(y): three taps of a kernel row, added in order.
func depthwiseRow3(w0, w1, w2 float32, x []float32, s, d int, y []float32) {
	if len(y) == 0 {
		return
	}
	x = x[:(len(y)-1)*s+2*d+1]
	if s == 1 {
		x0, x1, x2 := x[:len(y)], x[d:d+len(y)], x[2*d:2*d+len(y)]
		for j := range y {
			y[j] = y[j] + w0*x0[j] + w1*x1[j] + w2*x2[j]
		}
		return
	}
	for j := range y {
		b := j * s
		y[j] = y[j] + w0*x[b] + w1*x[b+d] + w2*x[b+2*d]
	}
}

// depthwiseEdge adds to y[j], j in [j0, j1), the taps of the kernel row w
// that lie inside the input row x, in order.
func depthwiseEdge(g *convGeom, x, w, y []float32, j0, j1 int) {
	for j := j0; j < j1; j++ {
		s := y[j]
		for q, wv := range w {
			if v := j*g.sw - g.pw + q*g.dw; v >= 0 && v < g.w {
				s += wv * x[v]
			}
		}
		y[j] = s
	}
}

// depthwiseGradInput computes the input gradient of a depthwise
// convolution,
//
//	dx[n,c,h,v] = Σ_{o in c·Og..c·Og+Og−1} Σ_{i,j,p,q : i·sh−ph+p·dh = h, j·sw−pw+q·dw = v} dy[n,o,i,j] · w[o,0,p,q],
//
// by scattering each dy row, in parallel over the input planes. dx must be
// zero.
func depthwiseGradInput(g *convGeom, dy, w, dx []float32) {
	hw, howo, kk := g.hw(), g.howo(), g.kk()
	grain := max(1, depthwiseGrain/(g.og*howo*kk))
	parallel.For(g.n*g.c, grain, func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			n, c := pl/g.c, pl%g.c
			dxp := dx[pl*hw : (pl+1)*hw]
			for m := range g.og {
				o := c*g.og + m
				wo := w[o*kk : (o+1)*kk]
				dyp := dy[(n*g.cout+o)*howo : (n*g.cout+o+1)*howo]
				for i := range g.ho {
					src := dyp[i*g.wo : (i+1)*g.wo]
					for p := range g.kh {
						ih := i*g.sh - g.ph + p*g.dh
						if ih < 0 || ih >= g.h {
							continue
						}
						dst := dxp[ih*g.w : (ih+1)*g.w]
						for q := range g.kw {
							off := q*g.dw - g.pw
							j0, j1 := validRange(off, g.sw, g.w, g.wo)
							if j0 < j1 {
								scatterStrided(wo[p*g.kw+q], src[j0:j1], dst[j0*g.sw+off:], g.sw)
							}
						}
					}
				}
			}
		}
	})
}

// depthwiseGradWeight computes the weight gradient of a depthwise
// convolution,
//
//	dw[o,0,p,q] = Σ_n Σ_{i,j} dy[n,o,i,j] · x[n, o/Og, i·sh − ph + p·dh, j·sw − pw + q·dw],
//
// in parallel over output channels. Each tap's sum over one image is formed
// first and added to dw in image order. dw must be zero.
func depthwiseGradWeight(g *convGeom, x, dy, dw []float32) {
	hw, howo, kk := g.hw(), g.howo(), g.kk()
	grain := max(1, depthwiseGrain/(g.n*howo*kk))
	parallel.For(g.cout, grain, func(lo, hi int) {
		for o := lo; o < hi; o++ {
			c := o / g.og
			dwo := dw[o*kk : (o+1)*kk]
			for n := range g.n {
				xp := x[(n*g.c+c)*hw : (n*g.c+c+1)*hw]
				dyp := dy[(n*g.cout+o)*howo : (n*g.cout+o+1)*howo]
				for p := range g.kh {
					i0, i1 := validRange(p*g.dh-g.ph, g.sh, g.h, g.ho)
					for q := range g.kw {
						off := q*g.dw - g.pw
						j0, j1 := validRange(off, g.sw, g.w, g.wo)
						if j0 >= j1 {
							continue
						}
						var s float32
						for i := i0; i < i1; i++ {
							src := xp[(i*g.sh-g.ph+p*g.dh)*g.w:]
							s += dotStrided(dyp[i*g.wo+j0:i*g.wo+j1], src[j0*g.sw+off:], g.sw)
						}
						dwo[p*g.kw+q] += s
					}
				}
			}
		}
	})
}
