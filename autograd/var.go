package autograd

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/autonl-go/autonl/tensor"
)

// Var is a node of a computation graph: a tensor value, the gradient of the
// last Backward call with respect to it, and the operation that produced it.
//
// Leaves are made with Param (requires a gradient) or Const (does not);
// every other Var is the result of an operation in this package.
type Var struct {
	// Value is the tensor this Var holds.
	Value *tensor.Tensor
	// Grad is ∂out/∂Value after out.Backward(), with Value's shape, or nil
	// if no gradient reached this Var. Gradients of intermediate results
	// are dropped during Backward unless RetainGrad was called.
	Grad *tensor.Tensor

	requiresGrad bool
	retainGrad   bool
	// transient marks a result computed under NoGrad whose storage no
	// leaf shares (fresh, or taken over from a transient input, as by a
	// reshape or an in-place op): Discard may release it.
	transient bool
	// ownGrad is Grad when v alone holds its storage: then Grad is updated
	// in place and ReleaseGrad returns it to the pool. Any other Grad may
	// alias other tensors and is copied before an update.
	ownGrad *tensor.Tensor
	node    *node
	// rel applies the release policy of the backward pass in progress
	// that v takes part in; nil outside a pass.
	rel *tensor.Releaser
}

// node records how a Var was computed.
type node struct {
	op       string
	inputs   []*Var
	backward func(grad *tensor.Tensor)
}

// Param returns a leaf Var that requires a gradient, such as a weight.
func Param(t *tensor.Tensor) *Var { return &Var{Value: t, requiresGrad: true} }

// Const returns a leaf Var that does not require a gradient, such as an
// input batch.
func Const(t *tensor.Tensor) *Var { return &Var{Value: t} }

// RequiresGrad reports whether gradients flow to v.
func (v *Var) RequiresGrad() bool { return v.requiresGrad }

// IsLeaf reports whether v was not produced by a recorded operation.
func (v *Var) IsLeaf() bool { return v.node == nil }

// Op returns the name of the operation that produced v, or "" for a leaf.
func (v *Var) Op() string {
	if v.node == nil {
		return ""
	}
	return v.node.op
}

// Shape returns the shape of v's value.
func (v *Var) Shape() []int { return v.Value.Shape() }

// RetainGrad keeps v's gradient after Backward although v is not a leaf.
func (v *Var) RetainGrad() { v.retainGrad = true }

// ZeroGrad drops v's gradient.
func (v *Var) ZeroGrad() { v.Grad, v.ownGrad = nil, nil }

// ReleaseGrad drops v's gradient as ZeroGrad does and, if Backward left v
// the only holder of the gradient's storage (a gradient computed for v
// alone rather than shared with another Var or given by the caller),
// returns that storage to the tensor buffer pool, so that the next
// Backward reuses it. The previous Grad tensor must not be used afterwards;
// optimizers call ReleaseGrad from their ZeroGrad.
func (v *Var) ReleaseGrad() {
	if v.Grad != nil && v.Grad == v.ownGrad {
		tensor.Release(v.Grad)
	}
	v.Grad, v.ownGrad = nil, nil
}

// Detach returns a leaf Var that shares v's value and requires no gradient.
func (v *Var) Detach() *Var { return &Var{Value: v.Value} }

// String describes v by its operation and shape.
func (v *Var) String() string {
	op := v.Op()
	if op == "" {
		op = "leaf"
	}
	return fmt.Sprintf("Var(%s %v, requiresGrad=%t)", op, v.Value.Shape(), v.requiresGrad)
}

var gradDisabled atomic.Bool

// GradEnabled reports whether operations record the graph.
func GradEnabled() bool { return !gradDisabled.Load() }

// SetGradEnabled turns graph recording on or off and returns the previous
// setting.
func SetGradEnabled(enabled bool) (previous bool) {
	return !gradDisabled.Swap(!enabled)
}

// NoGrad runs f with graph recording turned off, as for evaluation, and
// restores the previous setting afterwards.
func NoGrad(f func()) {
	prev := SetGradEnabled(false)
	defer SetGradEnabled(prev)
	f()
}

// record wraps the result of an operation. If recording is enabled and any
// input requires a gradient, the result remembers its inputs and the
// backward rule, which receives ∂out/∂result and must pass each input that
// requires a gradient its share through accumulate.
func record(op string, value *tensor.Tensor, inputs []*Var, backward func(grad *tensor.Tensor)) *Var {
	out := &Var{Value: value}
	if !GradEnabled() {
		out.transient = true
		for _, in := range inputs {
			if !in.transient && tensor.SameStorage(value, in.Value) {
				out.transient = false
				break
			}
		}
		return out
	}
	for _, in := range inputs {
		if in.requiresGrad {
			out.requiresGrad = true
			out.node = &node{op: op, inputs: inputs, backward: backward}
			break
		}
	}
	return out
}

// accumulate adds g to v's gradient if v requires one. The first
// contribution is kept without copying; it is copied before any in-place
// update, so g may alias other tensors (in practice, the gradient that the
// calling backward rule received) but must not be modified afterwards.
//
// During a backward pass, the pass's Releaser counts the Vars that hold
// each gradient, and a g that no Var holds is a fresh result of the
// calling rule, released once added into an existing gradient. A rule must
// therefore pass a fresh tensor to one accumulate call only, and not use
// it afterwards.
func (v *Var) accumulate(g *tensor.Tensor) {
	if !v.requiresGrad {
		return
	}
	if !tensor.SameShape(g.Shape(), v.Value.Shape()) {
		panic(fmt.Sprintf("autograd: %s: gradient of shape %v for a value of shape %v", v.Op(), g.Shape(), v.Value.Shape()))
	}
	r := v.rel
	switch {
	case v.Grad == nil:
		v.Grad, v.ownGrad = g, nil
		r.Hold(g)
	case v.Grad != v.ownGrad:
		old := v.Grad
		v.Grad = tensor.Add(old, g)
		v.ownGrad = v.Grad
		r.Hold(v.Grad)
		r.Drop(old)
		r.Release(g)
	default:
		tensor.AddInto(v.Grad, g)
		r.Release(g)
	}
}

// releasers recycles the Releasers of backward passes and graph releases,
// so that their maps are allocated once, not at every step.
var releasers = sync.Pool{New: func() any { return new(tensor.Releaser) }}

// Backward computes the gradient of v, which must hold a single element,
// with respect to every Var in its graph that requires a gradient, and
// accumulates it into their Grad fields.
func (v *Var) Backward() {
	if v.Value.Len() != 1 {
		panic(fmt.Sprintf("autograd: Backward: output of shape %v is not a scalar; use BackwardWith and an output gradient", v.Value.Shape()))
	}
	v.BackwardWith(tensor.Ones(v.Value.Shape()...))
}

// BackwardWith computes vector-Jacobian products: it accumulates
// Σᵢ grad[i]·∂v[i]/∂u into u.Grad for every Var u in v's graph that requires
// a gradient. grad must have v's shape.
func (v *Var) BackwardWith(grad *tensor.Tensor) {
	if !tensor.SameShape(grad.Shape(), v.Value.Shape()) {
		panic(fmt.Sprintf("autograd: Backward: output gradient of shape %v for an output of shape %v", grad.Shape(), v.Value.Shape()))
	}
	if !v.requiresGrad {
		panic("autograd: Backward: the output does not require a gradient: no input of its graph is a Param, or it was computed under NoGrad")
	}
	if v.node == nil {
		v.accumulate(grad) // a leaf: Backward of a Param adds grad to it
		return
	}
	order := topoOrder(v)
	r := releasers.Get().(*tensor.Releaser) // back to the pool at the end, not after a panic
	r.Keep(grad)                            // the caller's
	var kept []*Var                         // Vars that keep their gradient: leaves and retained ones
	for _, u := range order {
		u.rel = r
		if u.retainGrad {
			kept = append(kept, u)
		}
		for _, in := range u.node.inputs {
			if in.requiresGrad && in.node == nil && in.rel != r {
				in.rel = r
				kept = append(kept, in)
			}
		}
	}
	if v.retainGrad {
		v.accumulate(grad)
	} else {
		v.Grad, v.ownGrad = grad, nil
		r.Hold(grad)
	}
	for i := len(order) - 1; i >= 0; i-- {
		u := order[i]
		if u.Grad == nil {
			continue
		}
		u.node.backward(u.Grad)
		if !u.retainGrad {
			g := u.Grad
			u.Grad, u.ownGrad = nil, nil
			r.Drop(g)
		}
	}
	// A kept gradient computed during the pass that no other Var holds is
	// its Var's own: later passes add into it in place and ReleaseGrad
	// returns it to the pool.
	for _, u := range kept {
		if !r.Kept(u.Grad) && r.Holders(u.Grad) == 1 {
			u.ownGrad = u.Grad
		}
	}
	for _, u := range order {
		u.rel = nil
	}
	for _, u := range kept {
		u.rel = nil
	}
	r.Reset()
	releasers.Put(r)
}

// topoOrder returns the non-leaf Vars of v's graph that require a gradient,
// each after all of its inputs.
func topoOrder(v *Var) []*Var {
	var order []*Var
	visited := map[*Var]bool{}
	type frame struct {
		v    *Var
		next int
	}
	stack := []frame{{v: v}}
	visited[v] = true
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		if top.v.node == nil || top.next == len(top.v.node.inputs) {
			if top.v.node != nil {
				order = append(order, top.v)
			}
			stack = stack[:len(stack)-1]
			continue
		}
		in := top.v.node.inputs[top.next]
		top.next++
		if in.requiresGrad && !visited[in] {
			visited[in] = true
			stack = append(stack, frame{v: in})
		}
	}
	return order
}

// ReleaseGraph frees the graph that produced v, after Backward: it detaches
// every intermediate result from its inputs and returns the storage of
// intermediate values and gradients to the tensor buffer pool, so that the
// next step reuses it. Leaves, their gradients, v itself and every Var on
// which RetainGrad was called are kept intact; other intermediate Vars of
// the graph must not be used afterwards.
func (v *Var) ReleaseGraph() {
	order := topoOrder(v)
	r := releasers.Get().(*tensor.Releaser) // back to the pool at the end, not after a panic
	// Storage that must survive: leaves (which views such as reshapes may
	// share), the output and retained results.
	keep := func(u *Var) {
		r.Keep(u.Value)
		r.Keep(u.Grad)
	}
	keep(v)
	for _, u := range order {
		for _, in := range u.node.inputs {
			if in.node == nil || in.retainGrad {
				keep(in)
			}
		}
		if u.retainGrad {
			keep(u)
		}
	}
	for _, u := range order {
		if u == v || u.retainGrad {
			u.node = nil
			continue
		}
		r.ReleaseOnce(u.Value)
		r.ReleaseOnce(u.Grad)
		u.Value, u.Grad, u.node = nil, nil, nil
	}
	v.node = nil
	r.Reset()
	releasers.Put(r)
}
