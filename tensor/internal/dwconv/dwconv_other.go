//go:build !amd64 || purego

package dwconv

// variants lists the kernel sets this build runs: the pure-Go twins.
func variants() []variant { return []variant{genericVariant} }
