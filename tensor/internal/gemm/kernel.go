package gemm

import "github.com/autonl-go/autonl/tensor/internal/vec"

// kernelFunc is the signature of a micro-kernel with register tile mr×nr.
// It computes, for i < mr and j < nr,
//
//	s = Σ_{p<k} a[p·mr+i]·b[p·ldb+j]   (p increasing, starting from 0)
//	c[i·ldc+j] = s                      if store
//	c[i·ldc+j] = c[i·ldc+j] + s         otherwise
//
// where a is a packed panel of mr rows of A (see packA) and b holds k rows
// of nr columns of B, ldb apart (the driver passes packed panels, ldb =
// nr). C is not read when store is set. Whether the
// products are fused with the additions (FMA) is the kernel's choice; the
// order of the operations is not.
type kernelFunc func(k int, a, b []float32, ldb int, c []float32, ldc int, store bool)

// kernelConfig is a micro-kernel with its register tile and the cache
// blocking that suits it.
type kernelConfig struct {
	name   string
	mr, nr int
	kc     int // rows of a packed B panel (kc·nr·4 bytes should fit L1)
	mc     int // rows of a packed block of A (mc·kc·4 bytes should fit L2)
	fn     kernelFunc
	// panels, if not nil, is fn over n consecutive blocks in one call:
	// block t reads the A panel a[t·k·mr:] and updates the C block
	// c[t·mr·ldc:], all with the same B panel.
	panels func(k int, a, b []float32, ldb int, c []float32, ldc int, store bool, n int)
	// panelsAff, if not nil, is panels followed by the affine map and
	// clamp of aff, row i of block t being row row+t·mr+i of aff's
	// parameters, applied in registers: the results of panels and then
	// aff.apply over each row, bit for bit.
	panelsAff func(k int, a, b []float32, ldb int, c []float32, ldc int, store bool, n int, aff *Affine, row int)
	// edge, if not nil, is panels for the first cols ≤ edgeMax (< nr)
	// columns of the blocks, bit for bit, at less cost than full blocks:
	// the narrow last tiles of a product. It writes no other column of C.
	edge    func(k int, a, b []float32, ldb int, c []float32, ldc int, store bool, n, cols int)
	edgeMax int
	// edgeAff, if not nil, is edge followed by the affine map of aff, as
	// panelsAff is panels followed by it, bit for bit.
	edgeAff func(k int, a, b []float32, ldb int, c []float32, ldc int, store bool, n, cols int, aff *Affine, row int)
	// rows, if not nil, is fn for the first rows < mr rows of a tile,
	// bit for bit, at the cost of those rows: the last rows of a matrix
	// whose height is not a multiple of mr (the packed panel of A is
	// zero past them). It writes no other row of C.
	rows func(k int, a, b []float32, ldb int, c []float32, ldc int, store bool, rows int)
	// direct, if not nil, computes directRows×directCols blocks of C
	// reading A in place rather than from a packed panel, with the sums
	// of fn bit for bit but in the last column (runDirectA).
	direct directFunc
}

// genericConfig is the portable kernel, used where no SIMD kernel applies
// (and with the purego build tag).
var genericConfig = kernelConfig{name: "generic4x8", mr: 4, nr: 8, kc: 256, mc: 128, fn: kernelGeneric4x8}

// kernelGeneric is the specification of every micro-kernel: the plain loops
// of kernelFunc for any mr×nr. SIMD kernels are tested against it.
func kernelGeneric(mr, nr, k int, a, b []float32, ldb int, c []float32, ldc int, store bool) {
	kernelLoops(mr, nr, k, a, b, ldb, c, ldc, store, false)
}

// kernelGenericFMA is kernelGeneric with fused multiply-adds, s ←
// fma(a, b, s) rounded once to float32 (vec.FMA32): the arithmetic of the
// SIMD kernels, and the pure-Go twin that they match bit for bit.
func kernelGenericFMA(mr, nr, k int, a, b []float32, ldb int, c []float32, ldc int, store bool) {
	kernelLoops(mr, nr, k, a, b, ldb, c, ldc, store, true)
}

// kernelLoops is kernelGeneric, with fused multiply-adds if fused.
func kernelLoops(mr, nr, k int, a, b []float32, ldb int, c []float32, ldc int, store, fused bool) {
	a = a[:k*mr]
	for i := range mr {
		for j := range nr {
			var s float32
			for p := range k {
				if fused {
					s = vec.FMA32(a[p*mr+i], b[p*ldb+j], s)
				} else {
					s += a[p*mr+i] * b[p*ldb+j]
				}
			}
			if store {
				c[i*ldc+j] = s
			} else {
				c[i*ldc+j] += s
			}
		}
	}
}

// kernelGeneric4x8 is the portable micro-kernel for mr = 4, nr = 8, with
// the arithmetic of kernelGeneric.
//
// Go does not vectorize and has 15 usable floating-point registers on
// amd64, so the kernel computes one row of the block at a time with eight
// accumulators, re-reading the B panel from L1 for each row; the p loop is
// unrolled four times.
func kernelGeneric4x8(k int, a, b []float32, ldb int, c []float32, ldc int, store bool) {
	a = a[:k*4]
	if k > 0 {
		b = b[:(k-1)*ldb+8]
	}
	for i := range 4 {
		var c0, c1, c2, c3, c4, c5, c6, c7 float32
		p := 0
		for ; p+4 <= k; p += 4 {
			aa := a[p*4+i : p*4+i+13]
			bb := (*[8]float32)(b[p*ldb : p*ldb+8])
			ai := aa[0]
			c0 += ai * bb[0]
			c1 += ai * bb[1]
			c2 += ai * bb[2]
			c3 += ai * bb[3]
			c4 += ai * bb[4]
			c5 += ai * bb[5]
			c6 += ai * bb[6]
			c7 += ai * bb[7]
			bb = (*[8]float32)(b[(p+1)*ldb : (p+1)*ldb+8])
			ai = aa[4]
			c0 += ai * bb[0]
			c1 += ai * bb[1]
			c2 += ai * bb[2]
			c3 += ai * bb[3]
			c4 += ai * bb[4]
			c5 += ai * bb[5]
			c6 += ai * bb[6]
			c7 += ai * bb[7]
			bb = (*[8]float32)(b[(p+2)*ldb : (p+2)*ldb+8])
			ai = aa[8]
			c0 += ai * bb[0]
			c1 += ai * bb[1]
			c2 += ai * bb[2]
			c3 += ai * bb[3]
			c4 += ai * bb[4]
			c5 += ai * bb[5]
			c6 += ai * bb[6]
			c7 += ai * bb[7]
			bb = (*[8]float32)(b[(p+3)*ldb : (p+3)*ldb+8])
			ai = aa[12]
			c0 += ai * bb[0]
			c1 += ai * bb[1]
			c2 += ai * bb[2]
			c3 += ai * bb[3]
			c4 += ai * bb[4]
			c5 += ai * bb[5]
			c6 += ai * bb[6]
			c7 += ai * bb[7]
		}
		for ; p < k; p++ {
			ai := a[p*4+i]
			bb := (*[8]float32)(b[p*ldb : p*ldb+8])
			c0 += ai * bb[0]
			c1 += ai * bb[1]
			c2 += ai * bb[2]
			c3 += ai * bb[3]
			c4 += ai * bb[4]
			c5 += ai * bb[5]
			c6 += ai * bb[6]
			c7 += ai * bb[7]
		}
		r := (*[8]float32)(c[i*ldc : i*ldc+8])
		if store {
			*r = [8]float32{c0, c1, c2, c3, c4, c5, c6, c7}
			continue
		}
		r[0] += c0
		r[1] += c1
		r[2] += c2
		r[3] += c3
		r[4] += c4
		r[5] += c5
		r[6] += c6
		r[7] += c7
	}
}
