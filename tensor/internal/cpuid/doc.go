// Package cpuid reports what golang.org/x/sys/cpu does not: the CPU's
// vendor. Kernels that were measured faster on one vendor's cores only
// are chosen by it at run time: dwconv's TapsC16 for 3×3 kernels on 7×7
// maps, and gemm's direct kernel for the 1×1 convolutions of 7×7 maps,
// both on Intel.
package cpuid
