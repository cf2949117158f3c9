package dwconv

import (
	"fmt"
	"sync"
	"sync/atomic"
)

// maxFlatMasks bounds the mask table of a FlatPlan (chunks × taps).
const maxFlatMasks = 1 << 17

// flatChunks and FlatPlanes are the groups of a FlatPlan's kernel: it
// computes flatChunks chunks of 16 outputs of each of FlatPlanes planes at
// a time, every mask serving the same chunk of all of them and every
// weight all chunks. Runs of planes that are not a multiple of FlatPlanes
// cost up to FlatPlanes times as much for the last n mod FlatPlanes
// planes. flatMaxKw is the widest kernel the kernel takes.
const flatChunks, FlatPlanes, flatMaxKw = 4, 3, 8

// FlatPlan is the geometry of a stride-1 depthwise correlation whose
// output plane has the input plane's size, for Run: a kh×kw kernel over
// h×w planes with zero padding of pt rows on top and pl columns on the
// left (kh−1−pt and kw−1−pl on the other sides), its weights read in
// (p, q) order or, with flip, in reverse order (the input gradient's
// flipped kernel).
//
// Run takes the outputs of a plane 16 at a time in the plane's own order,
// whatever its rows, so that no lane is wasted on narrow maps (7×7, 14×14)
// and no copy is made: each tap reads the input plane in place at a
// constant offset, its lanes that fall in the padding cleared. The kernel
// computes 4 chunks of each of 3 planes at a time; it loads the window of
// each tap row once (5 vectors for the 4 chunks) and forms the kw taps
// of the row from it (VALIGND), zeroing the lanes outside the plane (load
// masks) and those whose tap column falls outside the row (column masks).
// The masks depend on the geometry alone and are computed once per plan,
// each serves the 3 planes.
type FlatPlan struct {
	h, w, kh, kw, pt, pl int
	flip                 bool
	nchunk               int     // chunks of 16 outputs per plane
	ngroup               int     // groups of flatChunks chunks per plane, the last one possibly partial
	offs                 []int32 // per tap row p: the byte offset in x of its window from a group's start, and of W(p, 0) in the weights
	wq                   int     // bytes from W(p, q) to W(p, q+1) in the weights: 4, or −4 with flip
	// masks holds, per group g, at [g·gstride:], the load masks of the
	// window's flatChunks+1 vectors of each tap row p at [p·(flatChunks+2)
	// + v] (the lanes inside the plane) and at [p·(flatChunks+2) +
	// flatChunks+1] 0xFFFF if the group's vectors are wholly inside (then
	// loaded without masks, which are slower), then at cmoff the column masks of
	// each chunk s of the group for tap column q at [cmoff + q·flatChunks +
	// s] (the lanes inside the plane's outputs whose tap column is inside
	// the row), then the store masks at [cmoff + kw·flatChunks + s] (the
	// lanes inside the plane's outputs).
	masks          []uint16
	cmoff, gstride int // in masks (uint16s)
	// m8 holds the masks of the AVX2 Grad kernel, made once at its first
	// call (avx2Masks, amd64).
	m8once sync.Once
	m8     []int32
}

// NewFlatPlan returns the plan of the correlation described at FlatPlan,
// or nil if the kernel variant in use has no Run kernel or the plane is too
// large for one. Plans are cached by geometry. It panics unless 0 ≤ pt <
// kh and 0 ≤ pl < kw.
func NewFlatPlan(h, w, kh, kw, pt, pl int, flip bool) *FlatPlan {
	if h < 1 || w < 1 || kh < 1 || kw < 1 || pt < 0 || pt >= kh || pl < 0 || pl >= kw {
		panic(fmt.Sprintf("dwconv: NewFlatPlan: %d×%d kernel with padding (%d, %d) on %d×%d planes", kh, kw, pt, pl, h, w))
	}
	if cur.planeFlat == nil {
		return nil
	}
	return cachedFlatPlan(flatKey{h, w, kh, kw, pt, pl, flip})
}

// cachedFlatPlan returns the plan of geometry key from the cache, making
// it if needed.
func cachedFlatPlan(key flatKey) *FlatPlan {
	if f, ok := flatPlans.Load(key); ok {
		return f.(*FlatPlan)
	}
	f := newFlatPlan(key.h, key.w, key.kh, key.kw, key.pt, key.pl, key.flip)
	if f != nil && flatPlanCount.Add(1) <= maxFlatPlans {
		flatPlans.Store(key, f)
	}
	return f
}

// HasFlatGrad reports whether FlatPlan.Grad takes kh×kw kernels: 3×3,
// with every kernel variant.
func HasFlatGrad(kh, kw int) bool { return kh == 3 && kw == 3 }

// NewFlatGradPlan returns the plan of the correlation described at
// FlatPlan (weights in order) for Grad, with any kernel variant, or nil
// unless HasFlatGrad(kh, kw) and the plane is small enough for a plan.
// Plans are cached by geometry. It panics unless 0 ≤ pt < kh and 0 ≤ pl
// < kw.
func NewFlatGradPlan(h, w, kh, kw, pt, pl int) *FlatPlan {
	if h < 1 || w < 1 || kh < 1 || kw < 1 || pt < 0 || pt >= kh || pl < 0 || pl >= kw {
		panic(fmt.Sprintf("dwconv: NewFlatGradPlan: %d×%d kernel with padding (%d, %d) on %d×%d planes", kh, kw, pt, pl, h, w))
	}
	if !HasFlatGrad(kh, kw) {
		return nil
	}
	return cachedFlatPlan(flatKey{h, w, kh, kw, pt, pl, false})
}

// FlatGradSums returns the number of partial sums per plane of Grad for a
// kernel of kk taps: an even and an odd vector per tap, as GradTaps.
func FlatGradSums(kk int) int { return 2 * kk * Lanes }

// Grad adds to the partial sums of the weight gradient of the
// correlation described at FlatPlan (weights in order), for n
// consecutive planes (plane m's sums at out[m·FlatGradSums(kh·kw):], its
// dy at dy[m·h·w:] and its x at x[m·h·w:]), the products of dy with the
// taps of x, 16 outputs at a time in the plane's own order (chunks):
//
//	out[16t + l] += DY(16c + l) · X(i+p−pt, j+q−pl),  16c + l = i·w + j,
//
// for each tap t = p·kw + q and lane l < 16, over the chunks c <
// ⌈h·w/16⌉ in increasing order, with X as at Run and DY(k) = dy[k] for k
// < h·w; lanes past the plane add the product 0·0. The low 8 lanes of a
// tap's sums are the even 8-lane vectors of the flattened plane and the
// high 8 the odd ones, as the even and odd sums of GradTaps (whose lanes
// SumLanes adds). The assembly variants fuse each
// multiply-add and give the same sums bit for bit; the pure-Go twin
// rounds each product. It panics if the plan is not one of
// NewFlatGradPlan's (HasFlatGrad).
func (f *FlatPlan) Grad(out, dy, x []float32, n int) {
	hw, kk := f.h*f.w, f.kh*f.kw
	if !HasFlatGrad(f.kh, f.kw) || f.flip {
		panic(fmt.Sprintf("dwconv: FlatPlan.Grad: no kernel for a %d×%d kernel (flip %v)", f.kh, f.kw, f.flip))
	}
	if n < 0 || len(dy) < n*hw || len(x) < n*hw || len(out) < n*FlatGradSums(kk) {
		panic(fmt.Sprintf("dwconv: FlatPlan.Grad: %d %d×%d planes do not fit dy of %d, x of %d (or %d sums)", n, f.h, f.w, len(dy), len(x), len(out)))
	}
	if n > 0 {
		cur.gradFlat(f, out, dy, x, n)
	}
}

// gradFlatGeneric is the pure-Go twin of the Grad kernels.
func gradFlatGeneric(f *FlatPlan, out, dy, x []float32, n int) {
	hw, kk := f.h*f.w, f.kh*f.kw
	for m := range n {
		out, dy, x := out[m*FlatGradSums(kk):], dy[m*hw:], x[m*hw:]
		for c := range f.nchunk {
			for t := range kk {
				p, q := t/f.kw, t%f.kw
				s := out[16*t : 16*t+16]
				for l := range 16 {
					var d, v float32
					if k := 16*c + l; k < hw {
						d = dy[k]
						a, b := k/f.w+p-f.pt, k%f.w+q-f.pl
						if a >= 0 && a < f.h && b >= 0 && b < f.w {
							v = x[a*f.w+b]
						}
					}
					s[l] += d * v
				}
			}
		}
	}
}

// flatKey is the geometry of a FlatPlan.
type flatKey struct {
	h, w, kh, kw, pt, pl int
	flip                 bool
}

// flatPlans caches up to maxFlatPlans plans by geometry (plans are
// immutable): a layer asks for its plan at every call, and the masks of a
// large plane (56×56 with a 5×5 kernel: 196 chunks of 16 lanes, 25 taps)
// take a noticeable part of a small batch's time to compute.
var (
	flatPlans     sync.Map
	flatPlanCount atomic.Int64
)

const maxFlatPlans = 256

// newFlatPlan is NewFlatPlan without the cache.
func newFlatPlan(h, w, kh, kw, pt, pl int, flip bool) *FlatPlan {
	const lanes = 16
	hw, kk := h*w, kh*kw
	nchunk := (hw + lanes - 1) / lanes
	f := &FlatPlan{h: h, w: w, kh: kh, kw: kw, pt: pt, pl: pl, flip: flip,
		nchunk: nchunk, ngroup: (nchunk + flatChunks - 1) / flatChunks, wq: 4}
	f.cmoff = kh * (flatChunks + 2)
	f.gstride = f.cmoff + (kw+1)*flatChunks
	if kw > flatMaxKw || f.ngroup*f.gstride > maxFlatMasks {
		return nil
	}
	for p := range kh {
		t := p * kw
		if flip {
			t = kk - 1 - t
		}
		f.offs = append(f.offs, int32(4*((p-pt)*w-pl)), int32(4*t))
	}
	if flip {
		f.wq = -4
	}
	f.masks = make([]uint16, f.ngroup*f.gstride)
	for g := range f.ngroup {
		m := f.masks[g*f.gstride:]
		// The group's window vectors: those of its chunks and one more.
		nv := min(flatChunks, nchunk-g*flatChunks) + 1
		for p := range kh {
			lm := m[p*(flatChunks+2):]
			full := true
			for v := range flatChunks + 1 {
				for l := range lanes {
					if a := (g*flatChunks+v)*lanes + l + (p-pt)*w - pl; a >= 0 && a < hw {
						lm[v] |= 1 << l
					}
				}
				full = full && (v >= nv || lm[v] == 0xFFFF)
			}
			if full {
				lm[flatChunks+1] = 0xFFFF
			}
		}
		for s := range flatChunks {
			for l := range lanes {
				k := (g*flatChunks+s)*lanes + l
				if k >= hw {
					break
				}
				m[f.cmoff+kw*flatChunks+s] |= 1 << l
				for q := range kw {
					if b := k%w + q - pl; b >= 0 && b < w {
						m[f.cmoff+q*flatChunks+s] |= 1 << l
					}
				}
			}
		}
	}
	return f
}

// Run computes, for n consecutive planes (plane m at y[m·h·w:], x[m·h·w:]
// and its weights at k[m·kh·kw:]) and i < h, j < w,
//
//	y[i·w+j] = Σ_{p<kh, q<kw} K(p, q) · X(i+p−pt, j+q−pl),
//
// with K(p, q) = k[p·kw+q], or k[kh·kw−1−(p·kw+q)] with flip, and X(a, b)
// = x[a·w+b] inside the plane and 0 outside it, the taps added to 0 in
// increasing (p, q) (with fused multiply-adds in assembly): the results of
// Taps on a zero-padded copy of x with the offsets of the kernel's taps in
// (p, q) order, bit for bit, without the copy.
func (f *FlatPlan) Run(y, x, k []float32, n int) {
	hw, kk := f.h*f.w, f.kh*f.kw
	if n < 0 || len(y) < n*hw || len(x) < n*hw || len(k) < n*kk {
		panic(fmt.Sprintf("dwconv: FlatPlan.Run: %d %d×%d planes do not fit y of %d, x of %d (or %d weights)", n, f.h, f.w, len(y), len(x), len(k)))
	}
	if cur.planeFlat == nil {
		panic(fmt.Sprintf("dwconv: FlatPlan.Run: no kernel with kernel variant %s (the plan was made with another)", cur.name))
	}
	if n > 0 {
		cur.planeFlat(f, y, x, k, n)
	}
}

// planeFlatGeneric is the pure-Go twin of the Run kernel.
func planeFlatGeneric(f *FlatPlan, y, x, k []float32, n int) {
	hw, kk := f.h*f.w, f.kh*f.kw
	for m := range n {
		y, x, k := y[m*hw:], x[m*hw:], k[m*kk:]
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
						t := p*f.kw + q
						if f.flip {
							t = kk - 1 - t
						}
						s += k[t] * v
					}
				}
				y[i*f.w+j] = s
			}
		}
	}
}
