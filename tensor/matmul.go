package tensor

import (
	"fmt"

	"github.com/autonl-go/autonl/internal/parallel"
	"github.com/autonl-go/autonl/tensor/internal/gemm"
)

// MatMul returns the matrix product op(a)·op(b), batched over leading
// dimensions, where op(t) is t, or t with its last two axes swapped if the
// corresponding trans flag is set.
//
// a has shape [..., M, K] ([..., K, M] if transA) and b [..., K, N]
// ([..., N, K] if transB); both must be at least 2-D. The leading (batch)
// dimensions broadcast under NumPy's rules and the result has shape
// [batch..., M, N] with
//
//	y[..., i, j] = Σ_{p<K} opA[..., i, p]·opB[..., p, j].
//
// Transposed operands are read in place by the GEMM kernel; nothing is
// copied. When b has no batch (all its leading dimensions are 1) and a is
// not transposed, the batch of a is folded into M and computed as a single
// product.
//
// It panics if an operand has fewer than 2 dimensions, the inner dimensions
// differ or the batch dimensions do not broadcast.
func MatMul(a, b *Tensor, transA, transB bool) *Tensor {
	ra, rb := len(a.shape), len(b.shape)
	if ra < 2 || rb < 2 {
		panic(fmt.Sprintf("tensor: MatMul: operands must be at least 2-D, got a %v and b %v", a.shape, b.shape))
	}
	m, ka := a.shape[ra-2], a.shape[ra-1]
	if transA {
		m, ka = ka, m
	}
	kb, n := b.shape[rb-2], b.shape[rb-1]
	if transB {
		kb, n = n, kb
	}
	if ka != kb {
		panic(fmt.Sprintf("tensor: MatMul: inner dimensions differ: a %v%s (K=%d), b %v%s (K=%d)",
			a.shape, transposedNote(transA), ka, b.shape, transposedNote(transB), kb))
	}
	k := ka
	aBatch, bBatch := a.shape[:ra-2], b.shape[:rb-2]
	batch, ok := BroadcastShapes(aBatch, bBatch)
	if !ok {
		panic(fmt.Sprintf("tensor: MatMul: batch dimensions %v of a %v and %v of b %v are not broadcastable",
			aBatch, a.shape, bBatch, b.shape))
	}
	out := newOutUninit(append(batch, m, n)) // β = 0: the products write every element
	nb := NumElements(batch)
	if nb == 0 || m == 0 || n == 0 {
		return out
	}
	lda, ldb := max(a.shape[ra-1], 1), max(b.shape[rb-1], 1)
	if NumElements(bBatch) == 1 && !transA {
		// a's matrices are consecutive rows of one (batch·M)×K matrix.
		gemm.Sgemm(false, transB, NumElements(aBatch)*m, n, k, 1, a.data, lda, b.data, ldb, 0, out.data, n)
		return out
	}
	offA := matrixOffsets(aBatch, batch, m*k)
	offB := matrixOffsets(bBatch, batch, k*n)
	grain := max(1, matMulBatchWork/max(1, m*n*k))
	parallel.For(nb, grain, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			gemm.Sgemm(transA, transB, m, n, k, 1, a.data[offA[i]:], lda, b.data[offB[i]:], ldb,
				0, out.data[i*m*n:(i+1)*m*n], n)
		}
	})
	return out
}

// matMulBatchWork is the number of multiply-adds below which batched
// matrix products are grouped into one range of the parallel loop.
const matMulBatchWork = 1 << 16

func transposedNote(t bool) string {
	if t {
		return " transposed"
	}
	return ""
}

// matrixOffsets returns, for every index of the broadcast batch shape in
// row-major order, the offset of the operand's matrix in its data, where
// the operand has batch shape in and matrices of size elements.
func matrixOffsets(in, batch []int, size int) []int {
	st := broadcastStrides(in, batch)
	nb := NumElements(batch)
	offs := make([]int, nb)
	idx := make([]int, len(batch))
	off := 0
	for i := range nb {
		offs[i] = off * size
		for d := len(batch) - 1; d >= 0; d-- {
			idx[d]++
			off += st[d]
			if idx[d] < batch[d] {
				break
			}
			off -= st[d] * batch[d]
			idx[d] = 0
		}
	}
	return offs
}
