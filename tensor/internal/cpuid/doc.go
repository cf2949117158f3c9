// Package cpuid reports facts about the CPU that golang.org/x/sys/cpu
// does not: its vendor. Kernels whose speed was measured on one vendor's
// cores (Intel's, where 512-bit shuffles share a port with the
// multiply-adds, and gathers are cheap) are chosen by it at run time.
package cpuid
