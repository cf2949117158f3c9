package tensor

import "testing"

func TestStreamThreshold(t *testing.T) {
	for _, c := range []struct{ llc, want int }{
		{0, 8 << 20}, {32 << 20, 8 << 20}, {16 << 20, 8 << 20}, {480 << 20, 120 << 20},
	} {
		if got := streamThreshold(c.llc); got != c.want {
			t.Errorf("streamThreshold(%d) = %d, want %d", c.llc, got, c.want)
		}
	}
	for _, c := range []struct {
		s    string
		want int
		ok   bool
	}{{"491520K", 491520 << 10, true}, {"32M", 32 << 20, true}, {"1G", 1 << 30, true}, {"512", 512, true}, {"x", 0, false}, {"-1K", 0, false}} {
		if got, ok := parseSize(c.s); got != c.want || ok != c.ok {
			t.Errorf("parseSize(%q) = %d, %v, want %d, %v", c.s, got, ok, c.want, c.ok)
		}
	}
	t.Logf("last-level cache %d bytes, depthwise streaming from %d bytes", llcBytes(), dwStreamBytes)
}
