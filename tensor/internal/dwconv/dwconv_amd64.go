//go:build amd64 && !purego

package dwconv

import (
	"unsafe"

	"golang.org/x/sys/cpu"
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

var hasAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

var (
	tapsImpl          = tapsGeneric
	tapsStreamImpl    = tapsGeneric
	tapsVecImpl       = tapsVecGeneric
	gradTapsImpl      = gradTapsGeneric
	copyRowsImpl      = copyRowsGeneric
	deinterleave2Impl = deinterleave2Generic
	packC8Impl        = packC8Generic
	unpackC8Impl      = unpackC8Generic
)

func init() {
	if hasAVX2 {
		tapsImpl, gradTapsImpl, copyRowsImpl = tapsAsm, gradTapsAsm, copyRowsAsm
		tapsStreamImpl = tapsStreamAsm
		tapsVecImpl = tapsVecAsm
		deinterleave2Impl = deinterleave2Asm
		packC8Impl, unpackC8Impl = packC8Asm, unpackC8Asm
	}
}

// Kernel returns the name of the kernels in use.
func Kernel() string {
	if hasAVX2 {
		return "avx2"
	}
	return "generic"
}

func tapsAsm(y, x, w []float32, offs []int32, g Grid, acc bool) {
	a := 0
	if acc {
		a = 1
	}
	tapsAVX2(&y[0], &x[0], &w[0], &offs[0], len(offs), g.Vecs, 4*g.XStep, 4*g.YStep, g.Rows, 4*g.XRow, 4*g.YRow, a)
}

// tapsStreamAsm runs tapsNTAVX2 when every output vector is 32-byte
// aligned, and tapsAsm otherwise.
func tapsStreamAsm(y, x, w []float32, offs []int32, g Grid, acc bool) {
	if uintptr(unsafe.Pointer(&y[0]))%32 != 0 || g.YStep%Lanes != 0 || g.YRow%Lanes != 0 {
		tapsAsm(y, x, w, offs, g, acc)
		return
	}
	a := 0
	if acc {
		a = 1
	}
	tapsNTAVX2(&y[0], &x[0], &w[0], &offs[0], len(offs), g.Vecs, 4*g.XStep, 4*g.YStep, g.Rows, 4*g.XRow, 4*g.YRow, a)
}

func tapsVecAsm(y, x, w []float32, offs []int32, g Grid, acc bool) {
	a := 0
	if acc {
		a = 1
	}
	tapsVecAVX2(&y[0], &x[0], &w[0], &offs[0], len(offs), g.Vecs, 4*g.XStep, 4*g.YStep, g.Rows, 4*g.XRow, 4*g.YRow, a)
}

func copyRowsAsm(dst, src []float32, n, rows, dstride, sstride int, maskLast bool) {
	m := 0
	if maskLast {
		m = 1
	}
	copyRowsAVX2(&dst[0], &src[0], n, rows, 4*dstride, 4*sstride, m)
}

func gradTapsAsm(out, dy, x []float32, offs []int, g Grid) {
	var o [MaxGradTaps]int64
	for t, v := range offs {
		o[t] = 4 * int64(v)
	}
	gradTapsAVX2(&out[0], &dy[0], &x[0], &o[0], len(offs), g.Vecs, 4*g.XStep, 4*g.YStep, g.Rows, 4*g.XRow, 4*g.YRow)
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
