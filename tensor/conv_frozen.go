package tensor

import (
	"fmt"

	"github.com/autonl-go/autonl/tensor/internal/gemm"
)

// FrozenConvWeight is a convolution's filters prepared once for
// inference, as an inference engine prepares a network's weights when it
// loads it: a copy of them and, for a convolution of one group computed by
// matrix products (1×1 convolutions and those unfolded by im2col), the
// copy packed for the matrix-product kernels, so that Conv2DFrozen does not
// pack the filters again for every product. It holds the filters' values
// at the time it was made: later changes to the tensor it was made from
// are not seen. It is read-only and safe for concurrent use.
type FrozenConvWeight struct {
	w      *Tensor       // the copy
	groups int           // the groups it was made for
	pa     *gemm.PackedA // the copy as a Cout×(C·kh·kw) matrix, packed; nil unless groups = 1
}

// FreezeConvWeight returns the filters w (Cout×(C/groups)×kh×kw) of a
// convolution with groups groups (0 means 1) prepared for Conv2DFrozen. It
// panics if w is not 4-D or groups is negative.
func FreezeConvWeight(w *Tensor, groups int) *FrozenConvWeight {
	if len(w.shape) != 4 {
		panic(fmt.Sprintf("tensor: FreezeConvWeight: weight w %v is not 4-D Cout×(C/groups)×kh×kw", w.shape))
	}
	if groups < 0 {
		panic(fmt.Sprintf("tensor: FreezeConvWeight: negative groups %d", groups))
	}
	f := &FrozenConvWeight{w: w.Clone(), groups: orOne(groups)}
	if f.groups == 1 {
		rows := w.shape[1] * w.shape[2] * w.shape[3]
		f.pa = gemm.PackA(false, w.shape[0], rows, 1, f.w.data, rows)
	}
	return f
}

// Shape returns the filters' shape.
func (f *FrozenConvWeight) Shape() []int { return cloneInts(f.w.shape) }

// Conv2DFrozen returns Conv2DFused(x, w, p, ep) (Conv2D(x, w, p) if ep is
// nil) for the filters w holds, bit for bit, computed with w's packed
// copy where the convolution is a matrix product that packs its weights
// (where gemm reads them in place, the 1×1 convolutions of 7×7 maps on
// Intel AVX-512, from w's plain copy). It panics as
// Conv2DFused does, and if p's groups differ from those w was made for.
func Conv2DFrozen(x *Tensor, w *FrozenConvWeight, p Conv2DConfig, ep *ConvEpilogue) *Tensor {
	g := newConvGeom("Conv2DFrozen", x.shape, w.w.shape, p)
	if g.groups != w.groups {
		panic(fmt.Sprintf("tensor: Conv2DFrozen: %d groups, but the weight was frozen for %d", g.groups, w.groups))
	}
	if ep != nil {
		checkEpilogue("Conv2DFrozen", g, w.w, ep)
	}
	return conv2D(g, x, w.w, ep, w.pa)
}
