package safetensors_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"

	"github.com/autonl-go/autonl/safetensors"
)

// rawFile assembles a file from a header text and a data buffer, so that
// tests can state invalid files directly.
func rawFile(header string, buf []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(b, header...)
	return append(b, buf...)
}

func sampleTensors() []safetensors.Tensor {
	return []safetensors.Tensor{
		{Name: "w", Shape: []int{2, 3}, Data: []float32{1, -2, 3.5, 0, float32(math.Inf(1)), -0.25}},
		{Name: "b", Shape: []int{3}, Data: []float32{0.1, 0.2, 0.3}},
		{Name: "scalar", Shape: []int{}, Data: []float32{42}},
		{Name: "empty", Shape: []int{0, 4}, Data: []float32{}},
		{Name: "layer.0/ünïcode <&>", Shape: []int{1, 1, 2}, Data: []float32{float32(math.SmallestNonzeroFloat32), math.MaxFloat32}},
	}
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name     string
		tensors  []safetensors.Tensor
		metadata map[string]string
	}{
		{"no tensors", nil, nil},
		{"metadata only", nil, map[string]string{"format": "pt"}},
		{"tensors", sampleTensors(), nil},
		{"tensors and metadata", sampleTensors(), map[string]string{"case0": `{"stride":[2,1]}`, "a": "", "quote\"": "line\nbreak"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := safetensors.Encode(tc.tensors, tc.metadata)
			require.NoError(t, err)
			hlen := binary.LittleEndian.Uint64(b)
			require.Zero(t, hlen%8, "header length %d is not a multiple of 8", hlen)

			f, err := safetensors.Decode(b)
			require.NoError(t, err)
			require.Equal(t, tc.metadata, f.Metadata)
			require.Len(t, f.Names(), len(tc.tensors))
			require.IsNonDecreasing(t, f.Names())
			for _, want := range tc.tensors {
				info, ok := f.Info(want.Name)
				require.True(t, ok, want.Name)
				require.Equal(t, safetensors.F32, info.DType)
				require.Equal(t, want.Shape, info.Shape)
				require.Equal(t, 4*len(want.Data), info.End-info.Begin)

				data, shape, err := f.Float32(want.Name)
				require.NoError(t, err)
				require.Equal(t, want.Shape, shape)
				require.Equal(t, want.Data, data)
			}

			// Read and a second Encode agree.
			g, err := safetensors.Read(bytes.NewReader(b))
			require.NoError(t, err)
			require.Equal(t, f.Names(), g.Names())
			ts, err := g.Tensors()
			require.NoError(t, err)
			b2, err := safetensors.Encode(ts, g.Metadata)
			require.NoError(t, err)
			require.Equal(t, b, b2)
		})
	}
}

func TestWriteDeterministic(t *testing.T) {
	ts := sampleTensors()
	meta := map[string]string{"z": "1", "a": "2", "m": "3"}
	want, err := safetensors.Encode(ts, meta)
	require.NoError(t, err)
	// Reversed input order gives the same bytes.
	rev := make([]safetensors.Tensor, len(ts))
	for i, x := range ts {
		rev[len(ts)-1-i] = x
	}
	for range 3 {
		got, err := safetensors.Encode(rev, meta)
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
}

func TestWriteExactBytes(t *testing.T) {
	b, err := safetensors.Encode([]safetensors.Tensor{
		{Name: "y", Shape: []int{2}, Data: []float32{1, -2}},
		{Name: "x", Shape: []int{}, Data: []float32{0.5}},
	}, map[string]string{"k": "v"})
	require.NoError(t, err)
	header := `{"__metadata__":{"k":"v"},"x":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"y":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`
	header += strings.Repeat(" ", (8-len(header)%8)%8)
	want := rawFile(header, []byte{
		0x00, 0x00, 0x00, 0x3f, // 0.5
		0x00, 0x00, 0x80, 0x3f, // 1
		0x00, 0x00, 0x00, 0xc0, // -2
	})
	require.Equal(t, want, b)
}

func TestDecodeErrors(t *testing.T) {
	f32 := func(n int) []byte { return make([]byte, 4*n) }
	const ok = `"dtype":"F32","shape":[2],"data_offsets":[0,8]`
	for _, tc := range []struct {
		name string
		file []byte
		want string
	}{
		{"short file", []byte{1, 2, 3}, "file of 3 bytes is too short for the 8-byte header length"},
		{"header past end", rawFile(`{}`, nil)[:9], "header length 2 exceeds the 1 bytes that follow the length prefix"},
		{"absurd header", binary.LittleEndian.AppendUint64(nil, 1<<40), "header length 1099511627776 exceeds the limit of 100000000 bytes"},
		{"empty header", rawFile(``, nil), "header is not valid JSON: EOF"},
		{"invalid JSON", rawFile(`{"a": {"dtype": "F32",`, nil), "header is not valid JSON"},
		{"not an object", rawFile(`[1, 2]`, nil), `header is "[", want a JSON object`},
		{"trailing JSON", rawFile(`{} {}`, nil), `header is not valid JSON: unexpected "{" after the object`},
		{"invalid UTF-8", rawFile("{\"\xff\":1}", nil), "header is not valid UTF-8"},
		{"duplicate name", rawFile(`{"a":{`+ok+`},"a":{`+ok+`}}`, f32(2)), `tensor "a": name appears more than once in the header`},
		{"declaration not object", rawFile(`{"a":[1]}`, nil), `tensor "a": declaration is [1], want an object with dtype, shape and data_offsets`},
		{"wrong field type", rawFile(`{"a":{"dtype":5,"shape":[2],"data_offsets":[0,8]}}`, f32(2)), `tensor "a": field dtype is a JSON number, of the wrong type`},
		{"no dtype", rawFile(`{"a":{"shape":[2],"data_offsets":[0,8]}}`, f32(2)), `tensor "a": declaration has no dtype`},
		{"no shape", rawFile(`{"a":{"dtype":"F32","data_offsets":[0,8]}}`, f32(2)), `tensor "a": declaration has no shape`},
		{"no offsets", rawFile(`{"a":{"dtype":"F32","shape":[2]}}`, f32(2)), `tensor "a": declaration has no data_offsets`},
		{"unknown dtype", rawFile(`{"a":{"dtype":"F12","shape":[2],"data_offsets":[0,8]}}`, f32(2)), `tensor "a": unknown dtype "F12"`},
		{"negative dim", rawFile(`{"a":{"dtype":"F32","shape":[2,-3],"data_offsets":[0,8]}}`, f32(2)), `tensor "a": shape [2 -3] has negative dimension -3`},
		{"fractional dim", rawFile(`{"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}}`, f32(2)), `tensor "a": shape [2.5]: dimension 2.5 is not an integer`},
		{"huge shape", rawFile(`{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}`, f32(2)), `tensor "a": shape [4294967296 4294967296] is too large`},
		{"three offsets", rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4,8]}}`, f32(2)), `tensor "a": data_offsets [0 4 8] has 3 values, want 2`},
		{"negative offset", rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}}`, f32(2)), `tensor "a": data_offsets [-8 0]: -8 is not a non-negative integer`},
		{"begin after end", rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}`, f32(2)), `tensor "a": data_offsets [8 0]: begin is after end`},
		{"size mismatch", rawFile(`{"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,8]}}`, f32(2)), `tensor "a": data_offsets [0 8] hold 8 bytes, but shape [2 3] of F32 needs 24 (6 elements of 4 bytes)`},
		{"F16 size mismatch", rawFile(`{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,8]}}`, f32(2)), `tensor "a": data_offsets [0 8] hold 8 bytes, but shape [2] of F16 needs 4`},
		{"overlap", rawFile(`{"a":{`+ok+`},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, f32(3)), `tensor "b": data_offsets [4 12] overlap those of tensor "a", which end at 8`},
		{"gap", rawFile(`{"a":{`+ok+`},"b":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}}`, f32(4)), `tensor "b": data_offsets [12 16] leave a gap: bytes [8 12) of the data buffer belong to no tensor`},
		{"gap at start", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, f32(2)), `tensor "a": data_offsets [4 8] leave a gap: bytes [0 4)`},
		{"bytes left over", rawFile(`{"a":{`+ok+`}}`, f32(3)), `the last 4 bytes of the data buffer (from offset 8 of 12) belong to no tensor`},
		{"bytes without tensors", rawFile(`{}`, f32(1)), `the last 4 bytes of the data buffer (from offset 0 of 4) belong to no tensor`},
		{"truncated data", rawFile(`{"a":{`+ok+`}}`, f32(1)), `tensor "a": data_offsets [0 8] extend past the end of the data buffer, which holds 4 bytes (truncated file?)`},
		{"metadata not object", rawFile(`{"__metadata__":"x"}`, nil), `__metadata__: value is a string, want a JSON object`},
		{"metadata not string", rawFile(`{"__metadata__":{"k":3}}`, nil), `__metadata__: value of "k" is 3, want a string`},
		{"metadata null", rawFile(`{"__metadata__":{"k":null}}`, nil), `__metadata__: value of "k" is null, want a string`},
		{"metadata duplicate", rawFile(`{"__metadata__":{"k":"1","k":"2"}}`, nil), `__metadata__: key "k" appears more than once`},
		{"duplicate metadata", rawFile(`{"__metadata__":{},"__metadata__":{}}`, nil), `__metadata__: name appears more than once in the header`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.NotPanics(t, func() {
				f, err := safetensors.Decode(tc.file)
				require.Nil(t, f)
				require.Error(t, err)
				require.Contains(t, err.Error(), tc.want)
				require.True(t, strings.HasPrefix(err.Error(), "safetensors: "), err.Error())
				var se *safetensors.Error
				require.ErrorAs(t, err, &se)
				require.Empty(t, se.File)
			})
		})
	}
}

func TestErrorsNameTheFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.safetensors")
	require.NoError(t, os.WriteFile(path, rawFile(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}`, make([]byte, 8)), 0o644))
	_, err := safetensors.ReadFile(path)
	require.EqualError(t, err, "safetensors: "+path+`: tensor "a": data_offsets [0 12] extend past the end of the data buffer, which holds 8 bytes (truncated file?)`)
	var se *safetensors.Error
	require.ErrorAs(t, err, &se)
	require.Equal(t, path, se.File)
	require.Equal(t, "a", se.Key)

	missing := filepath.Join(dir, "missing.safetensors")
	_, err = safetensors.ReadFile(missing)
	require.ErrorContains(t, err, "safetensors: "+missing+": read failed")
	require.ErrorIs(t, err, os.ErrNotExist)

	// Errors after a successful read name the file too.
	good := filepath.Join(dir, "good.safetensors")
	require.NoError(t, safetensors.WriteFile(good, sampleTensors(), nil))
	f, err := safetensors.ReadFile(good)
	require.NoError(t, err)
	_, _, err = f.Float32("nope")
	require.EqualError(t, err, "safetensors: "+good+`: tensor "nope": no tensor of this name in the file`)
}

func TestReadError(t *testing.T) {
	boom := errors.New("boom")
	_, err := safetensors.Read(iotest.ErrReader(boom))
	require.ErrorIs(t, err, boom)
	require.EqualError(t, err, "safetensors: read failed: boom")

	_, err = safetensors.Read(iotest.HalfReader(bytes.NewReader(rawFile(`{}`, nil))))
	require.NoError(t, err)
}

// typed builds a one-tensor file of the given dtype from raw element bytes.
func typed(dtype string, shape string, data []byte) []byte {
	return rawFile(`{"t":{"dtype":"`+dtype+`","shape":`+shape+`,"data_offsets":[0,`+strconv.Itoa(len(data))+`]}}`, data)
}

func TestFloat32Conversion(t *testing.T) {
	u16 := func(vs ...uint16) []byte {
		var b []byte
		for _, v := range vs {
			b = binary.LittleEndian.AppendUint16(b, v)
		}
		return b
	}
	f64 := func(vs ...float64) []byte {
		var b []byte
		for _, v := range vs {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
		}
		return b
	}
	inf := float32(math.Inf(1))
	for _, tc := range []struct {
		name  string
		file  []byte
		shape []int
		want  []float32
	}{
		{"F16", typed("F16", "[2,5]", u16(0x3c00, 0xc000, 0x7bff, 0x0001, 0x0400, 0x3555, 0x8000, 0x7c00, 0xfc00, 0x03ff)), []int{2, 5},
			[]float32{1, -2, 65504, 5.9604645e-08, 6.1035156e-05, 0.33325195, float32(math.Copysign(0, -1)), inf, -inf, 6.097555e-05}},
		{"BF16", typed("BF16", "[5]", u16(0x3f80, 0xc000, 0x4049, 0x7f80, 0x0001)), []int{5},
			[]float32{1, -2, 3.140625, inf, 9.18355e-41}},
		{"F64", typed("F64", "[1,4]", f64(0.1, -1e300, 1e-50, 3)), []int{1, 4},
			[]float32{0.1, -inf, 0, 3}},
		{"F32", typed("F32", "[]", binary.LittleEndian.AppendUint32(nil, math.Float32bits(-7.5))), []int{}, []float32{-7.5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := safetensors.Decode(tc.file)
			require.NoError(t, err)
			got, shape, err := f.Float32("t")
			require.NoError(t, err)
			require.Equal(t, tc.shape, shape)
			require.Len(t, got, len(tc.want))
			for i := range got {
				// Compare bits, so that -0 and +0 differ.
				require.Equal(t, math.Float32bits(tc.want[i]), math.Float32bits(got[i]), "element %d: got %g, want %g", i, got[i], tc.want[i])
			}
		})
	}

	// NaNs stay NaN.
	require.True(t, math.IsNaN(float64(safetensors.Float16ToFloat32(0x7e00))))
	require.True(t, math.IsNaN(float64(safetensors.BFloat16ToFloat32(0xffc1))))

	// Every finite half converts exactly: check against float64 arithmetic.
	for h := range 1 << 16 {
		exp, mant := h>>10&0x1f, float64(h&0x3ff)
		if exp == 0x1f {
			continue
		}
		want := mant * math.Pow(2, -24)
		if exp > 0 {
			want = (1 + mant/1024) * math.Pow(2, float64(exp-15))
		}
		if h&0x8000 != 0 {
			want = -want
		}
		require.Equal(t, float32(want), safetensors.Float16ToFloat32(uint16(h)), "half %#04x", h)
	}
}

func TestFloat32RejectsOtherDTypes(t *testing.T) {
	for _, dtype := range []string{"I32", "U8", "BOOL", "I64", "F8_E4M3"} {
		size := safetensors.DType(dtype).Size()
		f, err := safetensors.Decode(typed(dtype, "[2]", make([]byte, 2*size)))
		require.NoError(t, err, dtype)
		info, ok := f.Info("t")
		require.True(t, ok)
		require.Equal(t, safetensors.DType(dtype), info.DType)
		_, _, err = f.Float32("t")
		require.EqualError(t, err, `safetensors: tensor "t": dtype `+dtype+` cannot be read as float32; Float32 converts only F32, F16, BF16 and F64`)
		_, err = f.Tensors()
		require.Error(t, err)
	}
	_, ok := (&safetensors.File{}).Info("x")
	require.False(t, ok)
}

func TestWriteErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		tensors []safetensors.Tensor
		want    string
	}{
		{"empty name", []safetensors.Tensor{{Name: "", Shape: []int{1}, Data: []float32{1}}}, "safetensors: cannot write a tensor with an empty name (shape [1])"},
		{"reserved name", []safetensors.Tensor{{Name: "__metadata__", Shape: []int{}, Data: []float32{1}}}, `safetensors: cannot write a tensor named "__metadata__": the name is reserved for metadata`},
		{"duplicate", []safetensors.Tensor{{Name: "a", Shape: []int{}, Data: []float32{1}}, {Name: "a", Shape: []int{}, Data: []float32{2}}}, `safetensors: tensor "a": cannot write two tensors of the same name`},
		{"negative dim", []safetensors.Tensor{{Name: "a", Shape: []int{-1, 2}, Data: nil}}, `safetensors: tensor "a": cannot write shape [-1 2] with a negative dimension`},
		{"size mismatch", []safetensors.Tensor{{Name: "a", Shape: []int{2, 3}, Data: make([]float32, 5)}}, `safetensors: tensor "a": cannot write 5 values as shape [2 3] of 6 elements`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			err := safetensors.Write(&b, tc.tensors, nil)
			require.EqualError(t, err, tc.want)
			require.Zero(t, b.Len(), "nothing is written on invalid input")
		})
	}

	boom := errors.New("disk full")
	err := safetensors.Write(failingWriter{boom}, sampleTensors(), nil)
	require.ErrorIs(t, err, boom)
	require.EqualError(t, err, "safetensors: write failed: disk full")
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	meta := map[string]string{"v": "1"}
	require.NoError(t, safetensors.WriteFile(path, sampleTensors(), meta))
	want, err := safetensors.Encode(sampleTensors(), meta)
	require.NoError(t, err)
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, want, got)
	st, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o644), st.Mode().Perm())

	// Overwriting replaces the content.
	one := []safetensors.Tensor{{Name: "x", Shape: []int{1}, Data: []float32{3}}}
	require.NoError(t, safetensors.WriteFile(path, one, nil))
	f, err := safetensors.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, []string{"x"}, f.Names())

	// Invalid tensors leave the existing file alone, and errors name it.
	err = safetensors.WriteFile(path, []safetensors.Tensor{{Name: "y", Shape: []int{2}}}, nil)
	require.EqualError(t, err, "safetensors: "+path+`: tensor "y": cannot write 0 values as shape [2] of 2 elements`)
	f, err = safetensors.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, []string{"x"}, f.Names())

	// A missing directory is reported.
	bad := filepath.Join(dir, "no", "such", "dir", "m.safetensors")
	err = safetensors.WriteFile(bad, one, nil)
	require.ErrorContains(t, err, "safetensors: "+bad+": cannot create temporary file")

	// Renaming onto a directory fails and leaves no temporary file.
	sub := filepath.Join(dir, "sub")
	require.NoError(t, os.MkdirAll(filepath.Join(sub, "child"), 0o755))
	err = safetensors.WriteFile(sub, one, nil)
	require.ErrorContains(t, err, "cannot rename the temporary file")

	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	require.ElementsMatch(t, []string{"m.safetensors", "sub"}, names, "no temporary files are left behind")
}
