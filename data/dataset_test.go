package data

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMemory(t *testing.T) {
	m, err := NewMemoryBytes(1, 1, 2, []byte{0, 255, 51, 102}, []int{1, 0}, []string{"x", "y"})
	require.NoError(t, err)
	assert.Equal(t, 2, m.Len())
	c, h, w := m.Shape()
	assert.Equal(t, [3]int{1, 1, 2}, [3]int{c, h, w})
	assert.Equal(t, 2, len(m.Classes()))
	assert.Equal(t, []string{"x", "y"}, m.Classes())
	img, l := Get(m, 1)
	assert.Equal(t, 0, l)
	assert.InDeltaSlice(t, []float32{0.2, 0.4}, img, 1e-6)
	assert.Equal(t, 1, m.Label(0))
	assert.Equal(t, 2, ExampleSize(m))

	f := memDataset(t, 3, 2, 1, 1, 2)
	img, l = Get(f, 2)
	assert.Equal(t, []float32{2000, 2001}, img)
	assert.Equal(t, 0, l)

	assert.PanicsWithValue(t, "data: Memory.Example: index 2 out of range [0, 2)", func() { m.Example(2, make([]float32, 2)) })
	assert.PanicsWithValue(t, "data: Memory.Example: destination holds 3 values, want C·H·W = 2", func() { m.Example(0, make([]float32, 3)) })
}

func TestNewMemoryErrors(t *testing.T) {
	tests := []struct {
		name    string
		c, h, w int
		npix    int
		labels  []int
		classes []string
		want    string
	}{
		{"bad shape", 0, 1, 1, 0, nil, []string{"a"}, "image shape 0×1×1 is not positive"},
		{"no classes", 1, 1, 1, 1, []int{0}, nil, "no class names"},
		{"pixel count", 1, 2, 2, 7, []int{0, 0}, []string{"a"}, "7 pixel values for 2 images of 1×2×2, want 8"},
		{"label range", 1, 1, 1, 2, []int{0, 3}, []string{"a", "b"}, "label 3 of example 1 out of range [0, 2)"},
		{"negative label", 1, 1, 1, 1, []int{-1}, []string{"a"}, "label -1 of example 0 out of range [0, 1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewMemory(tt.c, tt.h, tt.w, make([]float32, tt.npix), tt.labels, tt.classes)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			_, err = NewMemoryBytes(tt.c, tt.h, tt.w, make([]byte, tt.npix), tt.labels, tt.classes)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestSubsetSplit(t *testing.T) {
	m := memDataset(t, 10, 1, 1, 1, 3)
	s := Subset(m, []int{7, 2})
	assert.Equal(t, 2, s.Len())
	assert.Equal(t, 3, len(s.Classes()))
	img, l := Get(s, 0)
	assert.Equal(t, []float32{7000}, img)
	assert.Equal(t, 1, l)
	assert.Panics(t, func() { Subset(m, []int{10}) })
	assert.Panics(t, func() { s.Example(2, img) })

	a, b := Split(m, 4, 9)
	a2, b2 := Split(m, 4, 9)
	assert.Equal(t, 4, a.Len())
	assert.Equal(t, 6, b.Len())
	seen := map[float32]bool{}
	for _, d := range []Dataset{a, b} {
		for i := range d.Len() {
			img, _ := Get(d, i)
			seen[img[0]] = true
		}
	}
	assert.Len(t, seen, 10, "a split covers every example once")
	for i := range a.Len() {
		x, _ := Get(a, i)
		y, _ := Get(a2, i)
		assert.Equal(t, x, y, "same seed, same split")
	}
	_ = b2
	a3, _ := Split(m, 4, 10)
	var same = true
	for i := range a.Len() {
		x, _ := Get(a, i)
		y, _ := Get(a3, i)
		same = same && x[0] == y[0]
	}
	assert.False(t, same, "another seed gives another split")
	assert.Panics(t, func() { Split(m, 11, 0) })
}

func TestChannelStats(t *testing.T) {
	// Two 2-channel images of 1×2 pixels: channel 0 holds 0,2 and 4,6;
	// channel 1 holds 1,1 and 1,1.
	m, err := NewMemory(2, 1, 2, []float32{0, 2, 1, 1, 4, 6, 1, 1}, []int{0, 0}, []string{"a"})
	require.NoError(t, err)
	tests := []struct {
		n         int
		mean, std []float32
	}{
		{0, []float32{3, 1}, []float32{2.236068, 0}},
		{1, []float32{1, 1}, []float32{1, 0}},
		{5, []float32{3, 1}, []float32{2.236068, 0}},
	}
	for _, tt := range tests {
		mean, std := ChannelStats(m, tt.n)
		assert.InDeltaSlice(t, tt.mean, mean, 1e-5, "n=%d", tt.n)
		assert.InDeltaSlice(t, tt.std, std, 1e-5, "n=%d", tt.n)
	}
}
