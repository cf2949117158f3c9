package autograd_test

import (
	"fmt"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/tensor"
)

// A tiny graph: y = Σ (w·x + b)² for a weight w, a bias b broadcast over
// the batch and a constant input x. Backward fills the gradients of the
// parameters: ∂y/∂w = Σ 2(w·x + b)·x and ∂y/∂b = Σ 2(w·x + b).
func ExampleVar_Backward() {
	x := autograd.Const(tensor.FromSlice([]float32{1, 2, 3}, 3))
	w := autograd.Param(tensor.Scalar(2))
	b := autograd.Param(tensor.Scalar(-1))

	z := autograd.Add(autograd.Mul(w, x), b) // [1 3 5]
	y := autograd.Sum(autograd.PowScalar(z, 2), false)
	y.Backward()

	fmt.Println("y =", y.Value.Item())
	fmt.Println("dy/dw =", w.Grad.Item())
	fmt.Println("dy/db =", b.Grad.Item())
	// Output:
	// y = 35
	// dy/dw = 44
	// dy/db = 18
}
