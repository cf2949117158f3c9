//go:build amd64 && !purego

package gemm

import (
	"sync"

	"golang.org/x/sys/cpu"

	"github.com/autonl-go/autonl/tensor/internal/cpuid"
)

//go:generate go run ../asmgen -kind gemm -out kernel_amd64.s

// sgemmKernel6x16AVX2 and sgemmKernel12x32AVX512 are the assembly
// micro-kernels of kernelFunc for 6×16 (AVX2+FMA) and 12×32 (AVX-512F)
// tiles, with fused multiply-adds; store is 0 or 1.
//
//go:noescape
func sgemmKernel6x16AVX2(k int, a, b *float32, ldb int, c *float32, ldc int, store int)

//go:noescape
func sgemmKernel12x32AVX512(k int, a, b *float32, ldb int, c *float32, ldc int, store int)

// sgemmPanels6x16AVX2 and sgemmPanels12x32AVX512 are the same kernels
// over a column of panels blocks (kernelConfig.panels).
//
//go:noescape
func sgemmPanels6x16AVX2(k int, a, b *float32, ldb int, c *float32, ldc int, store int, panels int)

//go:noescape
func sgemmPanels12x32AVX512(k int, a, b *float32, ldb int, c *float32, ldc int, store int, panels int)

// sgemmPanelsAff6x16AVX2 and sgemmPanelsAff12x32AVX512 are the panels
// kernels with the affine map and clamp of Affine applied to each block
// before it is stored (kernelConfig.panelsAff); mean, scale and shift
// point at the parameters of the first block's first row.
//
//go:noescape
func sgemmPanelsAff6x16AVX2(k int, a, b *float32, ldb int, c *float32, ldc int, store int, panels int, mean, scale, shift *float32, lo, hi float32)

//go:noescape
func sgemmPanelsAff12x32AVX512(k int, a, b *float32, ldb int, c *float32, ldc int, store int, panels int, mean, scale, shift *float32, lo, hi float32)

// sgemmPanels12x16AVX512 is the 12×16 kernel over a column of blocks
// (kernelConfig.panels), and sgemmColsTx12xNAVX512 (T = 1 omitted) the
// kernels of gemmCols12 in ../asmgen for T blocks of 12×N by columns, k ≥
// 1 (s[(t·N+j)·16+i] is element (i, j) of block t's sums; 1 ≤ N ≤ 15):
// the narrow last tiles of the 12×32 kernel (avx512Edge).
//
//go:noescape
func sgemmPanels12x16AVX512(k int, a, b *float32, ldb int, c *float32, ldc int, store int, panels int)

// sgemmPanelsAff12x16AVX512 is sgemmPanels12x16AVX512 with the affine
// map of sgemmPanelsAff12x32AVX512 (the edge kernel's kernelConfig.edgeAff).
//
//go:noescape
func sgemmPanelsAff12x16AVX512(k int, a, b *float32, ldb int, c *float32, ldc int, store int, panels int, mean, scale, shift *float32, lo, hi float32)

// sgemmPanels12x17AVX512 is the kernel of 12×17 tiles over a column of
// blocks (gemmKernelCols in ../asmgen): the 12×16 row tiles of
// sgemmPanels12x16AVX512 and a 17th column by columns, as the column
// kernels hold it, in one pass over A and B: the last tiles of 7×7 maps
// (49 = 32 + 17) for avx512Edge.
//
//go:noescape
func sgemmPanels12x17AVX512(k int, a, b *float32, ldb int, c *float32, ldc int, store int, panels int)

// sgemmPanelsAff12x17AVX512 is sgemmPanels12x17AVX512 with the affine
// map of sgemmPanelsAff12x32AVX512, its 17th column mapped element by
// element with the same operations (avx512EdgeAff).
//
//go:noescape
func sgemmPanelsAff12x17AVX512(k int, a, b *float32, ldb int, c *float32, ldc int, store int, panels int, mean, scale, shift *float32, lo, hi float32)

//go:noescape
func sgemmCols12x1AVX512(k int, a, b *float32, ldb int, s *float32)

//go:noescape
func sgemmCols8x12x1AVX512(k int, a, b *float32, ldb int, s *float32)

//go:noescape
func sgemmCols4x12x1AVX512(k int, a, b *float32, ldb int, s *float32)

//go:noescape
func sgemmCols2x12x1AVX512(k int, a, b *float32, ldb int, s *float32)

//go:noescape
func sgemmCols12x2AVX512(k int, a, b *float32, ldb int, s *float32)

//go:noescape
func sgemmCols4x12x2AVX512(k int, a, b *float32, ldb int, s *float32)

//go:noescape
func sgemmCols2x12x2AVX512(k int, a, b *float32, ldb int, s *float32)

//go:noescape
func sgemmCols12x3AVX512(k int, a, b *float32, ldb int, s *float32)

//go:noescape
func sgemmCols3x12x3AVX512(k int, a, b *float32, ldb int, s *float32)

//go:noescape
func sgemmCols12x4AVX512(k int, a, b *float32, ldb int, s *float32)

//go:noescape
func sgemmCols2x12x4AVX512(k int, a, b *float32, ldb int, s *float32)

//go:noescape
func sgemmCols12x5AVX512(k int, a, b *float32, ldb int, s *float32)

//go:noescape
func sgemmCols2x12x5AVX512(k int, a, b *float32, ldb int, s *float32)

//go:noescape
func sgemmCols12x6AVX512(k int, a, b *float32, ldb int, s *float32)

//go:noescape
func sgemmCols2x12x6AVX512(k int, a, b *float32, ldb int, s *float32)

//go:noescape
func sgemmCols12x7AVX512(k int, a, b *float32, ldb int, s *float32)

//go:noescape
func sgemmCols2x12x7AVX512(k int, a, b *float32, ldb int, s *float32)

//go:noescape
func sgemmCols12x8AVX512(k int, a, b *float32, ldb int, s *float32)

//go:noescape
func sgemmCols12x9AVX512(k int, a, b *float32, ldb int, s *float32)

//go:noescape
func sgemmCols12x10AVX512(k int, a, b *float32, ldb int, s *float32)

//go:noescape
func sgemmCols12x11AVX512(k int, a, b *float32, ldb int, s *float32)

//go:noescape
func sgemmCols12x12AVX512(k int, a, b *float32, ldb int, s *float32)

//go:noescape
func sgemmCols12x13AVX512(k int, a, b *float32, ldb int, s *float32)

//go:noescape
func sgemmCols12x14AVX512(k int, a, b *float32, ldb int, s *float32)

//go:noescape
func sgemmCols12x15AVX512(k int, a, b *float32, ldb int, s *float32)

// sgemmDirect8x49AVX512 is the kernel of directFunc; store is 0 or 1.
//
//go:noescape
func sgemmDirect8x49AVX512(k int, a *float32, lda int, b *float32, ldb int, bc, c *float32, ldc int, store int)

// direct8x49AVX512 is sgemmDirect8x49AVX512 as a directFunc, checking the
// slice bounds first. It is the direct kernel of avx512Config on Intel
// CPUs, where it was measured (the 1×1 convolutions of 7×7 maps, Xeon,
// 960×160×49, 1 thread: reading A in place rather than packing it, +18%;
// the 49th column as a dot product rather than through a gather, +15%);
// on AMD Zen 5 it is not measured and the packed kernels stay.
func direct8x49AVX512(k int, a []float32, lda int, b []float32, ldb int, bc, c []float32, ldc int, store bool) {
	_ = a[(directRows-1)*lda+k-1]
	_ = b[(k-1)*ldb+directCols-1]
	_ = bc[k-1]
	_ = c[(directRows-1)*ldc+directCols-1]
	st := 0
	if store {
		st = 1
	}
	sgemmDirect8x49AVX512(k, &a[0], lda, &b[0], ldb, &bc[0], &c[0], ldc, st)
}

// sgemmRowsRofMxNISA are the kernels of the first R < M rows of an M×N
// tile whose packed A panel has M rows (zero past the matrix's last row):
// kernelFunc for an R×N tile reading a[p·M+i] (kernelConfig.rows).
//
//go:noescape
func sgemmRows1of6x16AVX2(k int, a, b *float32, ldb int, c *float32, ldc int, store int)

//go:noescape
func sgemmRows2of6x16AVX2(k int, a, b *float32, ldb int, c *float32, ldc int, store int)

//go:noescape
func sgemmRows3of6x16AVX2(k int, a, b *float32, ldb int, c *float32, ldc int, store int)

//go:noescape
func sgemmRows4of6x16AVX2(k int, a, b *float32, ldb int, c *float32, ldc int, store int)

//go:noescape
func sgemmRows5of6x16AVX2(k int, a, b *float32, ldb int, c *float32, ldc int, store int)

//go:noescape
func sgemmRows1of12x32AVX512(k int, a, b *float32, ldb int, c *float32, ldc int, store int)

//go:noescape
func sgemmRows2of12x32AVX512(k int, a, b *float32, ldb int, c *float32, ldc int, store int)

//go:noescape
func sgemmRows3of12x32AVX512(k int, a, b *float32, ldb int, c *float32, ldc int, store int)

//go:noescape
func sgemmRows4of12x32AVX512(k int, a, b *float32, ldb int, c *float32, ldc int, store int)

//go:noescape
func sgemmRows5of12x32AVX512(k int, a, b *float32, ldb int, c *float32, ldc int, store int)

//go:noescape
func sgemmRows6of12x32AVX512(k int, a, b *float32, ldb int, c *float32, ldc int, store int)

//go:noescape
func sgemmRows7of12x32AVX512(k int, a, b *float32, ldb int, c *float32, ldc int, store int)

//go:noescape
func sgemmRows8of12x32AVX512(k int, a, b *float32, ldb int, c *float32, ldc int, store int)

//go:noescape
func sgemmRows9of12x32AVX512(k int, a, b *float32, ldb int, c *float32, ldc int, store int)

//go:noescape
func sgemmRows10of12x32AVX512(k int, a, b *float32, ldb int, c *float32, ldc int, store int)

//go:noescape
func sgemmRows11of12x32AVX512(k int, a, b *float32, ldb int, c *float32, ldc int, store int)

// rowsKernel returns the kernelConfig.rows of an mr×nr tile from its
// kernels of 1 … mr−1 rows, kernels[r-1] of r rows.
func rowsKernel(mr, nr int, kernels ...func(k int, a, b *float32, ldb int, c *float32, ldc int, store int)) func(k int, a, b []float32, ldb int, c []float32, ldc int, store bool, rows int) {
	fns := make([]kernelFunc, len(kernels))
	for i, f := range kernels {
		fns[i] = asmRowsKernel(i+1, mr, nr, f)
	}
	return func(k int, a, b []float32, ldb int, c []float32, ldc int, store bool, rows int) {
		fns[rows-1](k, a, b, ldb, c, ldc, store)
	}
}

var (
	avx2Rows   = rowsKernel(6, 16, sgemmRows1of6x16AVX2, sgemmRows2of6x16AVX2, sgemmRows3of6x16AVX2, sgemmRows4of6x16AVX2, sgemmRows5of6x16AVX2)
	avx512Rows = rowsKernel(12, 32, sgemmRows1of12x32AVX512, sgemmRows2of12x32AVX512, sgemmRows3of12x32AVX512, sgemmRows4of12x32AVX512,
		sgemmRows5of12x32AVX512, sgemmRows6of12x32AVX512, sgemmRows7of12x32AVX512, sgemmRows8of12x32AVX512,
		sgemmRows9of12x32AVX512, sgemmRows10of12x32AVX512, sgemmRows11of12x32AVX512)
)

// colsKernel is a kernel of gemmCols12.
type colsKernel func(k int, a, b *float32, ldb int, s *float32)

// cols12AVX512[N-1] lists the column kernels of N columns, widest first,
// with the number of blocks each computes.
var cols12AVX512 = [...][]struct {
	blocks int
	fn     colsKernel
}{
	{{8, sgemmCols8x12x1AVX512}, {4, sgemmCols4x12x1AVX512}, {2, sgemmCols2x12x1AVX512}, {1, sgemmCols12x1AVX512}},
	{{4, sgemmCols4x12x2AVX512}, {2, sgemmCols2x12x2AVX512}, {1, sgemmCols12x2AVX512}},
	{{3, sgemmCols3x12x3AVX512}, {1, sgemmCols12x3AVX512}},
	{{2, sgemmCols2x12x4AVX512}, {1, sgemmCols12x4AVX512}},
	{{2, sgemmCols2x12x5AVX512}, {1, sgemmCols12x5AVX512}},
	{{2, sgemmCols2x12x6AVX512}, {1, sgemmCols12x6AVX512}},
	{{2, sgemmCols2x12x7AVX512}, {1, sgemmCols12x7AVX512}},
	{{1, sgemmCols12x8AVX512}},
	{{1, sgemmCols12x9AVX512}},
	{{1, sgemmCols12x10AVX512}},
	{{1, sgemmCols12x11AVX512}},
	{{1, sgemmCols12x12AVX512}},
	{{1, sgemmCols12x13AVX512}},
	{{1, sgemmCols12x14AVX512}},
	{{1, sgemmCols12x15AVX512}},
}

var (
	panels12x16AVX512    = asmPanels(12, 16, sgemmPanels12x16AVX512)
	panels12x17AVX512    = asmPanels(12, 17, sgemmPanels12x17AVX512)
	panelsAff12x17AVX512 = asmPanelsAff(12, 17, panels12x17AVX512, sgemmPanelsAff12x17AVX512)
	panelsAff12x16AVX512 = asmPanelsAff(12, 16, panels12x16AVX512, sgemmPanelsAff12x16AVX512)
)

// avx512EdgeMax is the widest last tile that avx512Edge computes: 12×16
// and 12 columns more take 24 multiply-adds per step, as 12×32 does.
const avx512EdgeMax = 16 + 12 - 1

// avx512Edge is the edge kernel of the 12×32 kernel (kernelConfig.edge)
// for n blocks of cols ≤ avx512EdgeMax columns, with the multiply-adds of
// whole vectors they take: 12×16 row tiles for 16 columns, the rest (or
// all, below 16) by columns, one multiply-add per column and step; 17
// columns (7×7 maps) in one kernel of both. Every kernel forms the sums
// with the same fused multiply-adds in the same order, so the results
// are those of the 12×32 kernel bit for bit.
func avx512Edge(k int, a, b []float32, ldb int, c []float32, ldc int, store bool, n, cols int) {
	if n <= 0 {
		return
	}
	if cols == 17 {
		panels12x17AVX512(k, a, b, ldb, c, ldc, store, n)
		return
	}
	if cols >= 16 {
		panels12x16AVX512(k, a, b, ldb, c, ldc, store, n)
		b, c, cols = b[16:], c[16:], cols-16
	}
	if cols > 0 {
		cols12(k, a, b, ldb, c, ldc, store, n, cols, nil, 0)
	}
}

// avx512EdgeAff is avx512Edge followed by the affine map of aff (row i of
// block t being row row+t·12+i of its parameters), applied in registers
// for the 12×16 tiles and to each sum of the column kernels (and of the
// 17th column of the 12×17 kernel) as it is stored: the edge kernel's
// kernelConfig.edgeAff.
func avx512EdgeAff(k int, a, b []float32, ldb int, c []float32, ldc int, store bool, n, cols int, aff *Affine, row int) {
	if n <= 0 {
		return
	}
	if cols == 17 {
		panelsAff12x17AVX512(k, a, b, ldb, c, ldc, store, n, aff, row)
		return
	}
	if cols >= 16 {
		panelsAff12x16AVX512(k, a, b, ldb, c, ldc, store, n, aff, row)
		b, c, cols = b[16:], c[16:], cols-16
	}
	if cols > 0 {
		cols12(k, a, b, ldb, c, ldc, store, n, cols, aff, row)
	}
}

// colsScratch holds cols12's buffers of sums.
var colsScratch = sync.Pool{New: func() any { return new([30 * 16]float32) }}

// cols12 computes the first cols ≤ 15 columns of n blocks of 12 rows with
// the column kernels, as kernelConfig.panels does, and then, if aff is
// not nil, applies its affine map to them (row i of block t being row
// row+t·12+i of its parameters), as kernelConfig.panelsAff does.
func cols12(k int, a, b []float32, ldb int, c []float32, ldc int, store bool, n, cols int, aff *Affine, row int) {
	// The sums of up to 30 columns of 12 (16 apart). The kernels are
	// called through function values, through which a local array
	// would escape to the heap at every call.
	sp := colsScratch.Get().(*[30 * 16]float32)
	defer colsScratch.Put(sp)
	s := sp
	ck := cols12AVX512[cols-1]
	if k > 0 {
		_ = a[n*k*12-1]
		_ = b[(k-1)*ldb+cols-1]
	}
	_ = c[(n*12-1)*ldc+cols-1]
	for t := 0; t < n; {
		w := 0
		for ck[w].blocks > n-t {
			w++
		}
		m := ck[w].blocks
		if k > 0 {
			ck[w].fn(k, &a[t*k*12], &b[0], ldb, &s[0])
		} else {
			clear(s[:m*cols*16])
		}
		for u := range m {
			blk := c[(t+u)*12*ldc:]
			for j := range cols {
				col := s[(u*cols+j)*16 : (u*cols+j)*16+12]
				switch {
				case aff != nil:
					r := row + (t+u)*12
					for i, v := range col {
						if !store {
							v = blk[i*ldc+j] + v
						}
						blk[i*ldc+j] = aff.at(r+i, v)
					}
				case store:
					for i, v := range col {
						blk[i*ldc+j] = v
					}
				default:
					for i, v := range col {
						blk[i*ldc+j] += v
					}
				}
			}
		}
		t += m
	}
}

// asmPanelsAff wraps an assembly panels kernel with the affine map,
// checking the slice bounds first; plain is the kernel without it, for
// k = 0.
func asmPanelsAff(mr, nr int, plain func(k int, a, b []float32, ldb int, c []float32, ldc int, store bool, n int), f func(k int, a, b *float32, ldb int, c *float32, ldc int, store int, panels int, mean, scale, shift *float32, lo, hi float32)) func(k int, a, b []float32, ldb int, c []float32, ldc int, store bool, n int, aff *Affine, row int) {
	return func(k int, a, b []float32, ldb int, c []float32, ldc int, store bool, n int, aff *Affine, row int) {
		if n <= 0 {
			return
		}
		if k <= 0 {
			plain(k, a, b, ldb, c, ldc, store, n)
			for i := range n * mr {
				aff.apply(row+i, c[i*ldc:i*ldc+nr])
			}
			return
		}
		_ = a[n*k*mr-1]
		_ = b[(k-1)*ldb+nr-1]
		_ = c[(n*mr-1)*ldc+nr-1]
		last := row + n*mr - 1
		_, _, _ = aff.Mean[last], aff.Scale[last], aff.Shift[last]
		st := 0
		if store {
			st = 1
		}
		f(k, &a[0], &b[0], ldb, &c[0], ldc, st, n, &aff.Mean[row], &aff.Scale[row], &aff.Shift[row], aff.Lo, aff.Hi)
	}
}

// asmPanels wraps an assembly kernel over a column of blocks, checking the
// slice bounds first.
func asmPanels(mr, nr int, f func(k int, a, b *float32, ldb int, c *float32, ldc int, store int, panels int)) func(k int, a, b []float32, ldb int, c []float32, ldc int, store bool, n int) {
	return func(k int, a, b []float32, ldb int, c []float32, ldc int, store bool, n int) {
		if n <= 0 {
			return
		}
		if k <= 0 {
			if store {
				for i := range n * mr {
					clear(c[i*ldc : i*ldc+nr])
				}
			}
			return
		}
		_ = a[n*k*mr-1]
		_ = b[(k-1)*ldb+nr-1]
		_ = c[(n*mr-1)*ldc+nr-1]
		st := 0
		if store {
			st = 1
		}
		f(k, &a[0], &b[0], ldb, &c[0], ldc, st, n)
	}
}

// Packing kernels (see packBCopy, packBTrans, packARows and packACols in
// ../asmgen): full panels of a non-transposed and a transposed B, nr = 16
// or 32, and of a non-transposed and a transposed A, mr = 6 or 12; the
// transposing ones take kc a multiple of 8, and the mr = 6 ones of A
// write 2 elements past the panel's kc columns (packAT6AVX2 also reads 2
// past each column's 6).

//go:noescape
func packB16AVX2(dst, src *float32, kc, ldb int)

//go:noescape
func packB32AVX2(dst, src *float32, kc, ldb int)

//go:noescape
func packBRows16AVX2(dst, src *float32, kc, ldb, np, pstride int)

//go:noescape
func packBRows32AVX2(dst, src *float32, kc, ldb, np, pstride int)

//go:noescape
func packBT16AVX2(dst, src *float32, kc, ldb int)

//go:noescape
func packBT32AVX2(dst, src *float32, kc, ldb int)

//go:noescape
func packA6AVX2(dst, src *float32, kc, lda int, alpha float32)

//go:noescape
func packAT6AVX2(dst, src *float32, kc, lda int, alpha float32)

//go:noescape
func packA12AVX2(dst, src *float32, kc, lda int, alpha float32)

//go:noescape
func packAT12AVX2(dst, src *float32, kc, lda int, alpha float32)

// packAOver returns the number of elements the assembly packers of A for
// mr rows write past the panel (and packAT reads past a column's mr).
func packAOver(mr int) int {
	if mr == 6 {
		return 2
	}
	return 0
}

var hasAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// packBAsm packs the leading rows of a full panel of op(B) (cols = nr)
// with assembly where there is a kernel for it, as packBPanel would, and
// returns the number of rows it packed.
func packBAsm(dst []float32, nr int, trans bool, b []float32, ldb, p0, kc, j0, cols int) int {
	if !hasAVX2 || cols != nr || (nr != 16 && nr != 32) {
		return 0
	}
	if !trans {
		if kc == 0 {
			return 0
		}
		_ = b[(p0+kc-1)*ldb+j0+nr-1]
		_ = dst[(kc-1)*nr+nr-1]
		if nr == 16 {
			packB16AVX2(&dst[0], &b[p0*ldb+j0], kc, ldb)
		} else {
			packB32AVX2(&dst[0], &b[p0*ldb+j0], kc, ldb)
		}
		return kc
	}
	k8 := kc &^ 7
	if k8 == 0 {
		return 0
	}
	_ = b[(j0+nr-1)*ldb+p0+k8-1]
	_ = dst[k8*nr-1]
	if nr == 16 {
		packBT16AVX2(&dst[0], &b[j0*ldb+p0], k8, ldb)
	} else {
		packBT32AVX2(&dst[0], &b[j0*ldb+p0], k8, ldb)
	}
	return k8
}

//go:noescape
func dotSumAVX2(x, y *float32, n int) float32

// dotSumAsm returns sumLanes of the partial sums of dotAccGeneric (from
// zero) computed in assembly, for len(x) a multiple of dotLanes, and
// reports whether it did.
func dotSumAsm(x, y []float32) (float32, bool) {
	if !hasAVX2 || len(x) == 0 {
		return 0, false
	}
	_ = y[len(x)-1]
	return dotSumAVX2(&x[0], &y[0], len(x)), true
}

// packBRowsAsm packs np consecutive full panels of nr columns of a
// non-transposed B with assembly, row by row (dst[q·pstride + p·nr + j] =
// b[(p0+p)·ldb + j0 + q·nr + j]), and reports whether it did.
func packBRowsAsm(dst []float32, nr int, b []float32, ldb, p0, kc, j0, np, pstride int) bool {
	if !hasAVX2 || (nr != 16 && nr != 32) || kc == 0 || np == 0 {
		return false
	}
	_ = b[(p0+kc-1)*ldb+j0+np*nr-1]
	_ = dst[(np-1)*pstride+kc*nr-1]
	if nr == 16 {
		packBRows16AVX2(&dst[0], &b[p0*ldb+j0], kc, ldb, np, pstride)
	} else {
		packBRows32AVX2(&dst[0], &b[p0*ldb+j0], kc, ldb, np, pstride)
	}
	return true
}

// packAAsm packs the leading columns of a full panel of mr rows of a
// non-transposed α·A with assembly where there is a kernel for it, as
// packA would, and returns the number of columns it packed. panel holds
// the panel from the first column to pack; room is the number of elements
// of panel that may be overwritten.
func packAAsm(panel []float32, mr int, a []float32, lda, kc int, alpha float32, room int) int {
	if !hasAVX2 || (mr != 6 && mr != 12) {
		return 0
	}
	over := packAOver(mr)
	k8 := kc &^ 7
	if k8*mr+over > room {
		k8 -= 8 // the kernel's last store would pass the room
	}
	if k8 <= 0 {
		return 0
	}
	_ = a[(mr-1)*lda+k8-1]
	_ = panel[k8*mr+over-1]
	if mr == 6 {
		packA6AVX2(&panel[0], &a[0], k8, lda, alpha)
	} else {
		packA12AVX2(&panel[0], &a[0], k8, lda, alpha)
	}
	return k8
}

// packATAsm packs the leading columns of a full panel of mr rows of a
// transposed α·A (a holds the panel's first row at a[0], rows of the
// panel contiguous, columns lda apart) with assembly where there is a
// kernel for it, as packA would, and returns the number of columns it
// packed. room is the number of elements of panel that may be
// overwritten.
func packATAsm(panel []float32, mr int, a []float32, lda, kc int, alpha float32, room int) int {
	if !hasAVX2 || (mr != 6 && mr != 12) || kc == 0 {
		return 0
	}
	// The kernel reads mr + over elements per column and writes as many.
	over := packAOver(mr)
	n := kc
	if (n-1)*lda+mr+over > len(a) {
		n-- // the last column would read past a: left to Go
	}
	if n*mr+over > room {
		n--
	}
	if n <= 0 {
		return 0
	}
	_ = a[(n-1)*lda+mr+over-1]
	_ = panel[n*mr+over-1]
	if mr == 6 {
		packAT6AVX2(&panel[0], &a[0], n, lda, alpha)
	} else {
		packAT12AVX2(&panel[0], &a[0], n, lda, alpha)
	}
	return n
}

// asmKernel wraps an assembly kernel of tile mr×nr in a kernelFunc that
// checks the slice bounds first.
func asmKernel(mr, nr int, f func(k int, a, b *float32, ldb int, c *float32, ldc int, store int)) kernelFunc {
	return asmRowsKernel(mr, mr, nr, f)
}

// asmRowsKernel wraps an assembly kernel of tile mr×nr that reads the
// first mr rows of packed A panels of ar rows in a kernelFunc that checks
// the slice bounds first.
func asmRowsKernel(mr, ar, nr int, f func(k int, a, b *float32, ldb int, c *float32, ldc int, store int)) kernelFunc {
	return func(k int, a, b []float32, ldb int, c []float32, ldc int, store bool) {
		if k <= 0 {
			if store {
				for i := range mr {
					clear(c[i*ldc : i*ldc+nr])
				}
			}
			return
		}
		_ = a[k*ar-1]
		_ = b[(k-1)*ldb+nr-1]
		_ = c[(mr-1)*ldc+nr-1]
		st := 0
		if store {
			st = 1
		}
		f(k, &a[0], &b[0], ldb, &c[0], ldc, st)
	}
}

var (
	avx2Config   = withRows(asmConfig("avx2_6x16", 6, 16, 256, 144, sgemmKernel6x16AVX2, sgemmPanels6x16AVX2, sgemmPanelsAff6x16AVX2), avx2Rows)
	avx512Config = withRows(withEdge(asmConfig("avx512_12x32", 12, 32, 192, 144, sgemmKernel12x32AVX512, sgemmPanels12x32AVX512, sgemmPanelsAff12x32AVX512), avx512Edge, avx512EdgeAff, avx512EdgeMax), avx512Rows)
)

// withRows returns c with the kernel rows of its last rows
// (kernelConfig.rows).
func withRows(c kernelConfig, rows func(k int, a, b []float32, ldb int, c []float32, ldc int, store bool, rows int)) kernelConfig {
	c.rows = rows
	return c
}

// withEdge returns c with the edge kernel edge for up to edgeMax columns
// and its variant with the affine map (kernelConfig.edge, edgeAff).
func withEdge(c kernelConfig, edge func(k int, a, b []float32, ldb int, c []float32, ldc int, store bool, n, cols int),
	edgeAff func(k int, a, b []float32, ldb int, c []float32, ldc int, store bool, n, cols int, aff *Affine, row int), edgeMax int) kernelConfig {
	c.edge, c.edgeAff, c.edgeMax = edge, edgeAff, edgeMax
	return c
}

// asmConfig returns the configuration of the assembly kernels of tile
// mr×nr with the given blocking.
func asmConfig(name string, mr, nr, kc, mc int,
	fn func(k int, a, b *float32, ldb int, c *float32, ldc int, store int),
	panels func(k int, a, b *float32, ldb int, c *float32, ldc int, store int, panels int),
	panelsAff func(k int, a, b *float32, ldb int, c *float32, ldc int, store int, panels int, mean, scale, shift *float32, lo, hi float32)) kernelConfig {
	p := asmPanels(mr, nr, panels)
	return kernelConfig{name: name, mr: mr, nr: nr, kc: kc, mc: mc,
		fn: asmKernel(mr, nr, fn), panels: p, panelsAff: asmPanelsAff(mr, nr, p, panelsAff)}
}

// simdConfigs lists the SIMD micro-kernels this CPU can run, best first.
func simdConfigs() []kernelConfig {
	var cs []kernelConfig
	if cpu.X86.HasAVX512F {
		c := avx512Config
		if cpuid.Intel {
			c.direct = direct8x49AVX512
		}
		cs = append(cs, c)
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		cs = append(cs, avx2Config)
	}
	return cs
}
