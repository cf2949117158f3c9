//go:build amd64 && !purego

package vec

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

//go:generate go run ../asmgen -kind vec -out vec_amd64.s

// The assembly kernels (see ../asmgen/vec.go); n is a multiple of 8, or
// of Block for the sums.

//go:noescape
func clampAVX2(dst, x *float32, n int, lo, hi float32)

//go:noescape
func clampMaskAVX2(dx, x, dy *float32, n int, lo, hi float32)

//go:noescape
func positiveMaskAVX2(dx, x, dy *float32, n int)

//go:noescape
func sumsAVX2(acc *[16]float64, x *float32, n int, shift float32)

//go:noescape
func dotsAVX2(acc *[16]float64, dy, x *float32, n int, mean float32)

//go:noescape
func dotsMaskAVX2(acc *[16]float64, dy, x, y *float32, n int, mean, lo, hi float32)

//go:noescape
func normAVX2(dst, x *float32, n int, mean, a, b, lo, hi float32)

//go:noescape
func bnGradAVX2(dx, dy, x *float32, n int, mean, k, db, kx float32)

//go:noescape
func bnGradMaskAVX2(dx, dy, x, y *float32, n int, mean, k, db, kx, lo, hi float32)

//go:noescape
func dotsMaskXAVX2(acc *[16]float64, dy, x *float32, n int, mean, a, b, lo, hi float32)

// The tail kernels: the same sums, one float64 term at a time, for n a
// multiple of 8.

//go:noescape
func sumsTailAVX2(acc *[16]float64, x *float32, n int, shift float32)

//go:noescape
func dotsTailAVX2(acc *[16]float64, dy, x *float32, n int, mean float32)

//go:noescape
func dotsMaskTailAVX2(acc *[16]float64, dy, x, y *float32, n int, mean, lo, hi float32)

//go:noescape
func dotsMaskXTailAVX2(acc *[16]float64, dy, x *float32, n int, mean, a, b, lo, hi float32)

//go:noescape
func normNTAVX2(dst, x *float32, n int, mean, a, b, lo, hi float32)

//go:noescape
func bnGradMaskXNTAVX2(dx, dy, x *float32, n int, mean, k, db, kx, a, b, lo, hi float32)

//go:noescape
func bnGradMaskXAVX2(dx, dy, x *float32, n int, mean, k, db, kx, a, b, lo, hi float32)

// useAsm reports whether the AVX2 kernels run.
var useAsm = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// Kernel returns the name of the kernels in use, "avx2" or "generic".
func Kernel() string {
	if useAsm {
		return "avx2"
	}
	return "generic"
}

// The *Asm functions run the assembly kernel on the longest prefix of the
// slices that is a whole number of its blocks (all of the same length as
// the first) and return its length.

func clampAsm(dst, x []float32, lo, hi float32) int {
	n := len(dst) &^ 7
	if n > 0 {
		clampAVX2(&dst[0], &x[0], n, lo, hi)
	}
	return n
}

func clampMaskAsm(dx, x, dy []float32, lo, hi float32) int {
	n := len(dx) &^ 7
	if n > 0 {
		clampMaskAVX2(&dx[0], &x[0], &dy[0], n, lo, hi)
	}
	return n
}

func positiveMaskAsm(dx, x, dy []float32) int {
	n := len(dx) &^ 7
	if n > 0 {
		positiveMaskAVX2(&dx[0], &x[0], &dy[0], n)
	}
	return n
}

// split returns the lengths of the whole blocks of n elements and of the
// whole vectors after them, for the block and tail kernels.
func split(n int) (nb, nt int) {
	nb = n &^ (Block - 1)
	return nb, (n - nb) &^ 7
}

func sumsAsm(acc *Acc, x []float32, shift float32) int {
	nb, nt := split(len(x))
	a := (*[16]float64)(acc)
	if nb > 0 {
		sumsAVX2(a, &x[0], nb, shift)
	}
	if nt > 0 {
		sumsTailAVX2(a, &x[nb], nt, shift)
	}
	return nb + nt
}

func dotsAsm(acc *Acc, dy, x []float32, mean float32) int {
	nb, nt := split(len(dy))
	a := (*[16]float64)(acc)
	if nb > 0 {
		dotsAVX2(a, &dy[0], &x[0], nb, mean)
	}
	if nt > 0 {
		dotsTailAVX2(a, &dy[nb], &x[nb], nt, mean)
	}
	return nb + nt
}

func dotsMaskAsm(acc *Acc, dy, x, y []float32, mean, lo, hi float32) int {
	nb, nt := split(len(dy))
	a := (*[16]float64)(acc)
	if nb > 0 {
		dotsMaskAVX2(a, &dy[0], &x[0], &y[0], nb, mean, lo, hi)
	}
	if nt > 0 {
		dotsMaskTailAVX2(a, &dy[nb], &x[nb], &y[nb], nt, mean, lo, hi)
	}
	return nb + nt
}

func normAsm(dst, x []float32, mean, a, b, lo, hi float32) int {
	n := len(dst) &^ 7
	if n > 0 {
		normAVX2(&dst[0], &x[0], n, mean, a, b, lo, hi)
	}
	return n
}

func bnGradAsm(dx, dy, x []float32, mean, k, db, kx float32) int {
	n := len(dx) &^ 7
	if n > 0 {
		bnGradAVX2(&dx[0], &dy[0], &x[0], n, mean, k, db, kx)
	}
	return n
}

func bnGradMaskAsm(dx, dy, x, y []float32, mean, k, db, kx, lo, hi float32) int {
	n := len(dx) &^ 7
	if n > 0 {
		bnGradMaskAVX2(&dx[0], &dy[0], &x[0], &y[0], n, mean, k, db, kx, lo, hi)
	}
	return n
}

func dotsMaskXAsm(acc *Acc, dy, x []float32, f Affine) int {
	nb, nt := split(len(dy))
	a := (*[16]float64)(acc)
	if nb > 0 {
		dotsMaskXAVX2(a, &dy[0], &x[0], nb, f.Mean, f.A, f.B, f.Lo, f.Hi)
	}
	if nt > 0 {
		dotsMaskXTailAVX2(a, &dy[nb], &x[nb], nt, f.Mean, f.A, f.B, f.Lo, f.Hi)
	}
	return nb + nt
}

func bnGradMaskXAsm(dx, dy, x []float32, k, db, kx float32, f Affine) int {
	n := len(dx) &^ 7
	if n > 0 {
		bnGradMaskXAVX2(&dx[0], &dy[0], &x[0], n, f.Mean, k, db, kx, f.A, f.B, f.Lo, f.Hi)
	}
	return n
}

// aligned returns the number of elements of dst before its first 32-byte
// aligned element (at most 7, or len(dst)): the streaming kernels start
// there, after the regular kernel's twin has done the head.
func aligned(dst []float32) int {
	if len(dst) == 0 {
		return 0
	}
	return min(int((32-uintptr(unsafe.Pointer(&dst[0]))%32)%32/4), len(dst))
}

// normNTAsm is normAsm with non-temporal stores from dst's first 32-byte
// aligned element on; the head before it is computed by the twin.
func normNTAsm(dst, x []float32, mean, a, b, lo, hi float32) int {
	h := aligned(dst)
	n := (len(dst) - h) &^ 7
	if n == 0 {
		return 0
	}
	NormalizeGeneric(dst[:h], x[:h], mean, a, b, lo, hi)
	normNTAVX2(&dst[h], &x[h], n, mean, a, b, lo, hi)
	return h + n
}

// bnGradMaskXNTAsm is bnGradMaskXAsm with non-temporal stores, as
// normNTAsm.
func bnGradMaskXNTAsm(dx, dy, x []float32, k, db, kx float32, f Affine) int {
	h := aligned(dx)
	n := (len(dx) - h) &^ 7
	if n == 0 {
		return 0
	}
	BNGradMaskedXGeneric(dx[:h], dy[:h], x[:h], k, db, kx, f)
	bnGradMaskXNTAVX2(&dx[h], &dy[h], &x[h], n, f.Mean, k, db, kx, f.A, f.B, f.Lo, f.Hi)
	return h + n
}
