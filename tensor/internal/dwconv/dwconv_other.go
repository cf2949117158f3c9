//go:build !amd64 || purego

package dwconv

// variants lists the kernel sets this build runs: the pure-Go twins.
func variants() []variant { return []variant{genericVariant} }

// C16SmallKernels is false: there is no TapsC16 kernel.
func C16SmallKernels() bool { return false }
