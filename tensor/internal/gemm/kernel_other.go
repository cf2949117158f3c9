//go:build !amd64 || purego

package gemm

// simdConfigs lists the SIMD micro-kernels this CPU can run, best first:
// none without amd64 assembly.
func simdConfigs() []kernelConfig { return nil }

// packBAsm packs nothing: there is no assembly.
func packBAsm(dst []float32, nr int, trans bool, b []float32, ldb, p0, kc, j0, cols int) int {
	return 0
}

// packAAsm packs nothing: there is no assembly.
func packAAsm(panel []float32, mr int, a []float32, lda, kc int, alpha float32, room int) int {
	return 0
}

// packBRowsAsm packs nothing: there is no assembly.
func packBRowsAsm(dst []float32, nr int, b []float32, ldb, p0, kc, j0, np, pstride int) bool {
	return false
}

// dotSumAsm does nothing: there is no assembly.
func dotSumAsm(x, y []float32) (float32, bool) { return 0, false }

// packATAsm packs nothing: there is no assembly.
func packATAsm(panel []float32, mr int, a []float32, lda, kc int, alpha float32, room int) int {
	return 0
}
