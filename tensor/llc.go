package tensor

import (
	"os"
	"strconv"
	"strings"
)

// streamFloor is the least output size from which kernels write with
// non-temporal stores: the size measured on AMD EPYC Zen 5 (32 MiB of L3
// per CCD), where streaming pays from 8 MiB on.
const streamFloor = 8 << 20

// streamThreshold returns the output size from which depthwise
// convolutions write with non-temporal stores: a quarter of the
// last-level cache of llc bytes, and at least streamFloor. Outputs that
// fit in a quarter of the last-level cache are still there when the next
// layer reads them, and streaming them to memory costs more than it saves
// (Intel Xeon, KVM, 480 MiB of L3 reported: 3×3 depthwise on 56×56 maps,
// C96 and C144, forward and input gradient, 46 GFLOP/s with streaming and
// 61 without, one thread; benchmarks/README.md, dw8). With llc 0 (not
// known), streamFloor.
func streamThreshold(llc int) int {
	return max(streamFloor, llc/4)
}

// llcBytes returns the size of the last-level cache of the CPU running
// the program, as Linux reports it (the highest level of cpu0's caches in
// /sys), or 0 if it is not known.
func llcBytes() int {
	const dir = "/sys/devices/system/cpu/cpu0/cache/"
	best, bestLevel := 0, 0
	for i := range 8 {
		idx := dir + "index" + strconv.Itoa(i) + "/"
		level, ok := readSysInt(idx + "level")
		if !ok {
			break
		}
		if typ, err := os.ReadFile(idx + "type"); err != nil || strings.TrimSpace(string(typ)) == "Instruction" {
			continue
		}
		size, ok := parseCacheSize(idx + "size")
		if ok && level >= bestLevel {
			best, bestLevel = size, level
		}
	}
	return best
}

// readSysInt reads a decimal integer from a sysfs file.
func readSysInt(path string) (int, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	v, err := strconv.Atoi(strings.TrimSpace(string(b)))
	return v, err == nil
}

// parseCacheSize reads a sysfs cache size such as "491520K" in bytes.
func parseCacheSize(path string) (int, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	return parseSize(strings.TrimSpace(string(b)))
}

// parseSize parses a size with an optional K, M or G suffix (powers of
// 1024) in bytes.
func parseSize(s string) (int, bool) {
	mul := 1
	switch {
	case strings.HasSuffix(s, "K"):
		mul, s = 1<<10, s[:len(s)-1]
	case strings.HasSuffix(s, "M"):
		mul, s = 1<<20, s[:len(s)-1]
	case strings.HasSuffix(s, "G"):
		mul, s = 1<<30, s[:len(s)-1]
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < 0 {
		return 0, false
	}
	return v * mul, true
}
