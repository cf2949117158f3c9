// Package tensor provides dense float32 N-dimensional arrays and the numeric
// kernels that operate on them: element-wise arithmetic with NumPy
// broadcasting, reductions, matrix multiplication, 2-D convolution with
// stride, padding, dilation and groups, pooling and batch normalization.
//
// A Tensor is a shape and a contiguous row-major []float32. Images use the
// NCHW layout (batch, channels, height, width), PyTorch's convention, so
// results compare directly with PyTorch's. Reshape shares the underlying
// data; every other operation returns a new tensor and leaves its inputs
// unchanged, unless its name ends in "Into" or its documentation says
// otherwise.
//
// The package computes values only; gradients are built from its kernels by
// package autograd. Kernels that autograd needs for backward passes, such as
// Conv2DGradInput or ReLUGrad, are exported here as plain functions.
//
// Invalid arguments that indicate a programming error, such as mismatched
// shapes, a negative size or groups that do not divide the channels, cause a
// panic whose message names the operation, the shapes involved and the rule
// that was broken, in the manner of gonum:
//
//	tensor: Add: shapes [2 3] and [4] are not broadcastable
package tensor
