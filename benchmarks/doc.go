// Package benchmarks holds the performance benchmarks of autonl's dense
// kernels; it contains no library code.
//
// Every benchmark reports its arithmetic rate as a custom "GFLOP/s" metric,
// counting 2·M·N·K floating-point operations for a product of an M×K and a
// K×N matrix; a convolution counts as the product it is equivalent to,
// M = Cout, K = (C/groups)·kh·kw and N = Ho·Wo per image and group. Shapes
// are square matrices and the layers of MobileNetV2 at 224×224 input
// (batch 1): its 1×1 convolutions as matrix products Cout×Cin·Cin×HW, a
// dense 3×3 convolution, its depthwise 3×3 convolutions at stride 1 and 2,
// and a 1×1 convolution through Conv2D.
//
// Run them with, for example,
//
//	go test ./benchmarks -run '^$' -bench . -benchtime 3x
//
// On a shared machine, compare results only between runs made under the
// same load.
package benchmarks
