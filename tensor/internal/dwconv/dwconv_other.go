//go:build !amd64 || purego

package dwconv

var (
	tapsImpl          = tapsGeneric
	gradTapsImpl      = gradTapsGeneric
	copyRowsImpl      = copyRowsGeneric
	deinterleave2Impl = deinterleave2Generic
)

// Kernel returns the name of the kernels in use.
func Kernel() string { return "generic" }
