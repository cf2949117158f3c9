package dwconv

import "fmt"

// maxFlatMasks bounds the mask table of a FlatPlan (chunks × taps).
const maxFlatMasks = 1 << 17

// FlatPlan is the geometry of a stride-1 depthwise correlation whose
// output plane has the input plane's size, for Run: a kh×kw kernel over
// h×w planes with zero padding of pt rows on top and pl columns on the
// left (kh−1−pt and kw−1−pl on the other sides).
//
// Run takes the outputs of a plane 16 at a time in the plane's own order,
// whatever its rows, so that no lane is wasted on narrow maps (7×7, 14×14)
// and no copy is made: each tap reads the input plane in place at a
// constant offset, under a mask that clears the lanes whose tap falls in
// the padding. The masks depend on the geometry alone and are computed
// once per plan.
type FlatPlan struct {
	h, w, kh, kw, pt, pl int
	offs                 []int32  // byte offsets of the taps, (p, q) order
	masks                []uint16 // masks[c·kh·kw + t]: lanes of chunk c that tap t reads inside the plane
	nchunk, nwhole       int
	last                 uint16 // store mask of the last chunk if partial
}

// NewFlatPlan returns the plan of the correlation described at FlatPlan,
// or nil if the kernel variant in use has no Run kernel or the plane is too
// large for one. It panics unless 0 ≤ pt < kh and 0 ≤ pl < kw.
func NewFlatPlan(h, w, kh, kw, pt, pl int) *FlatPlan {
	if h < 1 || w < 1 || kh < 1 || kw < 1 || pt < 0 || pt >= kh || pl < 0 || pl >= kw {
		panic(fmt.Sprintf("dwconv: NewFlatPlan: %d×%d kernel with padding (%d, %d) on %d×%d planes", kh, kw, pt, pl, h, w))
	}
	if cur.planeFlat == nil {
		return nil
	}
	const lanes = 16
	hw, kk := h*w, kh*kw
	f := &FlatPlan{h: h, w: w, kh: kh, kw: kw, pt: pt, pl: pl,
		nchunk: (hw + lanes - 1) / lanes, nwhole: hw / lanes, last: uint16(1)<<(hw%lanes) - 1}
	if f.nchunk*kk > maxFlatMasks {
		return nil
	}
	for p := range kh {
		for q := range kw {
			f.offs = append(f.offs, int32(4*((p-pt)*w+q-pl)))
		}
	}
	f.masks = make([]uint16, f.nchunk*kk)
	for c := range f.nchunk {
		for l := range lanes {
			k := c*lanes + l
			if k >= hw {
				break
			}
			i, j := k/w, k%w
			for p := range kh {
				if a := i + p - pt; a < 0 || a >= h {
					continue
				}
				for q := range kw {
					if b := j + q - pl; b >= 0 && b < w {
						f.masks[c*kk+p*kw+q] |= 1 << l
					}
				}
			}
		}
	}
	return f
}

// Run computes, for i < h and j < w,
//
//	y[i·w+j] = Σ_{p<kh, q<kw} k[p·kw+q] · X(i+p−pt, j+q−pl),
//
// with X(a, b) = x[a·w+b] inside the plane and 0 outside it, the taps
// added to 0 in increasing (p, q) (with fused multiply-adds in assembly):
// the results of Taps on a zero-padded copy of x with the offsets of the
// kernel's taps in (p, q) order, bit for bit, without the copy.
func (f *FlatPlan) Run(y, x, k []float32) {
	hw := f.h * f.w
	if len(y) < hw || len(x) < hw || len(k) < f.kh*f.kw {
		panic(fmt.Sprintf("dwconv: FlatPlan.Run: %d×%d planes do not fit y of %d, x of %d (or %d weights)", f.h, f.w, len(y), len(x), len(k)))
	}
	if cur.planeFlat == nil {
		panic(fmt.Sprintf("dwconv: FlatPlan.Run: no kernel with kernel variant %s (the plan was made with another)", cur.name))
	}
	cur.planeFlat(f, y, x, k)
}

// planeFlatGeneric is the pure-Go twin of the Run kernel.
func planeFlatGeneric(f *FlatPlan, y, x, k []float32) {
	for i := range f.h {
		for j := range f.w {
			var s float32
			for p := range f.kh {
				a := i + p - f.pt
				for q := range f.kw {
					b := j + q - f.pl
					var v float32
					if a >= 0 && a < f.h && b >= 0 && b < f.w {
						v = x[a*f.w+b]
					}
					s += k[p*f.kw+q] * v
				}
			}
			y[i*f.w+j] = s
		}
	}
}
