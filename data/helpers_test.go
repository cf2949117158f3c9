package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// idxBytes encodes an unsigned-byte IDX file with the given dimensions.
func idxBytes(dims []int, data []byte) []byte {
	var b bytes.Buffer
	b.Write([]byte{0, 0, 0x08, byte(len(dims))})
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, uint32(d))
	}
	b.Write(data)
	return b.Bytes()
}

// gzipBytes compresses b.
func gzipBytes(b []byte) []byte {
	var out bytes.Buffer
	z := gzip.NewWriter(&out)
	z.Write(b)
	z.Close()
	return out.Bytes()
}

// writeFile writes b to dir/name and returns the path.
func writeFile(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, b, 0o644))
	return p
}

// seq returns n bytes start, start+1, ... (mod 256).
func seq(n int, start byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = start + byte(i)
	}
	return b
}

// memDataset returns an in-memory float dataset of n images of shape
// c×h×w whose pixel j of image i is i*1000+j, with labels i % classes.
func memDataset(t testing.TB, n, c, h, w, classes int) *Memory {
	t.Helper()
	size := c * h * w
	pix := make([]float32, n*size)
	labels := make([]int, n)
	for i := range n {
		for j := range size {
			pix[i*size+j] = float32(i*1000 + j)
		}
		labels[i] = i % classes
	}
	names := make([]string, classes)
	for k := range names {
		names[k] = string(rune('a' + k))
	}
	m, err := NewMemory(c, h, w, pix, labels, names)
	require.NoError(t, err)
	return m
}
