package tensor

import (
	"fmt"

	"github.com/autonl-go/autonl/tensor/internal/gemm"
)

// FrozenMatMulWeight is the right operand w (Out×In) of MatMul(x, w,
// false, true) — a linear layer's weight — prepared once for inference,
// as FrozenConvWeight is for a convolution: a copy of it, and the copy
// packed for the matrix-product kernels as the left operand of the
// product Yᵀ = W·Xᵀ, so that MatMulFrozen neither packs nor transposes
// the weight again (MatMul packs Wᵀ, the whole weight, for every product:
// 5 MB for a 1280→1000 classifier). It holds the values w had when it was
// made. It is read-only and safe for concurrent use.
type FrozenMatMulWeight struct {
	w  *Tensor       // the copy
	pa *gemm.PackedA // the copy as the Out×In matrix A of W·Xᵀ, packed
}

// FreezeMatMulWeight returns w (Out×In) prepared for MatMulFrozen. It
// panics if w is not 2-D.
func FreezeMatMulWeight(w *Tensor) *FrozenMatMulWeight {
	if len(w.shape) != 2 {
		panic(fmt.Sprintf("tensor: FreezeMatMulWeight: weight %v is not 2-D Out×In", w.shape))
	}
	f := &FrozenMatMulWeight{w: w.Clone()}
	f.pa = gemm.PackA(false, w.shape[0], w.shape[1], 1, f.w.data, w.shape[1])
	return f
}

// Shape returns the weight's shape, Out×In.
func (f *FrozenMatMulWeight) Shape() []int { return cloneInts(f.w.shape) }

// MatMulFrozen returns MatMul(x, w, false, true) for x of shape N×In and
// the weight w holds, bit for bit: for N ≥ 2 as Yᵀ = W·Xᵀ with w's packed
// copy (each element the same sum, in the same order, of the same
// products), with Xᵀ and Yᵀ transposed on the way in and out (N·In and
// N·Out values, against the Out·In of the weight); otherwise as MatMul
// does. It panics as MatMul does.
func MatMulFrozen(x *Tensor, w *FrozenMatMulWeight) *Tensor {
	out, in := w.w.shape[0], w.w.shape[1]
	if len(x.shape) != 2 || x.shape[1] != in || x.shape[0] < 2 {
		return MatMul(x, w.w, false, true)
	}
	n := x.shape[0]
	xt := getScratch(in * n)
	defer putScratch(xt)
	transpose(xt, x.data, n, in)
	yt := getScratch(out * n)
	defer putScratch(yt)
	if !gemm.SgemmPacked(w.pa, n, xt, n, 0, 0, yt, n, 0, 1, nil, nil) {
		return MatMul(x, w.w, false, true)
	}
	y := newOutUninit([]int{n, out}) // the transposition writes every element
	transpose(y.data, yt, out, n)
	return y
}

// transpose sets dst (cols×rows) to the transpose of src (rows×cols).
func transpose(dst, src []float32, rows, cols int) {
	for i := range rows {
		row := src[i*cols : (i+1)*cols]
		for j, v := range row {
			dst[j*rows+i] = v
		}
	}
}
