package tensor

import (
	"sync"

	"github.com/autonl-go/autonl/internal/parallel"
	"github.com/autonl-go/autonl/tensor/internal/dwconv"
)

// Depthwise convolutions of small maps (7×7, 14×14) waste most of a
// vector along a row and spend more time per plane on set-up than on
// arithmetic. For them, the planes of Lanes consecutive channels of one
// image are interleaved into one buffer of pixels, each pixel a vector of
// the Lanes channels, and the kernels vectorize across channels: every
// vector operation does useful work whatever the map's width, and one
// kernel call covers Lanes planes. The weights become one vector per tap
// (dwconv.TapsVec); the weight gradient accumulates per lane, so no lanes
// are summed at the end. Where dwconv.FlatPlan has a kernel (AVX-512), the
// forward pass and input gradient of stride-1 maps of at least
// dwFlatMinPlane outputs (7×7, 8×8) run on flattened planes instead (see
// dwFlat), without the two transposes; these kernels take the rest.
//
// The input gradient of a strided convolution is computed phase by phase
// (polyphase): the input positions h ≡ a (mod sh), v ≡ b (mod sw) receive
// contributions from a fixed subset of the taps, each reading the output
// gradient at unit stride, so no work is spent on the zeros that spreading
// dy would insert.

// Widest output and input maps computed with channels interleaved across
// lanes. Interleaving costs a transpose of the input and of the output;
// from about 14 columns on, rows of two vectors waste few lanes and the
// kernels that vectorize along rows are as fast.
const (
	dwInterleaveMaxOutWidth = 8
	dwInterleaveMaxInWidth  = 16
)

// dwInterleaved reports whether the depthwise convolution g uses the
// interleaved kernels: small maps and one output per input channel.
func dwInterleaved(g *convGeom) bool {
	return g.og == 1 && g.wo <= dwInterleaveMaxOutWidth && g.w <= dwInterleaveMaxInWidth
}

// dwPad describes a zero-padded buffer of interleaved pixels holding a
// rows×cols map at row top and column left, ld pixels per row.
type dwPad struct {
	rows, ld  int
	top, left int
}

func (p dwPad) len() int { return p.rows * p.ld * dwconv.Lanes }

// packPlanes writes the h×w planes src[(c0+l)·plane:], l < nc, of one
// image into the interleaved buffer buf laid out as p: pixel (a, b) of
// plane l goes to lane l of pixel (a+top, b+left). Only those positions are
// written, so the buffer's zero padding stays; lanes past nc are left as
// they are (their weights are zero and their results are not read).
func packPlanes(buf, src []float32, plane, c0, nc, h, w int, p dwPad) {
	const lanes = dwconv.Lanes
	if nc == lanes {
		dwconv.PackC8(buf[(p.top*p.ld+p.left)*lanes:], src[c0*plane:], plane, h, w, w, p.ld*lanes)
		return
	}
	for l := range nc {
		s := src[(c0+l)*plane : (c0+l)*plane+h*w]
		for a := range h {
			row := buf[((a+p.top)*p.ld+p.left)*lanes:]
			row = row[:w*lanes]
			for b, v := range s[a*w : (a+1)*w] {
				row[b*lanes+l] = v
			}
		}
	}
}

// unpackPlanes writes lanes l < nc of the n interleaved pixels of buf to
// the planes dst[(c0+l)·n:].
func unpackPlanes(dst, buf []float32, n, c0, nc int) {
	const lanes = dwconv.Lanes
	if nc == lanes {
		dwconv.UnpackC8(dst[c0*n:], buf, n, n)
		return
	}
	buf = buf[:n*lanes]
	for l := range nc {
		d := dst[(c0+l)*n : (c0+l+1)*n]
		for k := range d {
			d[k] = buf[k*lanes+l]
		}
	}
}

// packWeights writes the weights of channels c0+l, l < nc, as one vector
// per tap: wv[t·Lanes + l] = w[(c0+l)·kk + taps[t]], zero for l ≥ nc.
func packWeights(wv, w []float32, c0, nc, kk int, taps []int) {
	const lanes = dwconv.Lanes
	for t, tap := range taps {
		v := wv[t*lanes : (t+1)*lanes]
		for l := range v {
			v[l] = 0
			if l < nc {
				v[l] = w[(c0+l)*kk+tap]
			}
		}
	}
}

// dwInputPad returns the layout of the padded input buffer of the forward
// pass and the weight gradient: output (i, j) reads pixel (i·sh + p·dh,
// j·sw + q·dw) for tap (p, q), input (a, b) is at (a + ph, b + pw).
func dwInputPad(g *convGeom) dwPad {
	rows := max((g.ho-1)*g.sh+(g.kh-1)*g.dh+1, g.h+g.ph)
	cols := max((g.wo-1)*g.sw+(g.kw-1)*g.dw+1, g.w+g.pw)
	return dwPad{rows: rows, ld: cols, top: g.ph, left: g.pw}
}

// dwTapOffsets returns the buffer offsets (in elements) of the taps in
// (p, q) order for a padded buffer of ld pixels per row.
func dwTapOffsets(g *convGeom, ld int) (offs []int32, ioffs []int) {
	const lanes = dwconv.Lanes
	for p := range g.kh {
		for q := range g.kw {
			o := (p*g.dh*ld + q*g.dw) * lanes
			offs, ioffs = append(offs, int32(o)), append(ioffs, o)
		}
	}
	return offs, ioffs
}

// allTaps returns 0, 1, …, kk−1.
func allTaps(kk int) []int {
	t := make([]int, kk)
	for i := range t {
		t[i] = i
	}
	return t
}

// channelGroups returns the number of groups of Lanes channels.
func channelGroups(c int) int { return (c + dwconv.Lanes - 1) / dwconv.Lanes }

// dwInterleavedForward is depthwiseForward for dwInterleaved geometries,
// in parallel over (image, group of channels); each output sums its taps
// in (p, q) order.
func dwInterleavedForward(g *convGeom, x, w, y []float32, ep *ConvEpilogue) {
	const lanes = dwconv.Lanes
	hw, howo, kk := g.hw(), g.howo(), g.kk()
	pad := dwInputPad(g)
	offs, _ := dwTapOffsets(g, pad.ld)
	grid := dwconv.Grid{Vecs: g.wo, Rows: g.ho, XStep: g.sw * lanes, XRow: g.sh * pad.ld * lanes, YStep: lanes, YRow: g.wo * lanes}
	groups := channelGroups(g.c)
	taps := allTaps(kk)
	grain := max(1, depthwiseGrain/(lanes*howo*kk))
	// The weights of every group, packed once: kk·Lanes per group.
	wv := getScratch(groups * kk * lanes)
	defer putScratch(wv)
	for grp := range groups {
		c0 := grp * lanes
		packWeights(wv[grp*kk*lanes:], w, c0, min(lanes, g.c-c0), kk, taps)
	}
	parallel.For(g.n*groups, grain, func(lo, hi int) {
		buf := getScratch(pad.len())
		clear(buf)
		out := getScratch(howo * lanes)
		for t := lo; t < hi; t++ {
			n, grp := t/groups, t%groups
			c0 := grp * lanes
			nc := min(lanes, g.c-c0)
			packPlanes(buf, x[n*g.c*hw:], hw, c0, nc, g.h, g.w, pad)
			dwconv.TapsVec(out, buf, wv[grp*kk*lanes:(grp+1)*kk*lanes], offs, grid, false)
			unpackPlanes(y[n*g.c*howo:], out, howo, c0, nc)
			if ep != nil {
				ep.planes(y, n*g.c+c0, n*g.c+c0+nc, howo, g.c)
			}
		}
		putScratch(buf)
		putScratch(out)
	})
}

// dwPhase is one phase of the polyphase input gradient: the input
// positions h = a + sh·u (u < nu) and v = b + sw·z (z < nz), and the taps
// (p, q) that reach them, with the rows e_p and columns f_q of dy they
// read relative to u and z.
type dwPhase struct {
	a, b, nu, nz int
	taps         []int // p·kw + q, in decreasing order (from the top left of the dy window)
	rowOff       []int // e_p per tap
	colOff       []int // f_q per tap
}

// dwPhases splits the input gradient of g into its sh·sw phases.
func dwPhases(g *convGeom) []dwPhase {
	var ph []dwPhase
	for a := range g.sh {
		for b := range g.sw {
			f := dwPhase{a: a, b: b, nu: (g.h - a + g.sh - 1) / g.sh, nz: (g.w - b + g.sw - 1) / g.sw}
			if f.nu <= 0 || f.nz <= 0 {
				continue
			}
			for p := g.kh - 1; p >= 0; p-- {
				r := a + g.ph - p*g.dh
				if r%g.sh != 0 {
					continue
				}
				for q := g.kw - 1; q >= 0; q-- {
					c := b + g.pw - q*g.dw
					if c%g.sw != 0 {
						continue
					}
					f.taps = append(f.taps, p*g.kw+q)
					f.rowOff = append(f.rowOff, floorDiv(r, g.sh))
					f.colOff = append(f.colOff, floorDiv(c, g.sw))
				}
			}
			ph = append(ph, f)
		}
	}
	return ph
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// dwInterleavedGradInput is depthwiseGradInput for dwInterleaved
// geometries, phase by phase, in parallel over (image, group of
// channels). Each input gradient sums the taps of its phase in decreasing
// (p, q), from the top left of the dy window, as the other paths do
// (which add further taps that read zeros, exact no-ops); positions that
// no tap reaches are zero.
func dwInterleavedGradInput(g *convGeom, dy, w, dx []float32) {
	const lanes = dwconv.Lanes
	hw, howo, kk := g.hw(), g.howo(), g.kk()
	phases := dwPhases(g)
	// The dy buffer: dy (i, j) at (i + top, j + left), with room for the
	// rows and columns every phase reads.
	top, left, bottom, right := 0, 0, g.ho, g.wo
	for _, f := range phases {
		for t := range f.taps {
			top, bottom = max(top, -f.rowOff[t]), max(bottom, f.nu-1+f.rowOff[t]+1)
			left, right = max(left, -f.colOff[t]), max(right, f.nz-1+f.colOff[t]+1)
		}
	}
	pad := dwPad{rows: top + bottom, ld: left + right, top: top, left: left}
	type phaseRun struct {
		offs  []int32
		taps  []int
		grid  dwconv.Grid
		start int // first output element
	}
	runs := make([]phaseRun, len(phases))
	for i, f := range phases {
		r := phaseRun{taps: f.taps, start: (f.a*g.w + f.b) * lanes,
			grid: dwconv.Grid{Vecs: f.nz, Rows: f.nu, XStep: lanes, XRow: pad.ld * lanes, YStep: g.sw * lanes, YRow: g.sh * g.w * lanes}}
		for t := range f.taps {
			r.offs = append(r.offs, int32(((f.rowOff[t]+top)*pad.ld+f.colOff[t]+left)*lanes))
		}
		runs[i] = r
	}
	groups := channelGroups(g.c)
	grain := max(1, depthwiseGrain/(lanes*hw*kk))
	parallel.For(g.n*groups, grain, func(lo, hi int) {
		buf := getScratch(pad.len())
		clear(buf)
		out := getScratch(hw * lanes)
		wv := getScratch(len(runs) * kk * lanes)
		lastGroup := -1
		for t := lo; t < hi; t++ {
			n, grp := t/groups, t%groups
			c0 := grp * lanes
			nc := min(lanes, g.c-c0)
			if grp != lastGroup {
				for i, r := range runs {
					packWeights(wv[i*kk*lanes:], w, c0, nc, kk, r.taps)
				}
				lastGroup = grp
			}
			packPlanes(buf, dy[n*g.c*howo:], howo, c0, nc, g.ho, g.wo, pad)
			for i, r := range runs {
				if len(r.taps) == 0 {
					for u := range r.grid.Rows {
						for z := range r.grid.Vecs {
							clear(out[r.start+u*r.grid.YRow+z*r.grid.YStep:][:lanes])
						}
					}
					continue
				}
				dwconv.TapsVec(out[r.start:], buf, wv[i*kk*lanes:], r.offs, r.grid, false)
			}
			unpackPlanes(dx[n*g.c*hw:], out, hw, c0, nc)
		}
		putScratch(buf)
		putScratch(out)
		putScratch(wv)
	})
}

// float64Scratch holds float64 buffers for the sums of
// dwInterleavedGradWeight.
var float64Scratch = sync.Pool{New: func() any { return new([]float64) }}

// dwInterleavedGradWeight is depthwiseGradWeight for dwInterleaved
// geometries, in parallel over groups of channels. Each lane holds one
// channel's whole sum, so, to keep the float32 chains short, the products
// of each block of a few output rows of an image are summed per lane into
// an even and an odd partial sum (dwconv.GradTaps), and the blocks' partial
// sums are added in float64, in order.
func dwInterleavedGradWeight(g *convGeom, x, dy, dw []float32) {
	const lanes, group = dwconv.Lanes, dwconv.MaxGradTaps
	hw, howo, kk := g.hw(), g.howo(), g.kk()
	pad := dwInputPad(g)
	_, ioffs := dwTapOffsets(g, pad.ld)
	grid := dwconv.Grid{Vecs: g.wo, Rows: g.ho, XStep: g.sw * lanes, XRow: g.sh * pad.ld * lanes, YStep: lanes, YRow: g.wo * lanes}
	ngroups := (kk + group - 1) / group
	groups := channelGroups(g.c)
	dyPad := dwPad{rows: g.ho, ld: g.wo}
	// Rows of outputs per float32 partial sum: chains of about 32 products
	// (even and odd columns apart), as short as those of the kernels that
	// vectorize along rows.
	rowsPerSum := max(1, 64/g.wo)
	// A range holds enough groups for an image's part of it to be a run
	// of at least dwRunFloats values: the groups of a range are read
	// image after image, and each group's sums still add the images in
	// order.
	// With dwconv.GradC16 (AVX-512), two full groups at a time, in pixels
	// of 16 lanes: the same sums lane by lane.
	c16 := kk == 9 && dwconv.HasC16()
	// The ranges split the groups among the workers (dwPlaneChunks ranges
	// apiece, no result depends on them): each range costs its scratch
	// buffers, cleared, which small ones (7×7 maps, 2 groups) paid 60
	// times a call on one thread. With GradC16, an even number of groups.
	grain := parallel.Grain(groups, max(1, depthwiseGrain/(g.n*lanes*howo*kk), dwRunFloats/(lanes*hw)), dwPlaneChunks)
	if c16 {
		grain += grain % 2
	}
	var offs16 []int
	if c16 {
		for _, o := range ioffs {
			offs16 = append(offs16, 2*o)
		}
	}
	grid16 := dwconv.Grid{Vecs: g.wo, Rows: g.ho, XStep: 2 * grid.XStep, XRow: 2 * grid.XRow, YStep: 2 * lanes, YRow: 2 * grid.YRow}
	parallel.For(groups, grain, func(lo, hi int) {
		buf := getScratch(pad.len())
		clear(buf)
		dyb := getScratch(howo * lanes)
		var buf16, dyb16 []float32
		if c16 {
			buf16, dyb16 = getScratch(2*pad.len()), getScratch(2*howo*lanes)
			clear(buf16)
			defer putScratch(buf16)
			defer putScratch(dyb16)
		}
		sums := getScratch(ngroups * 2 * group * lanes)
		tp := float64Scratch.Get().(*[]float64)
		if len(*tp) < (hi-lo)*kk*lanes {
			*tp = make([]float64, (hi-lo)*kk*lanes)
		}
		totals := (*tp)[:(hi-lo)*kk*lanes]
		defer float64Scratch.Put(tp)
		clear(totals)
		for n := range g.n {
			for grp := lo; grp < hi; grp++ {
				c0 := grp * lanes
				nc := min(lanes, g.c-c0)
				total := totals[(grp-lo)*kk*lanes : (grp-lo+1)*kk*lanes]
				if c16 && grp+1 < hi && c0+2*lanes <= g.c {
					dwconv.PackC16(buf16[(pad.top*pad.ld+pad.left)*2*lanes:], x[(n*g.c+c0)*hw:], hw, g.h, g.w, g.w, pad.ld*2*lanes)
					// dy's planes are packed whole (their pixels in order).
					dwconv.PackC16(dyb16, dy[(n*g.c+c0)*howo:], howo, 1, howo, howo, howo*2*lanes)
					for r0 := 0; r0 < g.ho; r0 += rowsPerSum {
						gr := grid16
						gr.Rows = min(rowsPerSum, g.ho-r0)
						dwconv.GradC16(total, totals[(grp+1-lo)*kk*lanes:], dyb16[r0*grid16.YRow:], buf16[r0*grid16.XRow:], offs16, gr)
					}
					grp++
					continue
				}
				packPlanes(buf, x[n*g.c*hw:], hw, c0, nc, g.h, g.w, pad)
				packPlanes(dyb, dy[n*g.c*howo:], howo, c0, nc, g.ho, g.wo, dyPad)
				for r0 := 0; r0 < g.ho; r0 += rowsPerSum {
					gr := grid
					gr.Rows = min(rowsPerSum, g.ho-r0)
					clear(sums)
					for k := range ngroups {
						t0, t1 := k*group, min(kk, (k+1)*group)
						dwconv.GradTaps(sums[k*2*group*lanes:(k+1)*2*group*lanes], dyb[r0*grid.YRow:], buf[r0*grid.XRow:], ioffs[t0:t1], gr)
					}
					for t := range kk {
						k, u := t/group, t%group
						even := sums[(k*2*group+2*u)*lanes:][:lanes]
						odd := sums[(k*2*group+2*u+1)*lanes:][:lanes]
						tt := total[t*lanes : (t+1)*lanes]
						for l := range lanes {
							tt[l] += float64(even[l] + odd[l])
						}
					}
				}
			}
		}
		for grp := lo; grp < hi; grp++ {
			c0 := grp * lanes
			total := totals[(grp-lo)*kk*lanes:]
			for t := range kk {
				for l := range min(lanes, g.c-c0) {
					dw[(c0+l)*kk+t] = float32(total[t*lanes+l])
				}
			}
		}
		putScratch(buf)
		putScratch(dyb)
		putScratch(sums)
	})
}
