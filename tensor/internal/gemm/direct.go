package gemm

import (
	"github.com/autonl-go/autonl/internal/parallel"
	"github.com/autonl-go/autonl/tensor/internal/vec"
)

// The blocks of C that kernelConfig.direct computes: directRows rows of
// directCols columns, the 1×1 convolutions of 7×7 maps.
const (
	directRows = 8
	directCols = 49
)

// directFunc is the signature of kernelConfig.direct. Given bc, column
// directCols−1 of B (bc[p] = b[p·ldb+directCols−1] for p < k), it
// computes, for i < directRows,
//
//	s_ij = Σ_{p<k} a[i·lda+p]·b[p·ldb+j]   (j < directCols−1: fused multiply-adds, p increasing, from 0)
//	s_ij = directDot(k, a[i·lda:], bc)      (j = directCols−1)
//	c[i·ldc+j] = s_ij                       if store
//	c[i·ldc+j] = c[i·ldc+j] + s_ij          otherwise
//
// for k ≥ 1: kernelGenericFMA's arithmetic with A read in place, rows
// lda apart, rather than from a packed panel, except in the last column.
type directFunc func(k int, a []float32, lda int, b []float32, ldb int, bc, c []float32, ldc int, store bool)

// directLanes is the number of partial sums of directDot.
const directLanes = 16

// directDot returns Σ_{p<k} x[p]·y[p] as the direct kernels form it:
// directLanes partial sums of the terms p ≡ l (mod directLanes), each by
// fused multiply-adds in increasing p from 0, then their pairwise sum
// (sumLanes).
func directDot(k int, x, y []float32) float32 {
	var r [directLanes]float32
	for p := range k {
		r[p%directLanes] = vec.FMA32(x[p], y[p], r[p%directLanes])
	}
	return sumLanes(r[:])
}

// directGeneric is the specification of directFunc and the pure-Go twin
// of its assembly kernels.
func directGeneric(k int, a []float32, lda int, b []float32, ldb int, bc, c []float32, ldc int, store bool) {
	for i := range directRows {
		for j := range directCols {
			var s float32
			if j == directCols-1 {
				s = directDot(k, a[i*lda:], bc)
			} else {
				for p := range k {
					s = vec.FMA32(a[i*lda+p], b[p*ldb+j], s)
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

// directA enables runDirectA; tests turn it off.
var directA = true

// directMaxLda bounds the leading dimension of an A read in place, so
// that the kernel's byte offsets of its rows fit 32 bits.
const directMaxLda = 1 << 26

// useDirectA reports whether run leaves the product to runDirectA: the
// micro-kernel has a direct kernel, A is not packed beforehand nor
// transposed and α is 1 (so that packing would only have copied it), B
// is not transposed, the inner dimension is not batched, and the blocks
// of C are directCols wide, at least directRows high.
func (g *gemmArgs) useDirectA() bool {
	n0 := g.n
	if g.segN {
		n0 = g.n0
	}
	return directA && g.direct != nil && g.pa == nil && !g.transA && !g.transB && !g.segK &&
		g.alpha == 1 && n0 == directCols && g.m >= directRows && g.lda <= directMaxLda
}

// runDirectA computes a product of blocks directCols wide (7×7 maps; the
// blocks of a batch, with segN) without packing anything: tasks take
// ranges of directRows rows of C and, for each block of C in turn, run
// the direct kernel through every k block, reading A and B in place;
// the last block of fewer rows goes through a copy in the workspace.
// For these products op(A) is much larger than op(B) (960×160 against
// 160×49 in MobileNetV2), and packing op(A) cost a fifth of the time
// (Intel Xeon, AVX-512, 1 thread).
//
// Each element of C receives the arithmetic of run — β·c (if β ≠ 0, 1),
// then c ← c + Σ_{p in block} a_ip·b_pj for each k block of kc in
// order, stored by the first when β = 0 — and then aff and ep. The sums
// are formed by fused multiply-adds in increasing p, as the packed
// kernels form them, except in the last column of each block, where
// they are directDot's; so the results are those of the other drivers
// bit for bit but in that column, and the same whatever GOMAXPROCS is.
func (g *gemmArgs) runDirectA() {
	if g.beta != 0 && g.beta != 1 {
		g.scaleC()
	}
	nb, strideB, strideC := 1, 0, 0
	if g.segN {
		nb, strideB, strideC = g.n/g.n0, g.strideB, g.strideC
	}
	// Column directCols−1 of each image's B, contiguous for the kernels'
	// dot products, in the caller's workspace, which the tasks only read.
	wc := getWorkspace(g.kernelConfig)
	defer workspaces.put(wc)
	if len(wc.b) < nb*g.k {
		wc.b = make([]float32, nb*g.k)
	}
	cols := wc.b[:nb*g.k]
	for img := range nb {
		b := g.b[img*strideB+directCols-1:]
		for p := range g.k {
			cols[img*g.k+p] = b[p*g.ldb]
		}
	}
	blocks := ceilDiv(g.m, directRows)
	tasks := 1
	if g.m*g.n*g.k >= serialWork && parallel.Workers() > 1 {
		tasks = min(blocks, tasksPerWorker*parallel.Workers(), spreadMax)
	}
	// Task u computes the blocks of rows [u·blocks/tasks, (u+1)·blocks/tasks).
	task := func(w *workspace, u int) {
		for t := u * blocks / tasks; t < (u+1)*blocks/tasks; t++ {
			i0 := t * directRows
			rows := min(directRows, g.m-i0)
			for img := range nb {
				c := g.c[img*strideC+i0*g.ldc:]
				for pc := 0; pc < g.k; pc += g.kc {
					kcur := min(g.kc, g.k-pc)
					store := pc == 0 && g.beta == 0
					a := g.a[i0*g.lda+pc:]
					b := g.b[img*strideB+pc*g.ldb:]
					bc := cols[img*g.k+pc : img*g.k+pc+kcur]
					if rows == directRows {
						g.direct(kcur, a, g.lda, b, g.ldb, bc, c, g.ldc, store)
					} else {
						g.directRowsTail(&w.a, kcur, rows, a, b, bc, c, store)
					}
				}
				if g.aff != nil {
					for i := range rows {
						g.aff.apply(i0+i, c[i*g.ldc:i*g.ldc+directCols])
					}
				}
				if g.ep != nil {
					runEpilogue(g.ep, g.c, img*strideC+i0*g.ldc, rows, directCols, g.ldc)
				}
			}
		}
	}
	if tasks == 1 {
		task(wc, 0)
		return
	}
	// By slots, so that each core takes the rows of A and C it had in
	// the product before.
	g.spread(tasks, task)
}

// directRowsTail runs the direct kernel on the first rows < directRows
// rows of a block through buf (grown if short): rows of A (kcur of them, lda apart in a)
// copied above zero rows, and the block of C (copied in unless store)
// copied back. The zero rows' sums are dropped; the others' are those
// of a full block.
func (g *gemmArgs) directRowsTail(buf *[]float32, kcur, rows int, a, b, bc, c []float32, store bool) {
	if need := directRows * (g.kc + directCols); len(*buf) < need {
		*buf = make([]float32, need)
	}
	ta, tc := (*buf)[:directRows*kcur], (*buf)[directRows*kcur:directRows*(kcur+directCols)]
	for i := range directRows {
		if i < rows {
			copy(ta[i*kcur:(i+1)*kcur], a[i*g.lda:])
			if !store {
				copy(tc[i*directCols:(i+1)*directCols], c[i*g.ldc:])
			}
		} else {
			clear(ta[i*kcur : (i+1)*kcur])
		}
	}
	g.direct(kcur, ta, kcur, b, g.ldb, bc, tc, directCols, store)
	for i := range rows {
		copy(c[i*g.ldc:i*g.ldc+directCols], tc[i*directCols:])
	}
}
