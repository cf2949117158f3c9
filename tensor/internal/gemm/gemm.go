// Package gemm implements single-precision general matrix multiplication,
// C ← α·op(A)·op(B) + β·C, on row-major raw slices, in the manner of BLIS.
//
// op(A) is m×k and op(B) is k×n. C is partitioned into tiles of at most
// mc×nt elements that are computed concurrently with parallel.For; the
// tiles depend only on m, n and k, never on the number of workers. Inside
// a tile the k dimension is walked in blocks of kcBlock: for each block the
// tile's rows of op(A) are packed, scaled by α, into panels of mr rows
// (element (i, p) of a panel at p·mr + i) and its columns of op(B) into
// panels of nr columns (element (p, j) at p·nr + j), zero-padded at the
// edges, so that the micro-kernel reads both operands contiguously. The
// micro-kernel updates an mr×nr block of C from one A panel and one B panel
// and is the only code that a SIMD implementation has to replace.
//
// Products with m = 1 or n = 1 skip packing and run as matrix-vector
// loops split into fixed ranges of outputs.
//
// Every element of C is computed by a single goroutine in an order fixed by
// m, n and k alone (for tiles: β·c + Σ_blocks Σ_{p in block} (α·a_ip)·b_pj,
// p increasing), so results are bit-for-bit identical whatever GOMAXPROCS
// is.
package gemm

import (
	"fmt"
	"sync"

	"github.com/autonl-go/autonl/tensor/internal/parallel"
)

// Blocking parameters, in elements. A tile's packed operands are
// mcBlock·kcBlock (128 KiB) of A and kcBlock·ntBlock (128 KiB) of B, sized
// for a 512 KiB L2 cache; a B panel (kcBlock·nr, 8 KiB) stays in L1 while
// the micro-kernel sweeps the A panels.
const (
	kcBlock = 256
	mcBlock = 128
	ntBlock = 128
	// ntMax bounds the widened tiles used when op(A) has few rows.
	ntMax = 1024
	// tileWork is the number of multiply-adds a tile should at least do
	// (when the matrices allow) so that scheduling costs stay negligible.
	tileWork = 1 << 18
	// serialWork is the number of multiply-adds below which Sgemm does not
	// dispatch tiles to the worker pool.
	serialWork = 1 << 16
	// gemvGrain is the number of outputs per range of the matrix-vector
	// paths.
	gemvGrain = 256
)

// Micro-kernel selection. mr and nr are the rows and columns of the block
// of C that kernel updates; the packing routines follow them, so a SIMD
// kernel with another register tile only needs to set all three (before
// the first call of Sgemm).
var (
	mr     = 4
	nr     = 8
	kernel = kernelGeneric4x8
)

// Sgemm computes C ← α·op(A)·op(B) + β·C for row-major matrices, where
// op(X) is X, or Xᵀ if the corresponding trans flag is set:
//
//	c[i·ldc+j] = α·Σ_{p<k} opA(i,p)·opB(p,j) + β·c[i·ldc+j],  i < m, j < n,
//
// with opA(i,p) = a[i·lda+p] (a holds an m×k matrix) or, if transA,
// a[p·lda+i] (a holds k×m); and opB(p,j) = b[p·ldb+j] (b holds k×n) or, if
// transB, b[j·ldb+p] (b holds n×k). As in BLAS, C is not read when β is 0,
// and A and B are not read when α is 0 or k is 0.
//
// It panics if a dimension is negative, a leading dimension is smaller than
// the row length of its matrix, or a slice is too short for its matrix.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("gemm: Sgemm: negative dimension m=%d n=%d k=%d", m, n, k))
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	checkMatrix("A", ar, ac, a, lda)
	checkMatrix("B", br, bc, b, ldb)
	checkMatrix("C", m, n, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if alpha == 0 || k == 0 {
		scale(m, n, beta, c, ldc)
		return
	}
	// Matrix-vector products: packing would pad the vector side to a full
	// panel and waste most of the micro-kernel's work.
	if n == 1 {
		rs, cs := lda, 1 // opA(i,p) = a[i·rs + p·cs]
		if transA {
			rs, cs = 1, lda
		}
		incx := ldb // opB(p,0) = b[p·incx]
		if transB {
			incx = 1
		}
		gemv(m, k, alpha, a, rs, cs, b, incx, beta, c, ldc)
		return
	}
	if m == 1 {
		rs, cs := 1, ldb // opB(p,j) = b[j·rs + p·cs]
		if transB {
			rs, cs = ldb, 1
		}
		incx := 1 // opA(0,p) = a[p·incx]
		if transA {
			incx = lda
		}
		gemv(n, k, alpha, b, rs, cs, a, incx, beta, c, 1)
		return
	}

	mc, nt := tileSizes(m, n, k)
	tm, tn := (m+mc-1)/mc, (n+nt-1)/nt
	g := &gemmArgs{transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
		a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, mc: mc, nt: nt}
	run := func(lo, hi int) {
		w := getWorkspace()
		for t := lo; t < hi; t++ {
			g.tile(w, (t/tn)*mc, (t%tn)*nt)
		}
		workspaces.Put(w)
	}
	if m*n*k < serialWork {
		run(0, tm*tn)
		return
	}
	parallel.For(tm*tn, 1, run)
}

func checkMatrix(name string, rows, cols int, s []float32, ld int) {
	if ld < max(cols, 1) {
		panic(fmt.Sprintf("gemm: Sgemm: leading dimension ld%s=%d is less than the %d columns of %s (%d×%d as stored)",
			lower(name), ld, cols, name, rows, cols))
	}
	if rows > 0 && cols > 0 {
		if need := (rows-1)*ld + cols; len(s) < need {
			panic(fmt.Sprintf("gemm: Sgemm: %s (%d×%d as stored, ld%s=%d) needs %d elements, slice has %d",
				name, rows, cols, lower(name), ld, need, len(s)))
		}
	}
}

func lower(name string) string { return string(name[0] + 'a' - 'A') }

// tileSizes returns the rows and columns of the tiles of C. Tiles are at
// most mcBlock rows high and ntBlock columns wide, wider when they are low
// so that a tile still does about tileWork multiply-adds, and then shrunk
// to split m and n into equal parts (up to mr and nr) so that no tile is a
// small remainder.
func tileSizes(m, n, k int) (mc, nt int) {
	// Limits rounded down to whole panels, so that packed tiles fit the
	// workspace whatever mr and nr are.
	mcMax, ntLow, ntHigh := max(mcBlock/mr, 1)*mr, max(ntBlock/nr, 1)*nr, max(ntMax/nr, 1)*nr
	mc = min(mcMax, roundUp(m, mr))
	nt = ntLow
	if w := tileWork / (mc * min(k, kcBlock)); w > nt {
		nt = min(roundUp(w, nr), ntHigh)
	}
	mc = roundUp(ceilDiv(m, ceilDiv(m, mc)), mr)
	nt = roundUp(ceilDiv(n, ceilDiv(n, nt)), nr)
	return mc, nt
}

func ceilDiv(x, d int) int { return (x + d - 1) / d }

func roundUp(x, m int) int { return (x + m - 1) / m * m }

// scale sets the m×n matrix C to β·C; β = 0 clears it without reading it.
func scale(m, n int, beta float32, c []float32, ldc int) {
	if beta == 1 {
		return
	}
	for i := range m {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

type gemmArgs struct {
	transA, transB bool
	m, n, k        int
	alpha          float32
	a              []float32
	lda            int
	b              []float32
	ldb            int
	beta           float32
	c              []float32
	ldc            int
	mc, nt         int
}

// workspace holds one goroutine's packing buffers.
type workspace struct {
	a, b []float32
	edge []float32 // an mr×nr block for partial tiles at the edges of C
}

var workspaces = sync.Pool{New: func() any { return new(workspace) }}

func getWorkspace() *workspace {
	w := workspaces.Get().(*workspace)
	if n := roundUp(mcBlock, mr) * kcBlock; len(w.a) < n {
		w.a = make([]float32, n)
	}
	if n := kcBlock * roundUp(ntMax, nr); len(w.b) < n {
		w.b = make([]float32, n)
	}
	if len(w.edge) < mr*nr {
		w.edge = make([]float32, mr*nr)
	}
	return w
}

// tile computes the tile of C whose top-left element is (i0, j0).
func (g *gemmArgs) tile(w *workspace, i0, j0 int) {
	mc, nc := min(g.mc, g.m-i0), min(g.nt, g.n-j0)
	c := g.c[i0*g.ldc+j0:]
	scale(mc, nc, g.beta, c, g.ldc)
	for p0 := 0; p0 < g.k; p0 += kcBlock {
		kc := min(kcBlock, g.k-p0)
		packA(w.a, g.transA, g.a, g.lda, i0, mc, p0, kc, g.alpha)
		packB(w.b, g.transB, g.b, g.ldb, p0, kc, j0, nc)
		macroKernel(kc, mc, nc, w.a, w.b, c, g.ldc, w.edge)
	}
}

// packA packs rows [i0, i0+mc) and columns [p0, p0+kc) of α·op(A) into
// ceil(mc/mr) panels of mr rows: element (i, p) of the block goes to
// dst[(i/mr)·mr·kc + p·mr + i%mr]. Rows past mc are zero.
func packA(dst []float32, trans bool, a []float32, lda, i0, mc, p0, kc int, alpha float32) {
	for r := 0; r < mc; r += mr {
		panel := dst[r*kc : (r+mr)*kc]
		rows := min(mr, mc-r)
		if trans { // opA(i,p) = a[p·lda+i]: rows of the panel are contiguous in a
			for p := range kc {
				src := a[(p0+p)*lda+i0+r:]
				d := panel[p*mr : p*mr+mr]
				for i := range rows {
					d[i] = alpha * src[i]
				}
				clear(d[rows:])
			}
			continue
		}
		for i := range rows { // opA(i,p) = a[i·lda+p]
			src := a[(i0+r+i)*lda+p0:]
			src = src[:kc]
			for p, v := range src {
				panel[p*mr+i] = alpha * v
			}
		}
		for i := rows; i < mr; i++ {
			for p := range kc {
				panel[p*mr+i] = 0
			}
		}
	}
}

// packB packs rows [p0, p0+kc) and columns [j0, j0+nc) of op(B) into
// ceil(nc/nr) panels of nr columns: element (p, j) of the block goes to
// dst[(j/nr)·nr·kc + p·nr + j%nr]. Columns past nc are zero.
func packB(dst []float32, trans bool, b []float32, ldb, p0, kc, j0, nc int) {
	for q := 0; q < nc; q += nr {
		panel := dst[q*kc : (q+nr)*kc]
		cols := min(nr, nc-q)
		if !trans { // opB(p,j) = b[p·ldb+j]: columns of the panel are contiguous in b
			for p := range kc {
				src := b[(p0+p)*ldb+j0+q:]
				d := panel[p*nr : p*nr+nr]
				copy(d, src[:cols])
				clear(d[cols:])
			}
			continue
		}
		for j := range cols { // opB(p,j) = b[j·ldb+p]
			src := b[(j0+q+j)*ldb+p0:]
			src = src[:kc]
			for p, v := range src {
				panel[p*nr+j] = v
			}
		}
		for j := cols; j < nr; j++ {
			for p := range kc {
				panel[p*nr+j] = 0
			}
		}
	}
}

// macroKernel adds the product of the packed mc×kc block of A and kc×nc
// block of B to the mc×nc block of C at c. Blocks of C that are not a full
// mr×nr are computed into edge and then added, so that every element
// receives exactly the same arithmetic as in a full block.
func macroKernel(kc, mc, nc int, ap, bp, c []float32, ldc int, edge []float32) {
	for q := 0; q < nc; q += nr {
		bpanel := bp[q*kc : (q+nr)*kc]
		cols := min(nr, nc-q)
		for r := 0; r < mc; r += mr {
			apanel := ap[r*kc : (r+mr)*kc]
			rows := min(mr, mc-r)
			if rows == mr && cols == nr {
				kernel(kc, apanel, bpanel, c[r*ldc+q:], ldc)
				continue
			}
			clear(edge)
			kernel(kc, apanel, bpanel, edge, nr)
			for i := range rows {
				dst := c[(r+i)*ldc+q : (r+i)*ldc+q+cols]
				for j, v := range edge[i*nr : i*nr+cols] {
					dst[j] += v
				}
			}
		}
	}
}

// gemv computes y[i·incy] ← α·Σ_{p<k} M(i,p)·x[p·incx] + β·y[i·incy] for
// i < m, where M(i,p) = mat[i·rs + p·cs] and rs or cs is 1. The sum over p
// runs in increasing order.
func gemv(m, k int, alpha float32, mat []float32, rs, cs int, x []float32, incx int, beta float32, y []float32, incy int) {
	grain := gemvGrain
	if m*k < serialWork {
		grain = m
	}
	parallel.For(m, grain, func(lo, hi int) {
		if cs == 1 { // rows of M are contiguous: dot products
			for i := lo; i < hi; i++ {
				row := mat[i*rs : i*rs+k]
				var s float32
				if incx == 1 {
					s = dot(row, x[:k])
				} else {
					for p, v := range row {
						s += v * x[p*incx]
					}
				}
				y[i*incy] = alpha*s + betaTimes(beta, y[i*incy])
			}
			return
		}
		// Columns of M are contiguous (rs == 1): accumulate α·x_p·M(:,p).
		acc := make([]float32, hi-lo)
		for p := range k {
			col := mat[p*cs+lo : p*cs+hi]
			axpy(x[p*incx], col, acc)
		}
		for i, s := range acc {
			y[(lo+i)*incy] = alpha*s + betaTimes(beta, y[(lo+i)*incy])
		}
	})
}

func betaTimes(beta, y float32) float32 {
	if beta == 0 {
		return 0
	}
	return beta * y
}

// dot returns Σ x[i]·y[i], summed in increasing i.
func dot(x, y []float32) float32 {
	y = y[:len(x)]
	var s float32
	for i, v := range x {
		s += v * y[i]
	}
	return s
}

// axpy computes y[i] += α·x[i].
func axpy(alpha float32, x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += alpha * v
	}
}
