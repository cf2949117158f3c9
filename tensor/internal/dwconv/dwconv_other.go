//go:build !amd64 || purego

package dwconv

var (
	tapsImpl     = tapsGeneric
	gradTapsImpl = gradTapsGeneric
	copyRowsImpl = copyRowsGeneric
)

// Kernel returns the name of the kernels in use.
func Kernel() string { return "generic" }
