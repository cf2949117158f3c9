//go:build amd64 && !purego

package dwconv

import (
	"sync"
	"unsafe"

	"golang.org/x/sys/cpu"

	"github.com/autonl-go/autonl/tensor/internal/cpuid"
)

//go:generate go run ../asmgen -kind dwconv -out kernels_amd64.s

// tapsAVX2 is the Taps kernel with strides in bytes; acc is 0 or 1.
//
//go:noescape
func tapsAVX2(y, x, w *float32, offs *int32, ntaps, nvec, xstep, ystep, nrows, xrow, yrow, acc int)

// tapsNTAVX2 is tapsAVX2 with non-temporal stores: y and the strides
// ystep and yrow must be multiples of 32 bytes.
//
//go:noescape
func tapsNTAVX2(y, x, w *float32, offs *int32, ntaps, nvec, xstep, ystep, nrows, xrow, yrow, acc int)

// tapsVecAVX2 is the TapsVec kernel with strides in bytes; acc is 0 or 1.
//
//go:noescape
func tapsVecAVX2(y, x, w *float32, offs *int32, ntaps, nvec, xstep, ystep, nrows, xrow, yrow, acc int)

// copyRowsAVX2 is the CopyRows kernel with strides in bytes; maskLast is
// 0 or 1.
//
//go:noescape
func copyRowsAVX2(dst, src *float32, n, rows, dstride, sstride, maskLast int)

// deinterleave2AVX2 is the Deinterleave2 kernel with strides in bytes.
//
//go:noescape
func deinterleave2AVX2(even, odd, src *float32, n, rows, dstride, sstride int)

// gradTapsAVX2 is the GradTaps kernel with strides and offsets in bytes.
//
//go:noescape
func gradTapsAVX2(out, dy, x *float32, offs *int64, ntaps, nvec, xstep, ystep, nrows, xrow, yrow int)

// packC8AVX2 and unpackC8AVX2 are the PackC8 and UnpackC8 kernels with
// strides in bytes.
//
//go:noescape
func packC8AVX2(dst, src *float32, plane, rows, w, srow, drow int)

//go:noescape
func unpackC8AVX2(dst, src *float32, plane, n int)

// packC8HalfAVX2 is packC8AVX2 into the low or high 8 lanes of pixels of
// 16 (64 bytes apart).
//
//go:noescape
func packC8HalfAVX2(dst, src *float32, plane, rows, w, srow, drow int)

// gradC16AVX512 is the kernel of GradC16 (see dwGradC16512 in ../asmgen).
//
//go:noescape
func gradC16AVX512(tot0, tot1 *float64, dy, x *float32, offs *int32, nvec, nrows, xstep, xrow, yrow int)

// The AVX-512 kernels (see dwTaps512 and dwGradTaps512 in ../asmgen):
// vectors one after the other along rows, two to a zmm register, with
// the AVX2 kernels' results bit for bit. Strides and offsets in bytes.

//go:noescape
func tapsAVX512(y, x, w *float32, offs *int32, ntaps, nvec, nrows, xrow, yrow, acc int)

//go:noescape
func tapsNTAVX512(y, x, w *float32, offs *int32, ntaps, nvec, nrows, xrow, yrow, acc int)

//go:noescape
func tapsVecAVX512(y, x, w *float32, offs *int32, ntaps, nvec, nrows, xrow, yrow, acc int)

// taps3RowsAVX512, taps3RowsNTAVX512 and taps3RowsVecAVX512 are the
// kernels for 3×3 taps over consecutive input rows (see rows3).
//
//go:noescape
func taps3RowsAVX512(y, x, top, bottom, w *float32, offs *int32, masks *uint16, nvec, nrows, xrow, yrow, acc int)

//go:noescape
func taps3RowsNTAVX512(y, x, top, bottom, w *float32, offs *int32, masks *uint16, nvec, nrows, xrow, yrow, acc int)

//go:noescape
func taps3RowsVecAVX512(y, x, top, bottom, w *float32, offs *int32, masks *uint16, nvec, nrows, xrow, yrow, acc int)

// gradTaps3RowsAVX512 is the weight-gradient kernel of a 3×3 kernel over
// consecutive input rows (see gradPlane3x3AVX512).
//
//go:noescape
func gradTaps3RowsAVX512(out, dy, x, top, bottom *float32, offs *int32, masks *uint16, nvec, nrows, xrow, yrow int)

// plane3x3S2AVX512 is the kernel of Plane3x3S2 for a strip of up to 4
// chunks of 16 output columns of one or more planes (see dwPlane3x3S2512
// in ../asmgen).
//
//go:noescape
func plane3x3S2AVX512(y, x, zero, w *float32, masks *uint16, nchunk, ho, hodd, xrow, yrow, nplane, xplane, yplane int)

// gradPlane3x3S2AVX512 is the kernel of GradPlane3x3S2 (see
// dwGradPlane3x3S2512 in ../asmgen).
//
//go:noescape
func gradPlane3x3S2AVX512(out, dy, x, zero *float32, masks *uint16, nchunk, ho, hodd, xrow, yrow, nplane, xplane, yplane int)

// gradInput3x3S2AVX512 is the kernel of GradInput3x3S2 (see
// dwGradInput3x3S2512 in ../asmgen).
//
//go:noescape
func gradInput3x3S2AVX512(dx, dy, zero, w *float32, masks *uint16, nchunk, ho, hodd, dyrow, dxrow, nplane, dxplane, dyplane int)

// planeFlatKwAVX512 are the kernels of FlatPlan.Run for kernels kw
// columns wide, on 4 chunks of each of 3 planes at a time and a last group
// of the remaining chunks (see dwPlaneFlat512 in ../asmgen).
var planeFlatKwAVX512 = [flatMaxKw + 1]func(y, x, w *float32, offs *int32, masks *uint16, kh, gbytes, ctail, nunit, xstep, wstep, xb, wb, wq, cmoff, gstride int){
	nil, planeFlat1AVX512, planeFlat2AVX512, planeFlat3AVX512, planeFlat4AVX512,
	planeFlat5AVX512, planeFlat6AVX512, planeFlat7AVX512, planeFlat8AVX512}

//go:noescape
func planeFlat1AVX512(y, x, w *float32, offs *int32, masks *uint16, kh, gbytes, ctail, nunit, xstep, wstep, xb, wb, wq, cmoff, gstride int)

//go:noescape
func planeFlat2AVX512(y, x, w *float32, offs *int32, masks *uint16, kh, gbytes, ctail, nunit, xstep, wstep, xb, wb, wq, cmoff, gstride int)

//go:noescape
func planeFlat3AVX512(y, x, w *float32, offs *int32, masks *uint16, kh, gbytes, ctail, nunit, xstep, wstep, xb, wb, wq, cmoff, gstride int)

//go:noescape
func planeFlat4AVX512(y, x, w *float32, offs *int32, masks *uint16, kh, gbytes, ctail, nunit, xstep, wstep, xb, wb, wq, cmoff, gstride int)

//go:noescape
func planeFlat5AVX512(y, x, w *float32, offs *int32, masks *uint16, kh, gbytes, ctail, nunit, xstep, wstep, xb, wb, wq, cmoff, gstride int)

//go:noescape
func planeFlat6AVX512(y, x, w *float32, offs *int32, masks *uint16, kh, gbytes, ctail, nunit, xstep, wstep, xb, wb, wq, cmoff, gstride int)

//go:noescape
func planeFlat7AVX512(y, x, w *float32, offs *int32, masks *uint16, kh, gbytes, ctail, nunit, xstep, wstep, xb, wb, wq, cmoff, gstride int)

//go:noescape
func planeFlat8AVX512(y, x, w *float32, offs *int32, masks *uint16, kh, gbytes, ctail, nunit, xstep, wstep, xb, wb, wq, cmoff, gstride int)

// gradFlat3x3AVX512 is the kernel of FlatPlan.Grad for 3×3 kernels (see
// dwGradFlat512 in ../asmgen).
//
//go:noescape
func gradFlat3x3AVX512(out, dy, x *float32, offs *int32, masks *uint16, gbytes, ctail, nplane, pbytes, obytes, cmoff, gstride int)

// gradTapsAVX512 takes 1 to maxGradTaps512 taps.
//
//go:noescape
func gradTapsAVX512(out, dy, x *float32, offs *int64, ntaps, nvec, nrows, xrow, yrow int)

const (
	// maxGradTaps2 and maxGradTaps512 are the most taps gradTapsAVX2
	// and gradTapsAVX512 accumulate in one call.
	maxGradTaps2   = 4
	maxGradTaps512 = 9
)

var (
	hasAVX2   = cpu.X86.HasAVX2 && cpu.X86.HasFMA
	hasAVX512 = hasAVX2 && cpu.X86.HasAVX512F
)

// variants lists the kernel sets this CPU runs, best first.
func variants() []variant {
	vs := []variant{genericVariant}
	if hasAVX2 {
		avx2 := variant{name: "avx2", taps: tapsAsm, tapsStream: tapsStreamAsm, tapsVec: tapsVecAsm,
			gradTaps: gradTapsAsm, copyRows: copyRowsAsm, deinterleave2: deinterleave2Asm,
			packC8: packC8Asm, unpackC8: unpackC8Asm, gradFlat: gradFlatAVX2, gradNarrowS2: gradNarrowS2AVX2,
			sumLanes9: sumLanes9Asm}
		vs = append([]variant{avx2}, vs...)
		if hasAVX512 {
			avx512 := avx2
			avx512.name = "avx512"
			avx512.taps, avx512.tapsStream, avx512.tapsVec = taps512, tapsStream512, tapsVec512
			avx512.gradTaps = gradTaps512
			avx512.plane3x3, avx512.gradPlane3x3 = plane3x3AVX512, gradPlane3x3AVX512
			avx512.plane3x3S2, avx512.planeFlat = plane3x3S2Asm, planeFlatAsm
			avx512.gradPlane3x3S2, avx512.gradInput3x3S2 = gradPlane3x3S2Asm, gradInput3x3S2Asm
			avx512.gradFlat, avx512.gradNarrowS2 = gradFlatAsm, gradNarrowS2Asm
			avx512.packC16, avx512.gradC16 = packC16Asm, gradC16Asm
			avx512.tapsC16 = tapsC16Asm
			vs = append([]variant{avx512}, vs...)
		}
	}
	return vs
}

func tapsAsm(y, x, w []float32, offs []int32, g Grid, acc bool) {
	tapsAVX2(&y[0], &x[0], &w[0], &offs[0], len(offs), g.Vecs, 4*g.XStep, 4*g.YStep, g.Rows, 4*g.XRow, 4*g.YRow, flag(acc))
}

// tapsStreamAsm runs tapsNTAVX2 when every output vector is 32-byte
// aligned, and tapsAsm otherwise.
func tapsStreamAsm(y, x, w []float32, offs []int32, g Grid, acc bool) {
	if uintptr(unsafe.Pointer(&y[0]))%32 != 0 || g.YStep%Lanes != 0 || g.YRow%Lanes != 0 {
		tapsAsm(y, x, w, offs, g, acc)
		return
	}
	tapsNTAVX2(&y[0], &x[0], &w[0], &offs[0], len(offs), g.Vecs, 4*g.XStep, 4*g.YStep, g.Rows, 4*g.XRow, 4*g.YRow, flag(acc))
}

func tapsVecAsm(y, x, w []float32, offs []int32, g Grid, acc bool) {
	tapsVecAVX2(&y[0], &x[0], &w[0], &offs[0], len(offs), g.Vecs, 4*g.XStep, 4*g.YStep, g.Rows, 4*g.XRow, 4*g.YRow, flag(acc))
}

func copyRowsAsm(dst, src []float32, n, rows, dstride, sstride int, maskLast bool) {
	copyRowsAVX2(&dst[0], &src[0], n, rows, 4*dstride, 4*sstride, flag(maskLast))
}

// gradTapsAsm runs gradTapsAVX2 on groups of up to maxGradTaps2 taps.
func gradTapsAsm(out, dy, x []float32, offs []int, g Grid) {
	var o [maxGradTaps2]int64
	for t0 := 0; t0 < len(offs); t0 += maxGradTaps2 {
		n := min(maxGradTaps2, len(offs)-t0)
		for t, v := range offs[t0 : t0+n] {
			o[t] = 4 * int64(v)
		}
		gradTapsAVX2(&out[2*t0*Lanes], &dy[0], &x[0], &o[0], n, g.Vecs, 4*g.XStep, 4*g.YStep, g.Rows, 4*g.XRow, 4*g.YRow)
	}
}

func deinterleave2Asm(even, odd, src []float32, n, rows, dstride, sstride int) {
	deinterleave2AVX2(&even[0], &odd[0], &src[0], n, rows, 4*dstride, 4*sstride)
}

func packC8Asm(dst, src []float32, plane, rows, w, srow, drow int) {
	packC8AVX2(&dst[0], &src[0], 4*plane, rows, w, 4*srow, 4*drow)
}

func unpackC8Asm(dst, src []float32, plane, n int) {
	unpackC8AVX2(&dst[0], &src[0], 4*plane, n)
}

func flag(b bool) int {
	if b {
		return 1
	}
	return 0
}

// taps3Rows reports whether the 9 taps offs of a kernel on the grid r
// (vectors along rows) form a 3×3 kernel whose row p reads the input row
// of output row r+p: offs[3p+q] = offs[q] + p·r.XRow (forward), or of
// output row r−p: offs[3p+q] = offs[q] − p·r.XRow (the flipped kernel of
// an input gradient), and returns the direction, 1 or −1.
func taps3Rows(offs []int32, r Grid) (dir int, ok bool) {
	if len(offs) != 9 || r.XRow == 0 {
		return 0, false
	}
	d := int(offs[3]) - int(offs[0])
	switch d {
	case r.XRow:
		dir = 1
	case -r.XRow:
		dir = -1
	default:
		return 0, false
	}
	for p := 1; p < 3; p++ {
		for q := range 3 {
			if int(offs[3*p+q]) != int(offs[q])+p*d {
				return 0, false
			}
		}
	}
	return dir, true
}

// rows3Kernel names one of the taps3Rows kernels. Its call method calls
// the kernel directly (rather than through a function value, through
// which the offsets and masks that rows3 and plane3x3AVX512 pass would
// escape to the heap at every call).
type rows3Kernel int

const (
	rows3Plain  rows3Kernel = iota // taps3RowsAVX512
	rows3Stream                    // taps3RowsNTAVX512
	rows3Vec                       // taps3RowsVecAVX512
)

func (k rows3Kernel) call(y, x, top, bottom, w *float32, offs *int32, masks *uint16, nvec, nrows, xrow, yrow, acc int) {
	switch k {
	case rows3Stream:
		taps3RowsNTAVX512(y, x, top, bottom, w, offs, masks, nvec, nrows, xrow, yrow, acc)
	case rows3Vec:
		taps3RowsVecAVX512(y, x, top, bottom, w, offs, masks, nvec, nrows, xrow, yrow, acc)
	default:
		taps3RowsAVX512(y, x, top, bottom, w, offs, masks, nvec, nrows, xrow, yrow, acc)
	}
}

// rows3 runs a taps3Rows kernel k over the grid r in strips of up to 8
// vectors, bottom-up when dir is −1 (so that each output row still
// receives its kernel rows in increasing p).
func rows3(k rows3Kernel, y, x, w []float32, offs []int32, r Grid, dir int, acc bool) {
	x0, y0, xrow, yrow := 0, 0, r.XRow, r.YRow
	if dir < 0 {
		x0, y0, xrow, yrow = (r.Rows-1)*r.XRow, (r.Rows-1)*r.YRow, -xrow, -yrow
	}
	// Input row a (0 ≤ a ≤ Rows+1) starts at x0 + a·xrow; tap (p, q) of
	// output row r reads it at offs[q] for a = r+p. With dir −1 the rows
	// before x0 are read at offsets of at least 2·XRow: the kernel gets
	// the rows from their smallest offset on.
	ob := min(offs[0], offs[1], offs[2])
	o := [3]int32{4 * (offs[0] - ob), 4 * (offs[1] - ob), 4 * (offs[2] - ob)}
	row := func(a, v int) *float32 { return &x[x0+a*xrow+int(ob)+v*Lanes] }
	for v := 0; v < r.Vecs; v += 8 {
		n := min(8, r.Vecs-v)
		m := stripMasks(n)
		k.call(&y[y0+v*Lanes], row(1, v), row(0, v), row(r.Rows+1, v), &w[0], &o[0], &m[0], n, r.Rows, 4*xrow, 4*yrow, flag(acc))
	}
}

// stripMasks returns the load masks of rows3's kernels for a strip of n
// vectors of a padded buffer: every lane of the first and the last chunk
// of 16 lanes, the low 8 for a last vector alone in its chunk.
func stripMasks(n int) [6]uint16 {
	last := uint16(0xffff)
	if n%2 == 1 {
		last = 0xff
	}
	first := uint16(0xffff)
	if n <= 2 {
		first = last
	}
	return [6]uint16{first, first, first, last, last, last}
}

// The fewest vectors per row for which the AVX-512 tap kernels beat the
// AVX2 ones (which take the grid as it is, often with longer runs of
// vectors down the columns): below them, a row's few accumulators leave
// the AVX-512 kernels waiting on their chains of fused multiply-adds. The
// results are the same either way. (56×56 and 28×28 planes, 7 and 4
// vectors per row, run faster over rows with 3×3 kernels; 14×14, with 2,
// and 5×5 kernels on 56×56 run faster with the AVX2 kernels.)
const (
	minRowVecs3   = 3
	minRowVecsAny = 16
)

// tapKernels512 are the kernels of one AVX-512 tap function: over rows
// for 3×3 kernels, any taps, and the AVX2 function for grids whose
// vectors are neither along rows nor along columns. With aligned, the
// AVX-512 kernels also need every output vector 32-byte aligned
// (non-temporal stores).
type tapKernels512 struct {
	rows3    rows3Kernel
	any      func(y, x, w *float32, offs *int32, ntaps, nvec, nrows, xrow, yrow, acc int)
	fallback func(y, x, w []float32, offs []int32, g Grid, acc bool)
	aligned  bool
}

func (k *tapKernels512) run(y, x, w []float32, offs []int32, g Grid, acc bool) {
	// Vectors per row after rowVectors, found first without copying the
	// grid: calls on small planes are many and short.
	vecs := 0
	switch {
	case g.XStep == Lanes && g.YStep == Lanes:
		vecs = g.Vecs
	case g.XRow == Lanes && g.YRow == Lanes:
		vecs = g.Rows
	}
	if vecs < minRowVecs3 {
		k.fallback(y, x, w, offs, g, acc)
		return
	}
	r, _ := rowVectors(g)
	if k.aligned && (uintptr(unsafe.Pointer(&y[0]))%32 != 0 || r.YRow%Lanes != 0) {
		k.fallback(y, x, w, offs, g, acc)
		return
	}
	switch dir, rows := taps3Rows(offs, r); {
	case rows:
		rows3(k.rows3, y, x, w, offs, r, dir, acc)
	case r.Vecs >= minRowVecsAny:
		k.any(&y[0], &x[0], &w[0], &offs[0], len(offs), r.Vecs, r.Rows, 4*r.XRow, 4*r.YRow, flag(acc))
	default:
		k.fallback(y, x, w, offs, g, acc)
	}
}

// The AVX-512 Taps, TapsStream and TapsVec.
var (
	taps512       = (&tapKernels512{rows3: rows3Plain, any: tapsAVX512, fallback: tapsAsm}).run
	tapsStream512 = (&tapKernels512{rows3: rows3Stream, any: tapsNTAVX512, fallback: tapsStreamAsm, aligned: true}).run
	tapsVec512    = (&tapKernels512{rows3: rows3Vec, any: tapsVecAVX512, fallback: tapsVecAsm}).run
)

// gradTaps512 runs gradTapsAVX512 on grids of vectors along rows, in
// groups of up to maxGradTaps512 taps, and the AVX2 kernel on others (the
// even and odd sums follow the vectors' order, so the grid cannot be
// transposed).
func gradTaps512(out, dy, x []float32, offs []int, g Grid) {
	if g.XStep != Lanes || g.YStep != Lanes {
		gradTapsAsm(out, dy, x, offs, g)
		return
	}
	var o [maxGradTaps512]int64
	for t0 := 0; t0 < len(offs); t0 += maxGradTaps512 {
		n := min(maxGradTaps512, len(offs)-t0)
		for t, v := range offs[t0 : t0+n] {
			o[t] = 4 * int64(v)
		}
		gradTapsAVX512(&out[2*t0*Lanes], &dy[0], &x[0], &o[0], n, g.Vecs, g.Rows, 4*g.XRow, 4*g.YRow)
	}
}

// zeroRow is the padding row of plane3x3AVX512: zeros around the
// MaxPlaneWidth columns a row reads, from column −Lanes on. It starts a
// 4 KiB page (pageZeros) rather than wherever the linker puts an array:
// the stride-2 kernels that read it (112×112 C96 forward and weight
// gradient) ran 15–20% slower, their code and data otherwise the same,
// with it at offset 0xe00 of a page than at 0xdc0 or 0.
var zeroRow = pageZeros()

// pageZeros returns zeroRow's array, at the start of a 4 KiB page of a
// buffer that nothing writes.
func pageZeros() *[MaxPlaneWidth + 4*Lanes]float32 {
	const page = 4096
	b := make([]float32, MaxPlaneWidth+4*Lanes+page/4)
	k := (page - int(uintptr(unsafe.Pointer(&b[0])))%page) % page / 4
	return (*[MaxPlaneWidth + 4*Lanes]float32)(b[k:])
}

// plane3x3AVX512 runs Plane3x3 with the taps3Rows kernels: the rows of x
// in place, masks for the columns −1 and w, and zeroRow for the rows −1
// and h.
func plane3x3AVX512(y, x, k []float32, h, w int, acc, stream bool) {
	kern := rows3Plain
	if stream && uintptr(unsafe.Pointer(&y[0]))%32 == 0 {
		kern = rows3Stream
	}
	d := [3]int32{-4, 0, 4} // column offsets (bytes) of taps q = 0, 1, 2
	nvec := w / Lanes
	band := h
	if nvec > 8 { // more than one strip
		band = plane3x3Band
	}
	for r0 := 0; r0 < h; r0 += band {
		r1 := min(h, r0+band)
		for v := 0; v < nvec; v += 8 {
			n := min(8, nvec-v)
			m := planeMasks(v, n, nvec, d)
			top, bottom := &zeroRow[Lanes+v*Lanes], &zeroRow[Lanes+v*Lanes]
			if r0 > 0 {
				top = &x[(r0-1)*w+v*Lanes]
			}
			if r1 < h {
				bottom = &x[r1*w+v*Lanes]
			}
			kern.call(&y[r0*w+v*Lanes], &x[r0*w+v*Lanes], top, bottom, &k[0], &d[0], &m[0], n, r1-r0, 4*w, 4*w, flag(acc))
		}
	}
}

// plane3x3Band is the band of rows plane3x3AVX512 runs strip by strip on
// planes wider than one strip (8 vectors): the band's input rows stay in
// L1 from one strip to the next, where the strips of a whole 112×112 plane
// (50 KiB) read it from L2 (Intel Xeon, one thread, C32 112×112 forward
// 52.5 → 56.6 GFLOP/s with 32 rows, input gradient 54.5 → 58.1;
// benchmarks/README.md, dw8). The kernel reads the rows on either side
// of a band as its top and bottom rows: the sums are the same.
const plane3x3Band = 32

// gradPlane3x3AVX512 runs GradPlane3x3 with gradTaps3RowsAVX512, reading
// the planes as plane3x3AVX512 does (w ≥ MinPlaneWidth: at least 3
// vectors, a first and a last chunk).
func gradPlane3x3AVX512(out, dy, x []float32, h, w int) {
	d := [3]int32{-4, 0, 4}
	nvec := w / Lanes
	m := planeMasks(0, nvec, nvec, d)
	z := &zeroRow[Lanes]
	gradTaps3RowsAVX512(&out[0], &dy[0], &x[0], z, z, &d[0], &m[0], nvec, h, 4*w, 4*w)
}

// planeMasks returns the load masks of taps3Rows for the strip of n
// vectors from vector v of a row of nvec, whose taps q read columns d[q]/4
// away: the lanes of a chunk whose columns lie in the row (and, for a last
// vector alone in its chunk, in its low 8 lanes).
func planeMasks(v, n, nvec int, d [3]int32) [6]uint16 {
	// lanes returns the mask of lanes l < cw of the chunk from column c0
	// with 0 ≤ c0 + l + sh < nvec·Lanes.
	lanes := func(c0, cw, sh int) uint16 {
		lo, hi := max(0, -c0-sh), min(cw, nvec*Lanes-c0-sh)
		if lo >= hi {
			return 0
		}
		return uint16((1<<hi - 1) &^ (1<<lo - 1))
	}
	lastW := 2 * Lanes
	if n%2 == 1 {
		lastW = Lanes
	}
	first, last := v*Lanes, (v+(n-1)/2*2)*Lanes // first column of the first and the last chunk
	var m [6]uint16
	for q := range 3 {
		sh := int(d[q]) / 4
		m[q], m[3+q] = lanes(first, 2*Lanes, sh), lanes(last, lastW, sh)
		if n <= 2 { // one chunk, first and last
			m[q] = m[3+q]
		}
	}
	return m
}

// plane3x3S2Asm runs Plane3x3S2 with plane3x3S2AVX512 on strips of up to
// 64 output columns: the rows of x in place, masks for the columns −1
// and past w, zeroRow for the row −1 and, when h is odd, the row h. Rows
// of one strip are computed for all n planes in one call; wider rows
// strip by strip, plane by plane.
func plane3x3S2Asm(y, x, k []float32, h, w, n int) {
	ho, wo := (h+1)/2, (w+1)/2
	if w <= narrowS2MaxWidth && ho <= narrowS2MaxRows {
		plane3x3S2Narrow(y, x, k, h, w, n)
		return
	}
	np := n
	if wo > 64 {
		np = 1
	}
	for j := 0; j < n; j += np {
		yj, xj, kj := y[j*ho*wo:], x[j*h*w:], k[9*j:]
		for j0 := 0; j0 < wo; j0 += 64 {
			m := min(64, wo-j0)
			nch := (m + 15) / 16
			b0, bl := 2*j0, 2*(j0+16*(nch-1)) // first columns of the first and the last chunk
			store := uint16(0xffff)
			if r := m % 16; r != 0 {
				store = 1<<r - 1
			}
			lm := s2LoadMasks(b0, bl, w)
			ms := [6]uint16{lm[0], lm[1], lm[2], lm[3], lm[4], store}
			plane3x3S2AVX512(&yj[j0], &xj[b0], &zeroRow[Lanes+b0], &kj[0], &ms[0], nch, ho, h%2, 4*w, 4*wo, np, 4*h*w, 4*ho*wo)
		}
	}
}

// plane3x3S2NarrowAVX512 is the kernel of Plane3x3S2 for planes up to
// narrowS2MaxWidth wide: two output rows to a vector (see
// dwPlane3x3S2Narrow512 in ../asmgen).
//
//go:noescape
func plane3x3S2NarrowAVX512(y, x, w *float32, tab *int32, masks *uint16, nchunk, wbytes, ybytes, nplane, xplane, yplane int)

// gradPlane3x3S2NarrowAVX512 is the kernel of GradNarrow3x3S2 (see
// dwGradPlane3x3S2Narrow512 in ../asmgen).
//
//go:noescape
func gradPlane3x3S2NarrowAVX512(out, dy, x *float32, tab *int32, masks *uint16, nchunk, single, wbytes, ybytes, nplane, xplane, yplane int)

// narrowS2MaxWidth and narrowS2MaxRows bound the planes of
// plane3x3S2Narrow: two output rows of up to 8 columns fill a vector
// (14×14 planes: 14 of 16 lanes, where the strips of plane3x3S2AVX512 use
// 7), and the masks of up to 32 chunks of two rows fit its tables.
const narrowS2MaxWidth, narrowS2MaxRows = 16, 64

// narrowS2Tables returns the index vectors and the masks of the narrow
// stride-2 kernels for h×w planes (see dwPlane3x3S2Narrow512 in
// ../asmgen): per chunk of two output rows the load masks of its 5 input
// rows, then the result masks of the 3 tap columns, then the store masks
// of the chunks.
func narrowS2Tables(h, w int) (tab [48]int32, masks [6*(narrowS2MaxRows/2) + 3]uint16) {
	ho, wo := (h+1)/2, (w+1)/2
	nchunk := (ho + 1) / 2
	for q := range 3 {
		for l := range 2 * wo {
			j, src := l, int32(0)
			if l >= wo {
				j, src = l-wo, 16
			}
			tab[16*q+l] = src + int32(2*j+q-1)&15
		}
	}
	row := uint16(1<<w - 1)
	for c := range nchunk {
		for m := range 5 {
			if a := 4*c + m - 1; a >= 0 && a < h {
				masks[5*c+m] = row
			}
		}
		st := uint16(1<<(2*wo) - 1)
		if 2*c+1 == ho {
			st = 1<<wo - 1
		}
		masks[5*nchunk+3+c] = st
	}
	both := uint16(1<<(2*wo) - 1)
	masks[5*nchunk] = both &^ (1 | 1<<wo) // column −1
	masks[5*nchunk+1], masks[5*nchunk+2] = both, both
	return tab, masks
}

// plane3x3S2Narrow runs Plane3x3S2 with plane3x3S2NarrowAVX512 on n
// planes h×w, w ≤ narrowS2MaxWidth, ⌈h/2⌉ ≤ narrowS2MaxRows.
func plane3x3S2Narrow(y, x, k []float32, h, w, n int) {
	ho, wo := (h+1)/2, (w+1)/2
	tab, masks := narrowS2Tables(h, w)
	plane3x3S2NarrowAVX512(&y[0], &x[0], &k[0], &tab[0], &masks[0], (ho+1)/2, 4*w, 8*wo, n, 4*h*w, 4*ho*wo)
}

// gradNarrowS2Asm runs GradNarrow3x3S2 with gradPlane3x3S2NarrowAVX512.
func gradNarrowS2Asm(out, dy, x []float32, h, w, n int) {
	ho, wo := (h+1)/2, (w+1)/2
	tab, masks := narrowS2Tables(h, w)
	gradPlane3x3S2NarrowAVX512(&out[0], &dy[0], &x[0], &tab[0], &masks[0], ho/2, ho%2, 4*w, 8*wo, n, 4*h*w, 4*ho*wo)
}

// gradPlane3x3S2NarrowAVX2 is the AVX2 kernel of GradNarrow3x3S2 (see
// dwGradPlane3x3S2Narrow2 in ../asmgen).
//
//go:noescape
func gradPlane3x3S2NarrowAVX2(out, dy, x, cols *float32, masks *int32, h, wbytes, nchunk, single, wo, cstride, ybytes, nplane, xplane, yplane int)

// gradNarrowS2AVX2 runs GradNarrow3x3S2 with gradPlane3x3S2NarrowAVX2,
// the same fused multiply-adds in the same order as the AVX-512 kernel:
// its buffer of the three column planes (⌈ho/2⌉·4 + 1 rows of 16 lanes
// each) comes from flatScratch, zeroed.
func gradNarrowS2AVX2(out, dy, x []float32, h, w, n int) {
	ho, wo := (h+1)/2, (w+1)/2
	rows := 4*((ho+1)/2) + 1
	sp := flatScratch.Get().(*[]float32)
	defer flatScratch.Put(sp)
	need := 3 * 16 * rows
	if len(*sp) < need {
		*sp = make([]float32, need)
	}
	cols := (*sp)[:need]
	clear(cols)
	var m [7 * Lanes]int32
	for l := range Lanes {
		m[l] = lane(l < w)
		m[Lanes+l] = lane(l < 2*wo)
		m[2*Lanes+l] = lane(Lanes+l < 2*wo)
		m[3*Lanes+l] = lane(l < wo)
		m[4*Lanes+l] = lane(Lanes+l < wo)
		m[5*Lanes+l] = lane(Lanes+l < w)
		m[6*Lanes+l] = lane(l < wo-1)
	}
	gradPlane3x3S2NarrowAVX2(&out[0], &dy[0], &x[0], &cols[0], &m[0], h, 4*w, ho/2, ho%2, wo, 4*16*rows, 8*wo, n, 4*h*w, 4*ho*wo)
}

// lane returns the AVX2 mask lane of b: all bits set if b, else 0.
func lane(b bool) int32 {
	if b {
		return -1
	}
	return 0
}

// s2Lanes returns the mask of the 16 lanes of a load from column b0 of a
// row of w columns that fall in the row.
func s2Lanes(b0, w int) uint16 {
	lo, hi := max(0, -b0), min(16, w-b0)
	if lo >= hi {
		return 0
	}
	return uint16((1<<hi - 1) &^ (1<<lo - 1))
}

// s2LoadMasks returns the masks of dwPlane3x3S2512's input loads (and
// dwGradPlane3x3S2512's) for a strip of w-column rows whose first chunk
// starts at column b0 and whose last at bl: the first chunk's load from
// column b0 − 1, the last chunk's from bl, bl + 16, bl − 1 and bl + 15.
func s2LoadMasks(b0, bl, w int) [5]uint16 {
	return [5]uint16{s2Lanes(b0-1, w), s2Lanes(bl, w), s2Lanes(bl+16, w), s2Lanes(bl-1, w), s2Lanes(bl+15, w)}
}

// gradPlane3x3S2Asm runs GradPlane3x3S2 with gradPlane3x3S2AVX512 over
// whole rows: masks as in plane3x3S2Asm, the last chunk's dy loaded up to
// wo and its multiply-adds on vector 2c + 1 only if the row has it.
func gradPlane3x3S2Asm(out, dy, x []float32, h, w, n int) {
	ho, wo := (h+1)/2, (w+1)/2
	nch := (wo + 15) / 16
	lm := s2LoadMasks(0, 32*(nch-1), w)
	m := [7]uint16{lm[0], lm[1], lm[2], lm[3], lm[4], s2Lanes(16*(nch-1), wo), 0xffff}
	if (wo+Lanes-1)/Lanes%2 == 1 {
		m[6] = 0xff
	}
	gradPlane3x3S2AVX512(&out[0], &dy[0], &x[0], &zeroRow[Lanes], &m[0], nch, ho, h%2, 4*w, 4*wo, n, 4*h*w, 4*ho*wo)
}

// gradInput3x3S2Asm runs GradInput3x3S2 with gradInput3x3S2AVX512 over
// whole rows, zeroRow as the dy row past the last.
func gradInput3x3S2Asm(dx, dy, k []float32, h, w, n int) {
	ho, wo := (h+1)/2, (w+1)/2
	nch := (wo + 15) / 16
	z0 := 16 * (nch - 1)
	m := [4]uint16{s2Lanes(z0, wo), s2Lanes(z0+1, wo), s2Lanes(2*z0, w), s2Lanes(2*z0+16, w)}
	gradInput3x3S2AVX512(&dx[0], &dy[0], &zeroRow[Lanes], &k[0], &m[0], nch, ho, h%2, 4*wo, 4*w, n, 4*h*w, 4*ho*wo)
}

// planeFlatAsm runs FlatPlan.Run's kernel on n planes: FlatPlanes at a
// time, and the last n mod FlatPlanes one by one (each computed and stored
// FlatPlanes times).
func planeFlatAsm(f *FlatPlan, y, x, k []float32, n int) {
	kk, hw := f.kh*f.kw, f.h*f.w
	gbytes, ctail := 64*flatChunks*(f.nchunk/flatChunks), f.nchunk%flatChunks
	kern := planeFlatKwAVX512[f.kw]
	if nu := n / FlatPlanes; nu > 0 {
		kern(&y[0], &x[0], &k[0], &f.offs[0], &f.masks[0], f.kh, gbytes, ctail, nu, 4*FlatPlanes*hw, 4*FlatPlanes*kk, 4*hw, 4*kk, f.wq, 2*f.cmoff, 2*f.gstride)
	}
	for m := n / FlatPlanes * FlatPlanes; m < n; m++ {
		kern(&y[m*hw], &x[m*hw], &k[m*kk], &f.offs[0], &f.masks[0], f.kh, gbytes, ctail, 1, 0, 0, 0, 0, f.wq, 2*f.cmoff, 2*f.gstride)
	}
}

// gradFlatAsm runs FlatPlan.Grad's kernel on n planes.
func gradFlatAsm(f *FlatPlan, out, dy, x []float32, n int) {
	hw := f.h * f.w
	gbytes, ctail := 64*flatChunks*(f.nchunk/flatChunks), f.nchunk%flatChunks
	if ctail == 0 && hw%16 != 0 { // the last group's last chunk is partial
		gbytes, ctail = gbytes-64*flatChunks, flatChunks
	}
	gradFlat3x3AVX512(&out[0], &dy[0], &x[0], &f.offs[0], &f.masks[0], gbytes, ctail, n, 4*hw, 4*FlatGradSums(f.kh*f.kw), 2*f.cmoff, 2*f.gstride)
}

// flatScratch holds the buffers of gradNarrowS2AVX2.
var flatScratch = sync.Pool{New: func() any { return new([]float32) }}

// gradFlat3x3AVX2 is the AVX2 kernel of FlatPlan.Grad for 3×3 kernels
// (see dwGradFlat2 in ../asmgen).
//
//go:noescape
func gradFlat3x3AVX2(out, dy, x *float32, offs *int32, masks *int32, nvec, nplane, pbytes, obytes int)

// gradFlatAVX2 runs FlatPlan.Grad with gradFlat3x3AVX2, the same fused
// multiply-adds in the same order as the AVX-512 kernel, with the plan's
// masks of 8-lane vectors (avx2Masks).
func gradFlatAVX2(f *FlatPlan, out, dy, x []float32, n int) {
	hw := f.h * f.w
	gradFlat3x3AVX2(&out[0], &dy[0], &x[0], &f.offs[0], &f.avx2Masks()[0], 2*f.nchunk, n, 4*hw, 4*FlatGradSums(f.kh*f.kw))
}

// avx2Masks returns the masks of gradFlat3x3AVX2 for the plan (3×3),
// computed at the first call: for each vector v < 2·nchunk of 8 outputs
// k = 8v + l, 8 vectors of 8 lanes (all bits set or zero) at [64v:]: the
// column masks of q < 3 (k < h·w and the tap column k mod w + q − pl
// inside the row), the row masks of p < 3 (k < h·w and the tap row
// ⌊k/w⌋ + p − pt inside the plane), the output mask (k < h·w) and a flag
// in lane 0, set if the vector lies inside the plane and so do the 10
// values from 8v − pt·w − pl on of each tap row p (its taps' loads).
func (f *FlatPlan) avx2Masks() []int32 {
	f.m8once.Do(func() {
		hw := f.h * f.w
		m := make([]int32, 2*f.nchunk*8*Lanes)
		for v := range 2 * f.nchunk {
			mv := m[8*Lanes*v:]
			inside := Lanes*v+Lanes <= hw
			for p := range 3 {
				a := Lanes*v + (p-f.pt)*f.w - f.pl
				inside = inside && a >= 0 && a+Lanes+2 <= hw
			}
			mv[7*Lanes] = lane(inside)
			for l := range Lanes {
				k := Lanes*v + l
				if k >= hw {
					continue
				}
				i, j := k/f.w, k%f.w
				for q := range 3 {
					mv[q*Lanes+l] = lane(j+q-f.pl >= 0 && j+q-f.pl < f.w)
				}
				for p := range 3 {
					mv[(3+p)*Lanes+l] = lane(i+p-f.pt >= 0 && i+p-f.pt < f.h)
				}
				mv[6*Lanes+l] = -1
			}
		}
		f.m8 = m
	})
	return f.m8
}

// sumLanes9AVX2 is the kernel of SumLanes for 3×3 kernels, 8 channels
// at a time (see dwSumLanes9 in ../asmgen).
//
//go:noescape
func sumLanes9AVX2(dw, sums, tmp *float32, nblock, stride int)

// sumLanes9Asm runs SumLanes for 3×3 kernels with sumLanes9AVX2 on the
// blocks of 8 channels and the pure-Go twin on the rest.
func sumLanes9Asm(dw, sums []float32, n, stride int) {
	m := n / 8 * 8
	if m > 0 {
		var tmp [9 * Lanes]float32
		sumLanes9AVX2(&dw[0], &sums[0], &tmp[0], m/8, 4*stride)
	}
	if m < n {
		sumLanesGeneric(dw[9*m:], sums[m*stride:], 9, n-m, stride)
	}
}

// packC16FlatAVX512 is the kernel of PackC16 for the rows of a map stored
// one after the other (see packC16Flat512 in ../asmgen).
//
//go:noescape
func packC16FlatAVX512(dst, src *float32, plane, n, wbytes, drow int)

// packC16Asm runs PackC16 with packC16FlatAVX512 on rows stored one after
// the other (or one row), and with packC8HalfAVX2 on each half of the
// lanes otherwise.
func packC16Asm(dst, src []float32, plane, rows, w, srow, drow int) {
	if srow == w || rows == 1 {
		packC16FlatAVX512(&dst[0], &src[0], 4*plane, rows*w, 64*w, 4*drow)
		return
	}
	packC8HalfAVX2(&dst[0], &src[0], 4*plane, rows, w, 4*srow, 4*drow)
	packC8HalfAVX2(&dst[Lanes], &src[Lanes*plane], 4*plane, rows, w, 4*srow, 4*drow)
}

func gradC16Asm(tot0, tot1 []float64, dy, x []float32, offs []int, g Grid) {
	var o [9]int32
	for t, v := range offs {
		o[t] = int32(4 * v)
	}
	gradC16AVX512(&tot0[0], &tot1[0], &dy[0], &x[0], &o[0], g.Vecs, g.Rows, 4*g.XStep, 4*(g.XRow-g.Vecs*g.XStep), 4*(g.YRow-g.Vecs*16))
}

// The kernels of TapsC16 (see dwTapsC16512 in ../asmgen), by kernel
// width (c16Kw), rows (1 or 2) and block width: tapsC16AVX512[k][rows-1][b].
var tapsC16AVX512 = [3][2][c16MaxBlock + 1]func(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int){
	{
		{nil, tapsC16K3B1R1AVX512, tapsC16K3B2R1AVX512, tapsC16K3B3R1AVX512, tapsC16K3B4R1AVX512, tapsC16K3B5R1AVX512, tapsC16K3B6R1AVX512, tapsC16K3B7R1AVX512, tapsC16K3B8R1AVX512, tapsC16K3B9R1AVX512, tapsC16K3B10R1AVX512, tapsC16K3B11R1AVX512, tapsC16K3B12R1AVX512, tapsC16K3B13R1AVX512, tapsC16K3B14R1AVX512},
		{nil, tapsC16K3B1R2AVX512, tapsC16K3B2R2AVX512, tapsC16K3B3R2AVX512, tapsC16K3B4R2AVX512, tapsC16K3B5R2AVX512, tapsC16K3B6R2AVX512, tapsC16K3B7R2AVX512, tapsC16K3B8R2AVX512},
	},
	{
		{nil, tapsC16K5B1R1AVX512, tapsC16K5B2R1AVX512, tapsC16K5B3R1AVX512, tapsC16K5B4R1AVX512, tapsC16K5B5R1AVX512, tapsC16K5B6R1AVX512, tapsC16K5B7R1AVX512, tapsC16K5B8R1AVX512, tapsC16K5B9R1AVX512, tapsC16K5B10R1AVX512, tapsC16K5B11R1AVX512, tapsC16K5B12R1AVX512, tapsC16K5B13R1AVX512, tapsC16K5B14R1AVX512},
		{nil, tapsC16K5B1R2AVX512, tapsC16K5B2R2AVX512, tapsC16K5B3R2AVX512, tapsC16K5B4R2AVX512, tapsC16K5B5R2AVX512, tapsC16K5B6R2AVX512, tapsC16K5B7R2AVX512, tapsC16K5B8R2AVX512},
	},
	{
		{nil, tapsC16K7B1R1AVX512, tapsC16K7B2R1AVX512, tapsC16K7B3R1AVX512, tapsC16K7B4R1AVX512, tapsC16K7B5R1AVX512, tapsC16K7B6R1AVX512, tapsC16K7B7R1AVX512, tapsC16K7B8R1AVX512, tapsC16K7B9R1AVX512, tapsC16K7B10R1AVX512, tapsC16K7B11R1AVX512, tapsC16K7B12R1AVX512, tapsC16K7B13R1AVX512, tapsC16K7B14R1AVX512},
		{nil, tapsC16K7B1R2AVX512, tapsC16K7B2R2AVX512, tapsC16K7B3R2AVX512, tapsC16K7B4R2AVX512, tapsC16K7B5R2AVX512, tapsC16K7B6R2AVX512, tapsC16K7B7R2AVX512, tapsC16K7B8R2AVX512},
	},
}

//go:noescape
func tapsC16K3B1R1AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K3B2R1AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K3B3R1AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K3B4R1AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K3B5R1AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K3B6R1AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K3B7R1AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K3B8R1AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K3B9R1AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K3B10R1AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K3B11R1AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K3B12R1AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K3B13R1AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K3B14R1AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K3B1R2AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K3B2R2AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K3B3R2AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K3B4R2AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K3B5R2AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K3B6R2AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K3B7R2AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K3B8R2AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K5B1R1AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K5B2R1AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K5B3R1AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K5B4R1AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K5B5R1AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K5B6R1AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K5B7R1AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K5B8R1AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K5B9R1AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K5B10R1AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K5B11R1AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K5B12R1AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K5B13R1AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K5B14R1AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K5B1R2AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K5B2R2AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K5B3R2AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K5B4R2AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K5B5R2AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K5B6R2AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K5B7R2AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K5B8R2AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K7B1R1AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K7B2R1AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K7B3R1AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K7B4R1AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K7B5R1AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K7B6R1AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K7B7R1AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K7B8R1AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K7B9R1AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K7B10R1AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K7B11R1AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K7B12R1AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K7B13R1AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K7B14R1AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K7B1R2AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K7B2R2AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K7B3R2AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K7B4R2AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K7B5R2AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K7B6R2AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K7B7R2AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

//go:noescape
func tapsC16K7B8R2AVX512(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)

// tapsC16Asm runs TapsC16: each row in nblk = ⌈wo/14⌉ blocks of
// ⌊wo/nblk⌋ pixels (14 for 14, 28 and 56) and blocks of 1 for the rest,
// or, on rows of up to 8 pixels, two rows at a time and the last odd row
// alone.
func tapsC16Asm(y, x, w []float32, kh, kw, wo, ho, xrow, plane int) {
	k := c16Kw(kw)
	if wo <= c16MaxBlock2 {
		if ho >= 2 {
			tapsC16AVX512[k][1][wo](&y[0], &x[0], &w[0], kh, 1, ho/2, 4*xrow, 4*plane, 4*wo)
		}
		if ho%2 == 1 {
			tapsC16AVX512[k][0][wo](&y[(ho-1)*wo], &x[(ho-1)*xrow], &w[0], kh, 1, 1, 4*xrow, 4*plane, 4*wo)
		}
		return
	}
	nblk := (wo + c16MaxBlock - 1) / c16MaxBlock
	b := wo / nblk
	tapsC16AVX512[k][0][b](&y[0], &x[0], &w[0], kh, nblk, ho, 4*xrow, 4*plane, 4*wo)
	if rest := wo - b*nblk; rest > 0 {
		c := b * nblk
		tapsC16AVX512[k][0][1](&y[c], &x[16*c], &w[0], kh, rest, ho, 4*xrow, 4*plane, 4*wo)
	}
}

// C16SmallKernels reports whether 3×3 kernels on maps whose flattened
// planes waste lanes (7×7) are to run with TapsC16 rather than FlatPlan:
// on Intel CPUs, where FlatPlan's shuffles share a port with the
// multiply-adds (Xeon, KVM: C960 7×7 forward 39 → 46 GFLOP/s, one
// thread). Elsewhere (AMD Zen 5, where they have pipes of their own) it
// is not measured, and FlatPlan stays.
func C16SmallKernels() bool { return cpuid.Intel && HasTapsC16(3) }
