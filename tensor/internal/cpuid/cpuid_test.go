//go:build amd64 && !purego

package cpuid

import (
	"os"
	"strings"
	"testing"
)

// TestIntelMatchesProcCPUInfo checks Intel against the vendor_id line of
// /proc/cpuinfo, where there is one.
func TestIntelMatchesProcCPUInfo(t *testing.T) {
	info, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		t.Skip("no /proc/cpuinfo")
	}
	for line := range strings.Lines(string(info)) {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "vendor_id" {
			if want := strings.TrimSpace(v) == "GenuineIntel"; Intel != want {
				t.Fatalf("Intel = %v, /proc/cpuinfo vendor_id %q", Intel, strings.TrimSpace(v))
			}
			return
		}
	}
	t.Skip("no vendor_id in /proc/cpuinfo")
}
