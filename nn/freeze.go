package nn

import (
	"sync/atomic"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/tensor"
)

// Freeze prepares the convolutions and linear layers below m (m included)
// for inference, as an inference engine prepares a network when it loads
// it (ONNX Runtime's session, torch.jit.freeze): each Conv2d without bias
// (those followed by batch norm) keeps a copy of its weight, packed for
// the matrix-product kernels where it computes through them
// (tensor.FreezeConvWeight), and computes from that copy whenever it runs
// without gradients (autograd.NoGrad), alone or fused with its batch norm
// (FusedConvBN); each Linear keeps its weight packed for x·Wᵀ
// (tensor.FreezeMatMulWeight) likewise, so that no inference packs the
// weights again. The results are those of the
// layers unfrozen, bit for bit; training is unaffected. The price is
// memory: a frozen layer holds a copy of its weight and, for a
// convolution of one group, the packed copy (about as large again).
//
// The copy holds the weights' values when Freeze is called. A layer drops
// it, and computes from its weight again, when
//
//   - Unfreeze(m), or SetTraining(m, true), reaches it;
//   - it runs with gradients enabled (a training step's forward pass);
//   - its Weight.Value is no longer the tensor it copied;
//   - LoadStateDict or Load loads into a module above it.
//
// Other writes into the weight's values — an optimizer step without a
// forward pass, copies into Weight.Value.Data(), an average kept in place —
// are not seen by a frozen layer: call Freeze again after them. Freeze and
// Unfreeze must not run concurrently with a forward pass of m; frozen
// layers may run concurrently with each other.
func Freeze(m Module) {
	Walk(m, func(_ string, m Module) {
		if c, ok := m.(*Conv2d); ok && c.Bias == nil {
			w := c.Weight.Value
			c.frozen.Store(&frozenCopy[tensor.FrozenConvWeight]{src: w, w: tensor.FreezeConvWeight(w, c.Params.Groups)})
		}
		if l, ok := m.(*Linear); ok {
			w := l.Weight.Value
			l.frozen.Store(&frozenCopy[tensor.FrozenMatMulWeight]{src: w, w: tensor.FreezeMatMulWeight(w)})
		}
	})
}

// Unfreeze drops what Freeze kept for the convolutions below m (m
// included): they compute from their weights again.
func Unfreeze(m Module) {
	Walk(m, func(_ string, m Module) {
		if c, ok := m.(*Conv2d); ok {
			c.frozen.Store(nil)
		}
		if l, ok := m.(*Linear); ok {
			l.frozen.Store(nil)
		}
	})
}

// frozenCopy is what Freeze keeps for a layer: its weight tensor at the
// time (to notice a replacement) and the frozen copy W of its values.
type frozenCopy[W any] struct {
	src *tensor.Tensor
	w   *W
}

// frozenState is embedded in Conv2d and Linear: the layer's frozenCopy, if
// frozen.
type frozenState[W any] struct {
	frozen atomic.Pointer[frozenCopy[W]]
}

// load returns the frozen copy if there is one, it is still that of
// weight, gradients are disabled and usable holds, and otherwise nil;
// with gradients enabled (a training step may change the weights), or
// where usable is false, it drops the copy.
func (s *frozenState[W]) load(weight *tensor.Tensor, usable bool) *W {
	f := s.frozen.Load()
	if f == nil {
		return nil
	}
	if autograd.GradEnabled() || !usable || f.src != weight {
		s.frozen.Store(nil)
		return nil
	}
	return f.w
}

// frozenWeight returns c's frozen weight if c is frozen, the frozen copy
// is still that of c's weight tensor, c has no bias and gradients are
// disabled, and otherwise nil.
func (c *Conv2d) frozenWeight() *tensor.FrozenConvWeight {
	return c.load(c.Weight.Value, c.Bias == nil)
}

// frozenWeight returns l's frozen weight as Conv2d.frozenWeight does.
func (l *Linear) frozenWeight() *tensor.FrozenMatMulWeight {
	return l.load(l.Weight.Value, true)
}
