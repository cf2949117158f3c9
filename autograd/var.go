package autograd

import (
	"fmt"
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
	// ownGrad is the gradient tensor v owns exclusively, storage from the
	// tensor buffer pool that no other Var or caller refers to; Grad is
	// updated in place and returned to the pool by ReleaseGrad only when it
	// is ownGrad. Any other Grad may alias other tensors and is copied
	// before an update.
	ownGrad *tensor.Tensor
	node    *node
	pass    *pass // the backward pass in progress that v takes part in
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
// During a backward pass, a g that aliases no gradient of the pass is a
// fresh result of the calling rule: accumulate takes it over and returns
// its storage to the pool once added into an existing gradient. A rule must
// therefore pass a fresh tensor to one accumulate call only, and not use it
// afterwards.
func (v *Var) accumulate(g *tensor.Tensor) {
	if !v.requiresGrad {
		return
	}
	if !tensor.SameShape(g.Shape(), v.Value.Shape()) {
		panic(fmt.Sprintf("autograd: %s: gradient of shape %v for a value of shape %v", v.Op(), g.Shape(), v.Value.Shape()))
	}
	p := v.pass
	switch {
	case v.Grad == nil:
		v.Grad, v.ownGrad = g, nil
		p.hold(g)
	case v.Grad != v.ownGrad:
		old := v.Grad
		v.Grad = tensor.Add(old, g)
		v.ownGrad = v.Grad
		p.hold(v.Grad)
		p.drop(old)
		p.dropFresh(g)
	default:
		tensor.AddInto(v.Grad, g)
		p.dropFresh(g)
	}
}

// pass tracks the gradient storage of one backward pass, so that
// gradients are returned to the tensor buffer pool as soon as the last Var
// holding them is done with them. Storage is identified by its first
// element: gradients share storage only as whole tensors (reshaped views).
type pass struct {
	// refs counts, for storage that became a gradient during the pass, the
	// Vars of the pass whose Grad it is.
	refs map[*float32]int32
	// seed is the output gradient given by the caller, never released.
	seed *float32
}

// key returns the identity of t's storage, or nil if t is empty.
func key(t *tensor.Tensor) *float32 {
	if t == nil || t.Len() == 0 {
		return nil
	}
	return &t.Data()[0]
}

// hold records that a Var of the pass now holds t as its gradient.
func (p *pass) hold(t *tensor.Tensor) {
	if k := key(t); p != nil && k != nil {
		p.refs[k]++
	}
}

// drop records that a Var of the pass no longer holds its gradient t, and
// releases t's storage if no other one does.
func (p *pass) drop(t *tensor.Tensor) {
	k := key(t)
	if p == nil || k == nil {
		return
	}
	n, ok := p.refs[k]
	if !ok {
		return // storage from before the pass
	}
	if n > 1 {
		p.refs[k] = n - 1
		return
	}
	delete(p.refs, k)
	if k != p.seed {
		tensor.Release(t)
	}
}

// dropFresh releases g, a contribution that accumulate has added into an
// existing gradient, unless a Var of the pass holds it as its gradient (or
// it is the seed).
func (p *pass) dropFresh(g *tensor.Tensor) {
	k := key(g)
	if p == nil || k == nil || k == p.seed {
		return
	}
	if _, held := p.refs[k]; !held {
		tensor.Release(g)
	}
}

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
	p := &pass{refs: make(map[*float32]int32, 2*len(order)), seed: key(grad)}
	var kept []*Var // Vars that keep their gradient: leaves and retained ones
	for _, u := range order {
		u.pass = p
		if u.retainGrad {
			kept = append(kept, u)
		}
		for _, in := range u.node.inputs {
			if in.requiresGrad && in.node == nil && in.pass != p {
				in.pass = p
				kept = append(kept, in)
			}
		}
	}
	if v.retainGrad {
		v.accumulate(grad)
	} else {
		v.Grad, v.ownGrad = grad, nil
		p.hold(grad)
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
			p.drop(g)
		}
	}
	// A kept gradient computed during the pass that no other Var holds is
	// its Var's own: later passes add into it in place and ReleaseGrad
	// returns it to the pool.
	for _, u := range kept {
		if k := key(u.Grad); k != nil && k != p.seed && p.refs[k] == 1 {
			u.ownGrad = u.Grad
		}
	}
	for _, u := range order {
		u.pass = nil
	}
	for _, u := range kept {
		u.pass = nil
	}
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
	// Storage that must survive: leaves (which views such as reshapes may
	// share), the output and retained results.
	keep := map[*float32]bool{}
	protect := func(t *tensor.Tensor) {
		if t != nil && t.Len() > 0 {
			keep[&t.Data()[0]] = true
		}
	}
	protect(v.Value)
	protect(v.Grad)
	for _, u := range order {
		for _, in := range u.node.inputs {
			if in.node == nil || in.retainGrad {
				protect(in.Value)
				protect(in.Grad)
			}
		}
		if u.retainGrad {
			protect(u.Value)
			protect(u.Grad)
		}
	}
	released := map[*float32]bool{}
	free := func(t *tensor.Tensor) {
		if t == nil || t.Len() == 0 {
			return
		}
		p := &t.Data()[0]
		if keep[p] || released[p] {
			return
		}
		released[p] = true
		tensor.Release(t)
	}
	for _, u := range order {
		if u == v || u.retainGrad {
			u.node = nil
			continue
		}
		free(u.Value)
		free(u.Grad)
		u.Value, u.Grad, u.node = nil, nil, nil
	}
	v.node = nil
}
