//go:build !amd64 || purego

package gemm

// simdConfigs lists the SIMD micro-kernels this CPU can run, best first:
// none without amd64 assembly.
func simdConfigs() []kernelConfig { return nil }
