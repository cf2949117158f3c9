//go:build amd64 && !purego

package cpuid

//go:generate go run ../asmgen -kind cpuid -out cpuid_amd64.s

// cpuVendor returns the vendor string of CPUID leaf 0 (see cpuVendor in
// ../asmgen).
func cpuVendor() (ebx, edx, ecx uint32)

// Intel reports whether the CPU is an Intel one ("GenuineIntel").
var Intel = func() bool {
	b, d, c := cpuVendor()
	return b == 0x756e6547 && d == 0x49656e69 && c == 0x6c65746e
}()
