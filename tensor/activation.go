package tensor

import (
	"fmt"
	"math"

	"github.com/autonl-go/autonl/tensor/internal/vec"
)

// The activation functions below return a tensor of t's shape. Their
// gradient kernels take the forward input x (or, where noted, the forward
// output y) and the upstream gradient dy of the same shape and return
// dx = f'(x)·dy, with PyTorch's choice of subgradient at kinks.

// Tanh returns tanh x element-wise.
func Tanh(t *Tensor) *Tensor {
	return unaryOpGrain(t, transGrain, func(dst, x []float32) {
		x = x[:len(dst)]
		for i := range dst {
			dst[i] = float32(math.Tanh(float64(x[i])))
		}
	})
}

// TanhGrad returns dy·(1 − y²), the gradient of tanh given its output
// y = tanh x.
func TanhGrad(y, dy *Tensor) *Tensor {
	return gradOp("TanhGrad", y, dy, func(dx, y, dy []float32) {
		y, dy = y[:len(dx)], dy[:len(dx)]
		for i := range dx {
			dx[i] = dy[i] * (1 - y[i]*y[i])
		}
	})
}

// Sigmoid returns σ(x) = 1 / (1 + e⁻ˣ) element-wise.
func Sigmoid(t *Tensor) *Tensor {
	return unaryOpGrain(t, transGrain, func(dst, x []float32) {
		x = x[:len(dst)]
		for i := range dst {
			dst[i] = float32(sigmoid(float64(x[i])))
		}
	})
}

// SigmoidFloat32 returns σ(x) = 1/(1 + e⁻ˣ) element-wise computed in
// float32 (vec.Sigmoid: within 4 units in the last place of σ where σ(x)
// exceeds 1e-30, and 0 where x < −88), where Sigmoid rounds the float64
// function: several times faster, within float32 rounding of Sigmoid's
// results, not bit for bit. It is inference's gate (nn.SqueezeExcite under
// NoGrad) and has no gradient.
func SigmoidFloat32(t *Tensor) *Tensor { return unaryOp(t, vec.Sigmoid) }

// SigmoidGrad returns dy·y·(1 − y), the gradient of σ given its output
// y = σ(x).
func SigmoidGrad(y, dy *Tensor) *Tensor {
	return gradOp("SigmoidGrad", y, dy, func(dx, y, dy []float32) {
		y, dy = y[:len(dx)], dy[:len(dx)]
		for i := range dx {
			dx[i] = dy[i] * y[i] * (1 - y[i])
		}
	})
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// ReLU returns max(x, 0) element-wise; NaN stays NaN.
func ReLU(t *Tensor) *Tensor {
	return unaryOp(t, func(dst, x []float32) { vec.Clamp(dst, x, 0, posInf) })
}

// ReLUGrad returns dy where x > 0 and 0 elsewhere (relu'(0) = 0).
func ReLUGrad(x, dy *Tensor) *Tensor {
	return gradOpUninit("ReLUGrad", x, dy, vec.PositiveMask)
}

// ReLU6 returns min(max(x, 0), 6) element-wise; NaN stays NaN.
func ReLU6(t *Tensor) *Tensor {
	return unaryOp(t, func(dst, x []float32) { vec.Clamp(dst, x, 0, 6) })
}

// ReLU6Grad returns dy where 0 < x < 6 and 0 elsewhere, including at
// x = 0 and x = 6.
func ReLU6Grad(x, dy *Tensor) *Tensor {
	return gradOpUninit("ReLU6Grad", x, dy, func(dx, x, dy []float32) { vec.ClampMask(dx, x, dy, 0, 6) })
}

func relu6(v float32) float32 {
	if v < 0 {
		return 0
	}
	if v > 6 {
		return 6
	}
	return v
}

// Swish returns x·σ(x) element-wise (also called SiLU).
func Swish(t *Tensor) *Tensor {
	return unaryOpGrain(t, transGrain, func(dst, x []float32) {
		x = x[:len(dst)]
		for i := range dst {
			v := float64(x[i])
			dst[i] = float32(v * sigmoid(v))
		}
	})
}

// SwishGrad returns dy·σ(x)·(1 + x·(1 − σ(x))), the gradient of x·σ(x).
func SwishGrad(x, dy *Tensor) *Tensor {
	return gradOp("SwishGrad", x, dy, func(dx, x, dy []float32) {
		x, dy = x[:len(dx)], dy[:len(dx)]
		for i := range dx {
			v := float64(x[i])
			s := sigmoid(v)
			dx[i] = float32(float64(dy[i]) * s * (1 + v*(1-s)))
		}
	})
}

// HardSwish returns x·relu6(x + 3)/6 element-wise.
func HardSwish(t *Tensor) *Tensor {
	return unaryOp(t, func(dst, x []float32) {
		x = x[:len(dst)]
		for i, v := range x {
			dst[i] = v * relu6(v+3) / 6
		}
	})
}

// HardSwishGrad returns the gradient of HardSwish as PyTorch computes it:
// 0 for x < −3, dy·(x/3 + 1/2) for −3 ≤ x ≤ 3 and dy for x > 3.
func HardSwishGrad(x, dy *Tensor) *Tensor {
	return gradOp("HardSwishGrad", x, dy, func(dx, x, dy []float32) {
		x, dy = x[:len(dx)], dy[:len(dx)]
		for i, v := range x {
			switch {
			case v < -3:
			case v <= 3:
				dx[i] = dy[i] * (v/3 + 0.5)
			default:
				dx[i] = dy[i]
			}
		}
	})
}

// HardSigmoid returns relu6(x + 3)/6 element-wise.
func HardSigmoid(t *Tensor) *Tensor {
	return unaryOp(t, func(dst, x []float32) {
		x = x[:len(dst)]
		for i, v := range x {
			dst[i] = relu6(v+3) / 6
		}
	})
}

// HardSigmoidGrad returns dy/6 where −3 < x < 3 and 0 elsewhere.
func HardSigmoidGrad(x, dy *Tensor) *Tensor {
	return gradOp("HardSigmoidGrad", x, dy, func(dx, x, dy []float32) {
		x, dy = x[:len(dx)], dy[:len(dx)]
		for i, v := range x {
			if v > -3 && v < 3 {
				dx[i] = dy[i] * (1.0 / 6)
			}
		}
	})
}

// Clamp returns min(max(x, lo), hi) element-wise; NaN stays NaN. It panics
// if lo > hi.
func Clamp(t *Tensor, lo, hi float32) *Tensor {
	if lo > hi {
		panic(fmt.Sprintf("tensor: Clamp: lower bound %v exceeds upper bound %v", lo, hi))
	}
	return unaryOp(t, func(dst, x []float32) { vec.Clamp(dst, x, lo, hi) })
}

// ClampGrad returns dy where lo ≤ x ≤ hi and 0 elsewhere; the bounds
// themselves pass the gradient, as in PyTorch.
func ClampGrad(x, dy *Tensor, lo, hi float32) *Tensor {
	return gradOp("ClampGrad", x, dy, func(dx, x, dy []float32) {
		x, dy = x[:len(dx)], dy[:len(dx)]
		for i, v := range x {
			if v >= lo && v <= hi {
				dx[i] = dy[i]
			}
		}
	})
}
