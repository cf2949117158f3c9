//go:build !amd64 || purego

package cpuid

// Intel is false: the vendor is not read without assembly.
var Intel = false
