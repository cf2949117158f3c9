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
func addAVX2(dst, a, b *float32, n int)

//go:noescape
func mulAVX2(dst, a, b *float32, n int)

//go:noescape
func scaleAVX2(dst, x *float32, n int, s float32)

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

// The AVX-512 kernels (see ../asmgen/vec512.go): n is a multiple of 16,
// or of Block for the sums; dst of the streaming kernels is 64-byte
// aligned.

//go:noescape
func sumsAVX512(acc *[16]float64, x *float32, n int, shift float32)

//go:noescape
func dotsAVX512(acc *[16]float64, dy, x *float32, n int, mean float32)

//go:noescape
func dotsMaskAVX512(acc *[16]float64, dy, x, y *float32, n int, mean, lo, hi float32)

//go:noescape
func dotsMaskXAVX512(acc *[16]float64, dy, x *float32, n int, mean, a, b, lo, hi float32)

//go:noescape
func normAVX512(dst, x *float32, n int, mean, a, b, lo, hi float32)

//go:noescape
func normNTAVX512(dst, x *float32, n int, mean, a, b, lo, hi float32)

//go:noescape
func bnGradAVX512(dx, dy, x *float32, n int, mean, k, db, kx float32)

//go:noescape
func bnGradMaskAVX512(dx, dy, x, y *float32, n int, mean, k, db, kx, lo, hi float32)

//go:noescape
func bnGradMaskXAVX512(dx, dy, x *float32, n int, mean, k, db, kx, a, b, lo, hi float32)

//go:noescape
func bnGradMaskXNTAVX512(dx, dy, x *float32, n int, mean, k, db, kx, a, b, lo, hi float32)

var (
	hasAVX2   = cpu.X86.HasAVX2 && cpu.X86.HasFMA
	hasAVX512 = hasAVX2 && cpu.X86.HasAVX512F
)

// variants lists the kernel variants this CPU runs, best first.
func variants() []string {
	switch {
	case hasAVX512:
		return []string{"avx512", "avx2", "generic"}
	case hasAVX2:
		return []string{"avx2", "generic"}
	}
	return []string{"generic"}
}

// useAsm reports whether assembly kernels run (AVX2, and AVX-512 where
// use512 is set too).
var useAsm, use512 bool

// kernel is the name of the variant in use.
var kernel string

// setVariant makes the variant name the one in use.
func setVariant(name string) {
	kernel = name
	useAsm, use512 = name != "generic", name == "avx512"
}

// split16 returns the length n16 of the whole registers of 16 elements
// at the start of n elements, and the length m ≥ n16 of the whole vectors
// of 8 (n16, or n16 + 8).
func split16(n int) (n16, m int) {
	return n &^ 15, n &^ 7
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

func addAsm(dst, a, b []float32) int {
	n := len(dst) &^ 7
	if n > 0 {
		addAVX2(&dst[0], &a[0], &b[0], n)
	}
	return n
}

func mulAsm(dst, a, b []float32) int {
	n := len(dst) &^ 7
	if n > 0 {
		mulAVX2(&dst[0], &a[0], &b[0], n)
	}
	return n
}

// scaleAVX512 is the AVX-512 Scale kernel (scale_amd64.s), for any n.
//
//go:noescape
func scaleAVX512(dst, x *float32, n int, s float32)

func scaleAsm(dst, x []float32, s float32) int {
	if use512 {
		// All of it, the tail of fewer than 16 under a mask: the planes
		// of 7×7 and 14×14 maps that a squeeze-excite unit scales end
		// with one.
		if len(dst) > 0 {
			scaleAVX512(&dst[0], &x[0], len(dst), s)
		}
		return len(dst)
	}
	n := len(dst) &^ 7
	if n > 0 {
		scaleAVX2(&dst[0], &x[0], n, s)
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
	if nb > 0 && use512 {
		sumsAVX512(a, &x[0], nb, shift)
	} else if nb > 0 {
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
	if nb > 0 && use512 {
		dotsAVX512(a, &dy[0], &x[0], nb, mean)
	} else if nb > 0 {
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
	if nb > 0 && use512 {
		dotsMaskAVX512(a, &dy[0], &x[0], &y[0], nb, mean, lo, hi)
	} else if nb > 0 {
		dotsMaskAVX2(a, &dy[0], &x[0], &y[0], nb, mean, lo, hi)
	}
	if nt > 0 {
		dotsMaskTailAVX2(a, &dy[nb], &x[nb], &y[nb], nt, mean, lo, hi)
	}
	return nb + nt
}

func normAsm(dst, x []float32, mean, a, b, lo, hi float32) int {
	n16, n := 0, len(dst)&^7
	if use512 {
		n16, n = split16(len(dst))
		if n16 > 0 {
			normAVX512(&dst[0], &x[0], n16, mean, a, b, lo, hi)
		}
	}
	if n > n16 {
		normAVX2(&dst[n16], &x[n16], n-n16, mean, a, b, lo, hi)
	}
	return n
}

func bnGradAsm(dx, dy, x []float32, mean, k, db, kx float32) int {
	n16, n := 0, len(dx)&^7
	if use512 {
		n16, n = split16(len(dx))
		if n16 > 0 {
			bnGradAVX512(&dx[0], &dy[0], &x[0], n16, mean, k, db, kx)
		}
	}
	if n > n16 {
		bnGradAVX2(&dx[n16], &dy[n16], &x[n16], n-n16, mean, k, db, kx)
	}
	return n
}

func bnGradMaskAsm(dx, dy, x, y []float32, mean, k, db, kx, lo, hi float32) int {
	n16, n := 0, len(dx)&^7
	if use512 {
		n16, n = split16(len(dx))
		if n16 > 0 {
			bnGradMaskAVX512(&dx[0], &dy[0], &x[0], &y[0], n16, mean, k, db, kx, lo, hi)
		}
	}
	if n > n16 {
		bnGradMaskAVX2(&dx[n16], &dy[n16], &x[n16], &y[n16], n-n16, mean, k, db, kx, lo, hi)
	}
	return n
}

func dotsMaskXAsm(acc *Acc, dy, x []float32, f Affine) int {
	nb, nt := split(len(dy))
	a := (*[16]float64)(acc)
	if nb > 0 && use512 {
		dotsMaskXAVX512(a, &dy[0], &x[0], nb, f.Mean, f.A, f.B, f.Lo, f.Hi)
	} else if nb > 0 {
		dotsMaskXAVX2(a, &dy[0], &x[0], nb, f.Mean, f.A, f.B, f.Lo, f.Hi)
	}
	if nt > 0 {
		dotsMaskXTailAVX2(a, &dy[nb], &x[nb], nt, f.Mean, f.A, f.B, f.Lo, f.Hi)
	}
	return nb + nt
}

func bnGradMaskXAsm(dx, dy, x []float32, k, db, kx float32, f Affine) int {
	n16, n := 0, len(dx)&^7
	if use512 {
		n16, n = split16(len(dx))
		if n16 > 0 {
			bnGradMaskXAVX512(&dx[0], &dy[0], &x[0], n16, f.Mean, k, db, kx, f.A, f.B, f.Lo, f.Hi)
		}
	}
	if n > n16 {
		bnGradMaskXAVX2(&dx[n16], &dy[n16], &x[n16], n-n16, f.Mean, k, db, kx, f.A, f.B, f.Lo, f.Hi)
	}
	return n
}

// aligned returns the number of elements of dst before its first element
// aligned to a multiple of bytes (32 or 64): at most bytes/4 − 1, or
// len(dst). The streaming kernels start there, after the regular
// kernel's twin has done the head.
func aligned(dst []float32, bytes uintptr) int {
	if len(dst) == 0 {
		return 0
	}
	return min(int((bytes-uintptr(unsafe.Pointer(&dst[0]))%bytes)%bytes/4), len(dst))
}

// alignedNT returns the head of dst before the streaming kernels
// (aligned for their widest stores) and the lengths they take after it:
// whole registers of 16 elements (AVX-512), then whole vectors of 8.
func alignedNT(dst []float32) (h, n16, n int) {
	if !use512 {
		h = aligned(dst, 32)
		return h, 0, (len(dst) - h) &^ 7
	}
	h = aligned(dst, 64)
	n16, n = split16(len(dst) - h)
	return h, n16, n
}

// normNTAsm is normAsm with non-temporal stores from dst's first aligned
// element on; the head before it is computed by the twin.
func normNTAsm(dst, x []float32, mean, a, b, lo, hi float32) int {
	h, n16, n := alignedNT(dst)
	if n == 0 {
		return 0
	}
	NormalizeGeneric(dst[:h], x[:h], mean, a, b, lo, hi)
	if n16 > 0 {
		normNTAVX512(&dst[h], &x[h], n16, mean, a, b, lo, hi)
	}
	if n > n16 {
		normNTAVX2(&dst[h+n16], &x[h+n16], n-n16, mean, a, b, lo, hi)
	}
	return h + n
}

// bnGradMaskXNTAsm is bnGradMaskXAsm with non-temporal stores, as
// normNTAsm.
func bnGradMaskXNTAsm(dx, dy, x []float32, k, db, kx float32, f Affine) int {
	h, n16, n := alignedNT(dx)
	if n == 0 {
		return 0
	}
	BNGradMaskedXGeneric(dx[:h], dy[:h], x[:h], k, db, kx, f)
	if n16 > 0 {
		bnGradMaskXNTAVX512(&dx[h], &dy[h], &x[h], n16, f.Mean, k, db, kx, f.A, f.B, f.Lo, f.Hi)
	}
	if n > n16 {
		bnGradMaskXNTAVX2(&dx[h+n16], &dy[h+n16], &x[h+n16], n-n16, f.Mean, k, db, kx, f.A, f.B, f.Lo, f.Hi)
	}
	return h + n
}

// swishAVX2 and swishAVX512 are the Swish kernels, sigmoidAVX2 and
// sigmoidAVX512 the Sigmoid kernels (swish_amd64.s), for n a multiple of
// 8 and any n (the last n mod 16 under a mask).
//
//go:noescape
func swishAVX2(dst, x *float32, n int)

//go:noescape
func swishAVX512(dst, x *float32, n int)

//go:noescape
func sigmoidAVX2(dst, x *float32, n int)

//go:noescape
func sigmoidAVX512(dst, x *float32, n int)

// sum64AVX512 is the Sum64 kernel (sum64_amd64.s), for any n.
//
//go:noescape
func sum64AVX512(x *float32, n int) float64

// sum64Asm returns Sum64(x) from the AVX-512 kernel, and false without
// AVX-512.
func sum64Asm(x []float32) (float64, bool) {
	if !use512 {
		return 0, false
	}
	if len(x) == 0 {
		return 0, true
	}
	return sum64AVX512(&x[0], len(x)), true
}

// normSwishAVX512 is the NormalizeSwish kernel (swish_amd64.s), for any n.
//
//go:noescape
func normSwishAVX512(dst, x *float32, n int, mean, a, b, lo, hi float32)

// normSwishAsm runs the AVX-512 NormalizeSwish kernel on all of dst and
// reports whether it did (not without AVX-512).
func normSwishAsm(dst, x []float32, mean, a, b, lo, hi float32) bool {
	if !use512 {
		return false
	}
	if len(dst) > 0 {
		normSwishAVX512(&dst[0], &x[0], len(dst), mean, a, b, lo, hi)
	}
	return true
}

func swishAsm(dst, x []float32) int { return expDivAsm(dst, x, false) }

func sigmoidAsm(dst, x []float32) int { return expDivAsm(dst, x, true) }

// expDivAsm runs the AVX-512 kernel (Sigmoid's if sigmoid, else Swish's)
// on all of dst, or the AVX2 kernel on its longest prefix of a multiple
// of 8, and returns the length done.
func expDivAsm(dst, x []float32, sigmoid bool) int {
	if use512 {
		// All of it: the tail of fewer than 16 in one masked vector rather
		// than the twin element by element (the planes of 7×7 and 14×14
		// maps, and the rows of GEMM tiles, end with one).
		if len(dst) > 0 {
			if sigmoid {
				sigmoidAVX512(&dst[0], &x[0], len(dst))
			} else {
				swishAVX512(&dst[0], &x[0], len(dst))
			}
		}
		return len(dst)
	}
	n := len(dst) &^ 7
	if n > 0 {
		if sigmoid {
			sigmoidAVX2(&dst[0], &x[0], n)
		} else {
			swishAVX2(&dst[0], &x[0], n)
		}
	}
	return n
}
