package testref

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/autonl-go/autonl/safetensors"
	"github.com/autonl-go/autonl/tensor"
)

// TestFilesRoundTrip checks that every reference file decodes and that Go's
// writer reproduces the bytes of gen.py's writer, so both follow the same
// layout.
func TestFilesRoundTrip(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(TestdataDir(t), "*.safetensors"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(paths), 8)
	for _, path := range paths {
		raw, err := os.ReadFile(path)
		require.NoError(t, err)
		f, err := safetensors.Decode(raw)
		require.NoError(t, err, path)
		// Every file names its generator, a script in testdata/gen.
		gen := f.Metadata["generator"]
		require.True(t, strings.HasPrefix(gen, "testdata/gen/") && strings.HasSuffix(gen, ".py"), "%s: generator %q", path, gen)
		require.FileExists(t, filepath.Join(filepath.Dir(TestdataDir(t)), gen), path)
		if !allF32(f) {
			// nn_state.safetensors stores num_batches_tracked as I64,
			// as PyTorch does; Tensors reads only floats.
			continue
		}
		ts, err := f.Tensors()
		require.NoError(t, err)
		again, err := safetensors.Encode(ts, f.Metadata)
		require.NoError(t, err)
		require.True(t, bytes.Equal(raw, again), "%s: Go's encoding differs from gen.py's", path)
	}
}

// allF32 reports whether every tensor of f is F32.
func allF32(f *safetensors.File) bool {
	for _, name := range f.Names() {
		if info, _ := f.Info(name); info.DType != safetensors.F32 {
			return false
		}
	}
	return true
}

func TestLoad(t *testing.T) {
	f := Load(t, "conv2d.safetensors")
	cases := f.Cases("case")
	require.Greater(t, len(cases), 100)
	require.Equal(t, "case000", cases[0])
	c := f.Case(t, cases[0])
	var p struct {
		Stride, Padding, Dilation [2]int
		Groups                    int
	}
	c.Params(&p)
	require.Equal(t, [2]int{1, 1}, p.Stride)
	require.Equal(t, 1, p.Groups)
	x := c.Tensor("x")
	require.Equal(t, []int{2, 4, 11, 9}, x.Shape())
	require.True(t, c.Has("dw"))
	require.False(t, c.Has("nope"))

	labels := Load(t, "softmax.safetensors").Case(t, "ce000").Ints("labels")
	require.Len(t, labels, 6)
	for _, l := range labels {
		require.True(t, l >= 0 && l < 5)
	}
}

func TestChecker(t *testing.T) {
	c := NewChecker(t, "self-test")
	want := tensor.FromSlice([]float32{1, -100, 3}, 3)
	rel := c.Check(t, "case0", "y", tensor.FromSlice([]float32{1.001, -100, 3}, 3), want)
	require.InDelta(t, 1e-5, rel, 1e-7)
	require.Equal(t, "case0", c.worst["y"].at)
	c.Check(t, "case1", "y", want, want)
	require.Equal(t, "case0", c.worst["y"].at, "the worst case is kept")
	require.Equal(t, []int{1, 1, 1}, unravel(1*8+1*4+1, []int{3, 2, 4}))
}

func TestOutputMetadata(t *testing.T) {
	y := tensor.FromSlice([]float32{1.5, -2, 0.1}, 1, 3)
	assert.Equal(t, map[string]string{
		"eval_output":       "[1.5,-2,0.1]",
		"eval_output_shape": "[1,3]",
		"input":             "testdata/x.safetensors: case/x",
	}, OutputMetadata(y, "testdata/x.safetensors: case/x"))
}

func TestFileRun(t *testing.T) {
	f := Load(t, "softmax.safetensors")
	var seen []string
	f.Run(t, "ce", "run", func(t *testing.T, c *Case, chk *Checker) {
		require.Equal(t, c.Name, t.Name()[len(t.Name())-len(c.Name):], "the subtest is named after the case")
		require.NotNil(t, chk)
		seen = append(seen, c.Name)
	})
	require.Equal(t, f.Cases("ce"), seen)
}
