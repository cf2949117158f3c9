package nn

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestPyFloat(t *testing.T) {
	// Python's repr of the same floats.
	tests := []struct {
		v    float64
		want string
	}{
		{0, "0.0"}, {1, "1.0"}, {0.1, "0.1"}, {0.01, "0.01"}, {1e-3, "0.001"}, {1e-4, "0.0001"},
		{1e-5, "1e-05"}, {1.5e-7, "1.5e-07"}, {0.2, "0.2"}, {123456, "123456.0"}, {1234567, "1234567.0"},
		{1e15, "1000000000000000.0"}, {1e16, "1e+16"}, {1e20, "1e+20"}, {2.5e100, "2.5e+100"},
		{-0.5, "-0.5"}, {-1e-10, "-1e-10"}, {1.0 / 3, "0.3333333333333333"},
		{math.Inf(1), "inf"}, {math.Inf(-1), "-inf"}, {math.NaN(), "nan"},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, pyFloat(tc.v), "%v", tc.v)
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 3504872: "3,504,872", -12345: "-12,345"} {
		assert.Equal(t, want, thousands(n))
	}
}
