// Package autograd implements define-by-run reverse-mode automatic
// differentiation over package tensor.
//
// A Var holds a tensor value, its gradient and the node of the graph that
// produced it. Every operation in this package computes its result with a
// tensor kernel and, when gradients are enabled and some input requires
// one, records a node whose backward rule is written next to the forward
// computation. Calling Backward on a result walks the recorded graph in
// reverse topological order and accumulates ∂result/∂v into v.Grad for every
// Var v that requires a gradient; a Var used several times receives the sum
// of the contributions.
//
//	x := autograd.Param(tensor.FromSlice([]float32{1, 2, 3}, 3))
//	y := autograd.Sum(autograd.Mul(x, x), false)
//	y.Backward()
//	// x.Grad holds 2·x = [2 4 6].
//
// Evaluation code runs inside NoGrad, which records nothing. After an
// optimizer step, ReleaseGraph returns the graph's intermediate buffers to
// the tensor package's pool so that the next step reuses them.
//
// CheckGrad compares every backward rule with central finite differences;
// each operation in the package has such a test.
//
// The grad-enabled switch is global, not per goroutine: build graphs from
// one goroutine at a time, or keep NoGrad regions out of concurrent training.
package autograd
