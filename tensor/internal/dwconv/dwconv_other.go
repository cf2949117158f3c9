//go:build !amd64 || purego

package dwconv

var (
	tapsImpl          = tapsGeneric
	tapsStreamImpl    = tapsGeneric
	tapsVecImpl       = tapsVecGeneric
	gradTapsImpl      = gradTapsGeneric
	copyRowsImpl      = copyRowsGeneric
	deinterleave2Impl = deinterleave2Generic
	packC8Impl        = packC8Generic
	unpackC8Impl      = unpackC8Generic
)

// Kernel returns the name of the kernels in use.
func Kernel() string { return "generic" }
