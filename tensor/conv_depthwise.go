package tensor

import (
	"github.com/autonl-go/autonl/internal/parallel"
	"github.com/autonl-go/autonl/tensor/internal/dwconv"
)

// Depthwise convolutions run as direct SIMD kernels (package dwconv) on
// one plane at a time. A plane is first copied into a zero-padded buffer
// whose column order makes every tap of the kernel a unit-stride shift: for
// a horizontal stride s the columns are split into s phases (column c at
// (c mod s)·phase + c/s), so output column j of tap q reads column j +
// (q·d)/s of phase (q·d) mod s. The kernels then compute vectors of Lanes
// outputs along a row, with row padding up to a whole vector, and iterate
// over vectors down the columns when the plane has more rows than vectors
// per row (narrow maps such as 7×7 or 14×14), so that the inner loop always
// has the longer run of vectors. The input gradient is the same
// correlation, with the flipped kernel, of dy spread over a zero buffer
// (dy[i][j] at row i·sh and column j·sw). The weight gradient multiplies dy
// vectors by the shifted buffer vectors and sums the lanes at the end.
//
// 3×3 kernels with stride 1 and padding 1 (forward and input gradient)
// skip the padded copy where dwconv.Plane3x3 has a kernel for the plane's
// width: it reads the plane in place and gives the same results bit for
// bit. So does the forward pass of 3×3 kernels with stride 2 and padding
// 1 with dwconv.Plane3x3S2, which splits the even and odd columns in
// registers instead of in a copy (MobileNet's downsampling layers), and
// so do its weight gradient (dwconv.GradPlane3x3S2, the same split) and
// input gradient (dwconv.GradInput3x3S2, which computes each of the four
// phases of dx from the taps that reach it, instead of spreading dy over
// zeros). On planes up to 16 wide (14×14 inputs), Plane3x3S2 puts two
// output rows in a vector, and the weight gradient runs over the same
// pairs of rows (dwconv.GradNarrow3x3S2, with every kernel variant) rather
// than with the interleaved kernels. Stride-1 convolutions whose outputs have the inputs' size run on
// flattened planes (dwconv.FlatPlan: 16 outputs at a time in the plane's
// order, each tap row's window loaded once and its taps formed in
// registers, masks for the padding, no copy) on maps up to 32 wide and
// with 5×5 and larger kernels (up to 8 columns) on any map (see dwFlat);
// the weight gradients of those with 3×3 kernels too
// (dwconv.FlatPlan.Grad, with every kernel variant: its sums are taken 16
// outputs at a time in the plane's order).

// dwStreamBytes is the output size from which depthwise convolutions
// (forward and input gradient) whose output vectors tile the output
// planes write them with
// non-temporal stores (dwconv.TapsStream), as batch norm does
// (bnStreamBytes): such outputs do not stay in the caches until they are
// read, and streaming them saves reading every line before writing it.
// It depends on the last-level cache (streamThreshold): 8 MiB on Zen 5,
// 120 MiB on the Intel Xeon whose KVM guest reports 480 MiB of L3.
var dwStreamBytes = streamThreshold(llcBytes())

// dwPlaneChunks is the number of ranges per worker of the parallel loops
// over planes or channels, whose results do not depend on the ranges:
// each range clears its buffers once, so ranges of a single plane would
// clear one per plane.
const dwPlaneChunks = 4

// dwLayout is the geometry of one depthwise correlation
//
//	out[i][j] = Σ_{p<kh, q<kw} w[p][q] · B[i·sh + p·dh][j·sw + q·dw],  i < ho, j < wo,
//
// whose buffer B holds a source plane (hin×win) at B[a·uh + pt][b·uw + pl]
// and zeros elsewhere.
type dwLayout struct {
	kh, kw, sh, sw, dh, dw int
	ho, wo                 int
	hin, win               int
	uh, uw, pt, pl         int

	nvec  int // vectors per output row
	phase int // columns per phase of a buffer row
	ldx   int // buffer row length, sw·phase
	rows  int // buffer rows
	ldy   int // row length of the output vectors: wo if direct, else nvec·Lanes
	// direct reports whether the output vectors tile the output plane
	// exactly (wo is a multiple of Lanes), so that they are written in
	// place rather than through a buffer.
	direct bool
	offs   []int32     // buffer offsets of the taps, in (p, q) order
	ioffs  []int       // offs as int
	grid   dwconv.Grid // output vectors: buffer and output positions
	// rowGrid is grid with the vectors taken along the output rows, so
	// that consecutive vectors fill whole cache lines (streaming stores).
	rowGrid dwconv.Grid
}

func newDWLayout(kh, kw, sh, sw, dh, dw, ho, wo, hin, win, uh, uw, pt, pl int) *dwLayout {
	L := &dwLayout{kh: kh, kw: kw, sh: sh, sw: sw, dh: dh, dw: dw, ho: ho, wo: wo,
		hin: hin, win: win, uh: uh, uw: uw, pt: pt, pl: pl}
	const lanes = dwconv.Lanes
	L.nvec = (wo + lanes - 1) / lanes
	cmax := (L.nvec*lanes-1)*sw + (kw-1)*dw // last buffer column read
	L.phase = cmax/sw + 1
	if sw == 1 && uw == 1 && pl >= 0 {
		// fill copies whole vectors, zero past the source row.
		L.phase = max(L.phase, pl+(win+lanes-1)/lanes*lanes)
	}
	if sw == 2 && uw == 1 && pl >= 0 {
		// fill splits whole chunks of 16 source columns, zero past the row.
		L.phase = max(L.phase, (pl+1)/2+(win+15)/16*8)
	}
	L.ldx = sw * L.phase
	L.rows = (ho-1)*sh + (kh-1)*dh + 1
	L.direct = wo%lanes == 0
	L.ldy = L.nvec * lanes
	if L.direct {
		L.ldy = wo
	}
	kk := kh * kw
	L.offs, L.ioffs = make([]int32, kk), make([]int, kk)
	for p := range kh {
		for q := range kw {
			t := p*kw + q
			L.ioffs[t] = p*dh*L.ldx + (q*dw)%sw*L.phase + q*dw/sw
			L.offs[t] = int32(L.ioffs[t])
		}
	}
	L.rowGrid = dwconv.Grid{Vecs: L.nvec, Rows: ho, XStep: lanes, XRow: sh * L.ldx, YStep: lanes, YRow: L.ldy}
	if ho > L.nvec { // vectors down the columns
		L.grid = dwconv.Grid{Vecs: ho, Rows: L.nvec, XStep: sh * L.ldx, XRow: lanes, YStep: L.ldy, YRow: lanes}
	} else {
		L.grid = dwconv.Grid{Vecs: L.nvec, Rows: ho, XStep: lanes, XRow: sh * L.ldx, YStep: lanes, YRow: L.ldy}
	}
	return L
}

func (L *dwLayout) bufLen() int { return L.rows * L.ldx }
func (L *dwLayout) outLen() int { return L.ho * L.ldy }

// fill writes the source plane src into buf, a zeroed buffer or one last
// filled for the same layout: it writes exactly the positions that hold
// source elements, so the zeros around them stay.
func (L *dwLayout) fill(buf, src []float32) {
	if L.uh == 1 && L.uw == 1 && L.sw == 1 && L.pl >= 0 {
		a0, a1 := max(0, -L.pt), min(L.hin, L.rows-L.pt)
		if a0 < a1 {
			dwconv.CopyRows(buf[(a0+L.pt)*L.ldx+L.pl:], src[a0*L.win:], L.win, a1-a0, L.ldx, L.win, false)
		}
		return
	}
	if L.uh == 1 && L.uw == 1 && L.sw == 2 && L.pl >= 0 {
		// Source column b is buffer column c = b + pl: even b go to phase
		// pl mod 2 from index pl/2, odd b to the other from (pl+1)/2.
		a0, a1 := max(0, -L.pt), min(L.hin, L.rows-L.pt)
		if a0 < a1 {
			row := buf[(a0+L.pt)*L.ldx:]
			even := row[L.pl%2*L.phase+L.pl/2:]
			odd := row[(L.pl+1)%2*L.phase+(L.pl+1)/2:]
			dwconv.Deinterleave2(even, odd, src[a0*L.win:], L.win, a1-a0, L.ldx, L.win)
		}
		return
	}
	for a := range L.hin {
		r := a*L.uh + L.pt
		if r < 0 || r >= L.rows {
			continue
		}
		row := buf[r*L.ldx : (r+1)*L.ldx]
		srow := src[a*L.win : (a+1)*L.win]
		if L.uw == 1 && L.sw == 1 {
			b0, b1 := max(0, -L.pl), min(L.win, L.ldx-L.pl)
			if b0 < b1 {
				copy(row[b0+L.pl:b1+L.pl], srow[b0:b1])
			}
			continue
		}
		switch {
		case L.uw == 1: // columns split into sw phases: c = b + pl
			for ph := range L.sw {
				dst := row[ph*L.phase : (ph+1)*L.phase]
				// Phase column k holds c = ph + k·sw, that is b = ph + k·sw − pl.
				k0 := 0
				if b := ph - L.pl; b < 0 {
					k0 = (-b + L.sw - 1) / L.sw
				}
				for k := k0; k < len(dst); k++ {
					b := ph + k*L.sw - L.pl
					if b >= L.win {
						break
					}
					dst[k] = srow[b]
				}
			}
		case L.sw == 1: // spread source columns uw apart: c = b·uw + pl
			for b, v := range srow {
				if c := b*L.uw + L.pl; c >= 0 && c < L.ldx {
					row[c] = v
				}
			}
		default:
			for b, v := range srow {
				if c := b*L.uw + L.pl; c >= 0 && c/L.sw < L.phase {
					row[c%L.sw*L.phase+c/L.sw] = v
				}
			}
		}
	}
}

// copyOut copies the ho×wo outputs from the vectors in out (rows ldy
// apart) to the plane dst.
func (L *dwLayout) copyOut(dst, out []float32) {
	// Rows copied whole write zeros past wo, up to a whole vector, into
	// the next rows, which are copied after them; the rows whose vector
	// would pass the end of dst are copied one by one with masked stores.
	const lanes = dwconv.Lanes
	whole := 0
	if pad := (L.wo + lanes - 1) / lanes * lanes; len(dst) >= pad {
		whole = min(L.ho-1, (len(dst)-pad)/L.wo+1)
	}
	if whole > 0 {
		dwconv.CopyRows(dst, out, L.wo, whole, L.wo, L.ldy, false)
	}
	for i := whole; i < L.ho; i++ {
		dwconv.CopyRows(dst[i*L.wo:], out[i*L.ldy:], L.wo, 1, L.wo, L.ldy, true)
	}
}

// dwPlane3x3 reports whether the depthwise convolution g runs plane by
// plane with dwconv.Plane3x3, without a padded copy: a 3×3 kernel with
// stride 1, dilation 1 and padding 1 on planes whose width the kernel in
// use takes.
func dwPlane3x3(g *convGeom) bool {
	return g.kh == 3 && g.kw == 3 && g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1 &&
		g.ph == 1 && g.pw == 1 && dwconv.HasPlane3x3(g.w)
}

// dwPlane3x3S2 reports whether the depthwise convolution g runs plane by
// plane with dwconv.Plane3x3S2, without a padded copy: a 3×3 kernel with
// stride 2, dilation 1 and padding 1 on planes whose width the kernel in
// use takes.
func dwPlane3x3S2(g *convGeom) bool {
	return g.kh == 3 && g.kw == 3 && g.sh == 2 && g.sw == 2 && g.dh == 1 && g.dw == 1 &&
		g.ph == 1 && g.pw == 1 && dwconv.HasPlane3x3S2(g.w)
}

// dwFlatPlan returns the dwconv.FlatPlan of the depthwise convolution g
// when it runs plane by plane with it: stride 1 and dilation 1 with
// outputs the size of the inputs, on maps where it beats the other paths
// (see dwFlatMaxWidth). It returns nil otherwise.
func dwFlatPlan(g *convGeom) *dwconv.FlatPlan {
	if !dwFlat(g) {
		return nil
	}
	return dwconv.NewFlatPlan(g.h, g.w, g.kh, g.kw, g.ph, g.pw, false)
}

// dwFlat reports whether the depthwise convolution g runs with a FlatPlan.
func dwFlat(g *convGeom) bool {
	return g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1 && g.ho == g.h && g.wo == g.w &&
		(g.w <= dwFlatMaxWidth || g.kk() >= dwFlatMinTaps) && (g.hw() >= dwFlatMinPlane || !dwInterleaved(g))
}

// dwFlatGradPlan is dwFlatPlan for the input gradient of g, the
// correlation of dy with the flipped kernel, when g has one output per
// input channel (further ones would add to dx).
func dwFlatGradPlan(g *convGeom) *dwconv.FlatPlan {
	if g.og != 1 || !dwFlat(g) {
		return nil
	}
	return dwconv.NewFlatPlan(g.h, g.w, g.kh, g.kw, g.kh-1-g.ph, g.kw-1-g.pw, true)
}

// dwFlatMaxWidth is the widest map dwFlatPlan takes with kernels of fewer
// than dwFlatMinTaps taps: on wider maps the kernels that vectorize along
// rows reuse each input vector for several output rows and are faster
// (56×56 3×3 forward: 89-106 GFLOP/s along rows, 29-49 with FlatPlan;
// 28×28 3×3, since FlatPlan forms each tap row's taps from one window:
// forward 52-79 with FlatPlan, 31-60 along rows; Zen 5, one thread, A/B
// of 3-4 rounds, benchmarks/README.md, dw5 branch). Kernels of
// dwFlatMinTaps taps and more (5×5, 7×7) take it on maps of any width,
// where the tap kernels along rows have no AVX-512 path for rows of fewer
// than 16 vectors (5×5 on 56×56: forward 42 against 33 GFLOP/s, input
// gradient 54 against 40). Of the small maps that the interleaved kernels
// take (dwInterleaved), those of dwFlatMinPlane outputs and more run flat
// (7×7 3×3: forward 48 against 29 GFLOP/s, input gradient 50 against 20).
// Zen 5, one thread, medians of 6 (benchmarks/README.md, nlk branch).
const (
	dwFlatMinTaps  = 25
	dwFlatMinPlane = 49
)

const dwFlatMaxWidth = 32

// dwEachPlane runs plane(dst, src, wt) for every output plane dst of the
// depthwise convolution g, src its input plane and wt its kernel, then
// ep, if not nil, on dst, in parallel over the input planes.
func dwEachPlane(g *convGeom, x, w, y []float32, ep *ConvEpilogue, plane func(dst, src, wt []float32)) {
	hw, howo, kk := g.hw(), g.howo(), g.kk()
	grain := parallel.Grain(g.n*g.c, max(1, depthwiseGrain/(g.og*howo*kk)), dwPlaneChunks)
	parallel.For(g.n*g.c, grain, func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			n, c := pl/g.c, pl%g.c
			for m := range g.og {
				o := c*g.og + m
				dst := y[(n*g.cout+o)*howo : (n*g.cout+o+1)*howo]
				plane(dst, x[pl*hw:(pl+1)*hw], w[o*kk:(o+1)*kk])
				if ep != nil {
					ep.apply(y, (n*g.cout+o)*howo, (n*g.cout+o+1)*howo, o)
				}
			}
		}
	})
}

// dwRunOutFloats bounds the outputs of the runs of planes of dwEachRun
// whose epilogue follows them: 64 KiB, which stay in L2.
const dwRunOutFloats = 1 << 14

// dwEachRun runs f(p0, p1) over the planes p0 ≤ p < p1 of a depthwise
// convolution g with one output per input channel (plane p = n·C + c is
// channel c of image n), in parallel, with runs of at most maxRun planes
// of one image: their kernels are consecutive. work is the cost of a
// plane (the depthwiseGrain unit).
func dwEachRun(g *convGeom, work, maxRun int, f func(p0, p1 int)) {
	grain := parallel.Grain(g.n*g.c, max(1, depthwiseGrain/work), dwPlaneChunks)
	parallel.For(g.n*g.c, grain, func(lo, hi int) {
		for p0 := lo; p0 < hi; {
			p1 := min(hi, (p0/g.c+1)*g.c, p0+maxRun)
			f(p0, p1)
			p0 = p1
		}
	})
}

// depthwiseForward computes a depthwise convolution (G = C, Cg = 1, Og =
// Cout/C outputs per input channel):
//
//	y[n,o,i,j] = Σ_{p,q} x[n, o/Og, i·sh − ph + p·dh, j·sw − pw + q·dw] · w[o,0,p,q]
//
// in parallel over the input planes, each output element summing its taps
// in row-major (p, q) order. Every element of y is written. ep, if not
// nil, is applied to each output plane right after it is computed (and
// the planes are then written through the caches).
func depthwiseForward(g *convGeom, x, w, y []float32, ep *ConvEpilogue) {
	f := dwFlatPlan(g)
	// Plane3x3S2 takes narrow planes two output rows to a vector, without
	// the interleaved kernels' transposes (14×14 inputs).
	if f == nil && dwInterleaved(g) && !dwPlane3x3S2(g) {
		dwInterleavedForward(g, x, w, y, ep)
		return
	}
	if f != nil && dwC16(g) {
		dwC16Run(g, x, w, y, false, ep)
		return
	}
	if f != nil {
		if g.og > 1 {
			dwEachPlane(g, x, w, y, ep, func(dst, src, wt []float32) { f.Run(dst, src, wt, 1) })
			return
		}
		// Runs of planes in one call, the epilogue applied to each run
		// while it is in the caches: up to dwRunOutFloats outputs, in
		// whole units of the kernel (dwconv.FlatPlanes planes).
		hw := g.hw()
		run := max(dwconv.FlatPlanes, dwRunOutFloats/hw/dwconv.FlatPlanes*dwconv.FlatPlanes)
		dwEachRun(g, hw*g.kk(), run, func(p0, p1 int) {
			f.Run(y[p0*hw:p1*hw], x[p0*hw:p1*hw], w[p0%g.c*g.kk():], p1-p0)
			if ep != nil {
				ep.planes(y, p0, p1, hw, g.c)
			}
		})
		return
	}
	if dwPlane3x3S2(g) {
		if g.og > 1 {
			dwEachPlane(g, x, w, y, ep, func(dst, src, wt []float32) { dwconv.Plane3x3S2(dst, src, wt, g.h, g.w, 1) })
			return
		}
		// Runs of up to dwRunOutFloats outputs, the epilogue applied to
		// them while they are in the caches.
		hw, howo := g.hw(), g.howo()
		dwEachRun(g, howo*g.kk(), max(1, dwRunOutFloats/howo), func(p0, p1 int) {
			dwconv.Plane3x3S2(y[p0*howo:p1*howo], x[p0*hw:p1*hw], w[p0%g.c*9:], g.h, g.w, p1-p0)
			if ep != nil {
				ep.planes(y, p0, p1, howo, g.c)
			}
		})
		return
	}
	if dwPlane3x3(g) {
		stream := ep == nil && 4*len(y) >= dwStreamBytes
		dwEachPlane(g, x, w, y, ep, func(dst, src, wt []float32) { dwconv.Plane3x3(dst, src, wt, g.h, g.w, false, stream) })
		return
	}
	hw, howo, kk := g.hw(), g.howo(), g.kk()
	grain := parallel.Grain(g.n*g.c, max(1, depthwiseGrain/(g.og*howo*kk)), dwPlaneChunks)
	L := newDWLayout(g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.ho, g.wo, g.h, g.w, 1, 1, g.ph, g.pw)
	// Outputs written in place of dwStreamBytes and more are written with
	// streaming stores, vectors along the rows.
	stream := ep == nil && L.direct && 4*len(y) >= dwStreamBytes
	parallel.For(g.n*g.c, grain, func(lo, hi int) {
		buf := getScratch(L.bufLen())
		clear(buf)
		var out []float32
		if !L.direct {
			out = getScratch(L.outLen())
		}
		for pl := lo; pl < hi; pl++ {
			n, c := pl/g.c, pl%g.c
			L.fill(buf, x[pl*hw:(pl+1)*hw])
			for m := range g.og {
				o := c*g.og + m
				wo := w[o*kk : (o+1)*kk]
				dst := y[(n*g.cout+o)*howo : (n*g.cout+o+1)*howo]
				switch {
				case stream:
					dwconv.TapsStream(dst, buf, wo, L.offs, L.rowGrid, false)
				case L.direct:
					dwconv.Taps(dst, buf, wo, L.offs, L.grid, false)
				default:
					dwconv.Taps(out, buf, wo, L.offs, L.grid, false)
					L.copyOut(dst, out)
				}
				if ep != nil {
					ep.apply(y, (n*g.cout+o)*howo, (n*g.cout+o+1)*howo, o)
				}
			}
		}
		putScratch(buf)
		if out != nil {
			putScratch(out)
		}
	})
}

// depthwiseGradInput computes the input gradient of a depthwise
// convolution,
//
//	dx[n,c,h,v] = Σ_{o in c·Og..c·Og+Og−1} Σ_{i,j,p,q : i·sh−ph+p·dh = h, j·sw−pw+q·dw = v} dy[n,o,i,j] · w[o,0,p,q],
//
// as the stride-1 correlation of each dy plane, spread over a zero buffer,
// with the flipped kernel (weight w[o,0,kh−1−p,kw−1−q] at tap (p, q), the
// taps added in increasing (p, q), that is from the top left of the dy
// window), added over o in increasing order, in parallel over the input
// planes. Every element of dx is written.
func depthwiseGradInput(g *convGeom, dy, w, dx []float32) {
	hw, howo, kk := g.hw(), g.howo(), g.kk()
	// Before the interleaved kernels, which give the same sums on small
	// maps: 14×14 inputs among them.
	if g.og == 1 && dwPlane3x3S2(g) {
		dwEachRun(g, hw*kk, g.c, func(p0, p1 int) {
			dwconv.GradInput3x3S2(dx[p0*hw:p1*hw], dy[p0*howo:p1*howo], w[p0%g.c*kk:], g.h, g.w, p1-p0)
		})
		return
	}
	flat := dwFlatGradPlan(g)
	if flat == nil && dwInterleaved(g) {
		dwInterleavedGradInput(g, dy, w, dx)
		return
	}
	grain := parallel.Grain(g.n*g.c, max(1, depthwiseGrain/(g.og*hw*kk)), dwPlaneChunks)
	// The flipped kernel of output channel o, weight kk−1−t at tap t.
	flipped := func(wf []float32, o int) []float32 {
		for t := range kk {
			wf[t] = w[o*kk+kk-1-t]
		}
		return wf
	}
	if flat != nil && dwC16(g) {
		dwC16Run(g, dy, w, dx, true, nil)
		return
	}
	if flat != nil { // the plan flips the kernel
		dwEachRun(g, hw*kk, g.c, func(p0, p1 int) {
			flat.Run(dx[p0*hw:p1*hw], dy[p0*howo:p1*howo], w[p0%g.c*kk:], p1-p0)
		})
		return
	}
	if dwPlane3x3(g) {
		stream := g.og == 1 && 4*len(dx) >= dwStreamBytes
		parallel.For(g.n*g.c, grain, func(lo, hi int) {
			var wf [9]float32
			for pl := lo; pl < hi; pl++ {
				n, c := pl/g.c, pl%g.c
				for m := range g.og {
					o := c*g.og + m
					dwconv.Plane3x3(dx[pl*hw:(pl+1)*hw], dy[(n*g.cout+o)*howo:(n*g.cout+o+1)*howo], flipped(wf[:], o), g.h, g.w, m > 0, stream)
				}
			}
		})
		return
	}
	L := newDWLayout(g.kh, g.kw, 1, 1, g.dh, g.dw, g.h, g.w, g.ho, g.wo, g.sh, g.sw,
		(g.kh-1)*g.dh-g.ph, (g.kw-1)*g.dw-g.pw)
	// As in depthwiseForward; with one output channel per input channel
	// only, since further ones add to dx.
	stream := L.direct && g.og == 1 && 4*len(dx) >= dwStreamBytes
	parallel.For(g.n*g.c, grain, func(lo, hi int) {
		buf := getScratch(L.bufLen())
		clear(buf)
		wf := getScratch(kk)
		var out []float32
		if !L.direct {
			out = getScratch(L.outLen())
		}
		for pl := lo; pl < hi; pl++ {
			n, c := pl/g.c, pl%g.c
			dst := dx[pl*hw : (pl+1)*hw]
			for m := range g.og {
				o := c*g.og + m
				L.fill(buf, dy[(n*g.cout+o)*howo:(n*g.cout+o+1)*howo])
				wo := flipped(wf, o)
				if stream {
					dwconv.TapsStream(dst, buf, wo, L.offs, L.rowGrid, false)
				} else if L.direct {
					dwconv.Taps(dst, buf, wo, L.offs, L.grid, m > 0)
				} else {
					dwconv.Taps(out, buf, wo, L.offs, L.grid, m > 0)
				}
			}
			if !L.direct {
				L.copyOut(dst, out)
			}
		}
		putScratch(buf)
		putScratch(wf)
		if out != nil {
			putScratch(out)
		}
	})
}

// depthwiseGradWeight computes the weight gradient of a depthwise
// convolution,
//
//	dw[o,0,p,q] = Σ_n Σ_{i,j} dy[n,o,i,j] · x[n, o/Og, i·sh − ph + p·dh, j·sw − pw + q·dw],
//
// in parallel over output channels. For each tap, products are summed per
// lane into an even and an odd partial sum over the images in order, each
// image's vectors along its rows (see dwconv.GradTaps), and the lanes are
// added at the end, in an order fixed by the geometry. Every element of dw
// is written.
//
// Lanes past the output width multiply a zero of dy by a buffer element;
// an infinite input there turns the tap's gradient into NaN, where it would
// otherwise be infinite.
func depthwiseGradWeight(g *convGeom, x, dy, dw []float32) {
	if f := dwFlatGradWeightPlan(g); f != nil {
		dwFlatGradWeight(g, f, x, dy, dw)
		return
	}
	if dwNarrowS2(g) {
		dwNarrowS2GradWeight(g, x, dy, dw)
		return
	}
	if dwInterleaved(g) {
		dwInterleavedGradWeight(g, x, dy, dw)
		return
	}
	if dwPlane3x3(g) || dwPlane3x3S2(g) {
		dwGradWeightPlanes(g, x, dy, dw)
		return
	}
	hw, howo, kk := g.hw(), g.howo(), g.kk()
	L := newDWLayout(g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.ho, g.wo, g.h, g.w, 1, 1, g.ph, g.pw)
	const lanes, group = dwconv.Lanes, dwconv.MaxGradTaps
	groups := (kk + group - 1) / group
	grain := parallel.Grain(g.cout, max(1, depthwiseGrain/(g.n*howo*kk)), dwPlaneChunks)
	parallel.For(g.cout, grain, func(lo, hi int) {
		buf := getScratch(L.bufLen())
		clear(buf)
		sums := getScratch(groups * 2 * group * lanes)
		var dyb []float32
		if !L.direct {
			dyb = getScratch(L.outLen())
			clear(dyb)
		}
		for o := lo; o < hi; o++ {
			c := o / g.og
			clear(sums)
			for n := range g.n {
				dyp := dy[(n*g.cout+o)*howo : (n*g.cout+o+1)*howo]
				xp := x[(n*g.c+c)*hw : (n*g.c+c+1)*hw]
				L.fill(buf, xp)
				if !L.direct {
					dwconv.CopyRows(dyb, dyp, L.wo, L.ho, L.ldy, L.wo, false)
					dyp = dyb
				}
				for k := range groups {
					t0, t1 := k*group, min(kk, (k+1)*group)
					dwconv.GradTaps(sums[k*2*group*lanes:(k+1)*2*group*lanes], dyp, buf, L.ioffs[t0:t1], L.rowGrid)
				}
			}
			dwconv.SumLanes(dw[o*kk:(o+1)*kk], sums, kk, 1, 0)
		}
		putScratch(buf)
		putScratch(sums)
		if dyb != nil {
			putScratch(dyb)
		}
	})
}

// dwGradWeightPlanes is depthwiseGradWeight for 3×3 planes read in place
// (dwconv.GradPlane3x3 and, with stride 2, GradPlane3x3S2): the sums of
// GradTaps over the padded copies, bit for bit. A range of output
// channels keeps the partial sums of all its channels, so that it reads
// each image's planes of the range one after the other in memory, and each
// channel still adds the images in order.
func dwGradWeightPlanes(g *convGeom, x, dy, dw []float32) {
	hw, howo := g.hw(), g.howo()
	const size = dwconv.GradSums
	dwGradWeightRanges(g, dw, size, func(sums []float32, n, lo, hi int) {
		dyn, xn := dy[n*g.cout*howo:(n+1)*g.cout*howo], x[n*g.c*hw:(n+1)*g.c*hw]
		switch {
		case g.sh == 2 && g.og == 1: // the range's planes in one call
			dwconv.GradPlane3x3S2(sums, dyn[lo*howo:hi*howo], xn[lo*hw:hi*hw], g.h, g.w, hi-lo)
		case g.sh == 2:
			for o := lo; o < hi; o++ {
				c := o / g.og
				dwconv.GradPlane3x3S2(sums[(o-lo)*size:], dyn[o*howo:(o+1)*howo], xn[c*hw:(c+1)*hw], g.h, g.w, 1)
			}
		default:
			for o := lo; o < hi; o++ {
				c := o / g.og
				dwconv.GradPlane3x3(sums[(o-lo)*size:], dyn[o*howo:(o+1)*howo], xn[c*hw:(c+1)*hw], g.h, g.w)
			}
		}
	})
}

// dwGradWeightRanges sets the weight gradient dw of the depthwise
// convolution g in parallel over ranges [lo, hi) of output channels: the
// partial sums of a range's channels, size apiece, start at zero,
// grad(sums, n, lo, hi) adds those of image n for the images in order
// (a range reads each image's planes one after the other in memory), and
// dwconv.SumLanes sets each channel's gradient from its sums.
func dwGradWeightRanges(g *convGeom, dw []float32, size int, grad func(sums []float32, n, lo, hi int)) {
	kk := g.kk()
	grain := parallel.Grain(g.cout, max(1, depthwiseGrain/(g.n*g.howo()*kk)), dwPlaneChunks)
	parallel.For(g.cout, grain, func(lo, hi int) {
		sums := getScratch((hi - lo) * size)
		clear(sums)
		for n := range g.n {
			grad(sums, n, lo, hi)
		}
		dwconv.SumLanes(dw[lo*kk:hi*kk], sums, kk, hi-lo, size)
		putScratch(sums)
	})
}

// dwFlatGradWeightPlan returns the dwconv.FlatPlan whose Grad computes the
// weight gradient of the depthwise convolution g, with every kernel
// variant: those that run flat forward (dwFlat) on maps wider than the
// interleaved kernels take (14×14, 28×28; 7×7 runs interleaved, 16
// channels at a time with AVX-512), 3×3 kernels (dwconv.HasFlatGrad) with
// one output per input channel. It returns nil otherwise.
func dwFlatGradWeightPlan(g *convGeom) *dwconv.FlatPlan {
	if g.og != 1 || !dwFlat(g) || dwInterleaved(g) || !dwconv.HasFlatGrad(g.kh, g.kw) {
		return nil
	}
	return dwconv.NewFlatGradPlan(g.h, g.w, g.kh, g.kw, g.ph, g.pw)
}

// dwFlatGradWeight is depthwiseGradWeight with f.Grad (see
// dwGradWeightRanges): each channel's partial sums add its images in
// order, each image's products 16 outputs at a time in the plane's order.
func dwFlatGradWeight(g *convGeom, f *dwconv.FlatPlan, x, dy, dw []float32) {
	hw := g.hw()
	dwGradWeightRanges(g, dw, dwconv.FlatGradSums(g.kk()), func(sums []float32, n, lo, hi int) {
		p0, p1 := n*g.c+lo, n*g.c+hi
		f.Grad(sums, dy[p0*hw:p1*hw], x[p0*hw:p1*hw], hi-lo)
	})
}

// dwNarrowS2 reports whether the weight gradient of the depthwise
// convolution g runs with dwconv.GradNarrow3x3S2, with every kernel
// variant: a 3×3 kernel with stride 2, dilation 1 and padding 1 on planes
// up to 16 wide (two output rows to a vector; 14×14 inputs), one output
// per input channel.
func dwNarrowS2(g *convGeom) bool {
	return g.og == 1 && g.kh == 3 && g.kw == 3 && g.sh == 2 && g.sw == 2 && g.dh == 1 && g.dw == 1 &&
		g.ph == 1 && g.pw == 1 && dwconv.HasGradNarrow3x3S2(g.h, g.w)
}

// dwNarrowS2GradWeight is depthwiseGradWeight with
// dwconv.GradNarrow3x3S2 (see dwGradWeightRanges).
func dwNarrowS2GradWeight(g *convGeom, x, dy, dw []float32) {
	hw, howo := g.hw(), g.howo()
	dwGradWeightRanges(g, dw, dwconv.GradSums, func(sums []float32, n, lo, hi int) {
		p0, p1 := n*g.c+lo, n*g.c+hi
		dwconv.GradNarrow3x3S2(sums, dy[p0*howo:p1*howo], x[p0*hw:p1*hw], g.h, g.w, hi-lo)
	})
}
