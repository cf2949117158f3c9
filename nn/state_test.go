package nn_test

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/safetensors"
)

// smallNet is conv → BN → SE → linear, with parameters and buffers at
// several depths.
func smallNet(seed uint64) *nn.Sequential {
	rng := newRNG(seed)
	return nn.NewSequential(
		nn.NewConv2d(rng, 3, 4, 3, nn.ConvConfig{Padding: 1}),
		nn.NewBatchNorm2d(4, nn.BatchNormConfig{}),
		nn.NewSqueezeExcite(rng, 4, 2, nil, nil),
		&nn.GlobalAvgPool2d{},
		&nn.Flatten{},
		nn.NewLinear(rng, 4, 3, true),
	)
}

func stateNames(ts []safetensors.Tensor) []string {
	var s []string
	for _, t := range ts {
		s = append(s, t.Name)
	}
	return s
}

func TestStateDict(t *testing.T) {
	m := smallNet(1)
	sd := nn.StateDict(m)
	// PyTorch's order: per module, parameters then buffers.
	assert.Equal(t, []string{
		"0.weight",
		"1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked",
		"2.fc1.weight", "2.fc1.bias", "2.fc2.weight", "2.fc2.bias",
		"5.weight", "5.bias",
	}, stateNames(sd))
	assert.Equal(t, []int{4, 3, 3, 3}, sd[0].Shape)
	assert.Empty(t, sd[5].Shape)
	// The tensors share the module's storage.
	sd[0].Data[0] = 42
	assert.Equal(t, float32(42), m.At(0).(*nn.Conv2d).Weight.Value.Data()[0])
}

func TestLoadStateDict(t *testing.T) {
	src, dst := smallNet(1), smallNet(2)
	res, err := nn.LoadStateDict(dst, nn.StateDict(src), true)
	require.NoError(t, err)
	assert.Empty(t, res.Missing)
	assert.Empty(t, res.Unexpected)
	assert.Equal(t, nn.StateDict(src), nn.StateDict(dst))
	// Loading copies: the storage stays the model's own.
	nn.StateDict(src)[0].Data[0] = 7
	assert.NotEqual(t, float32(7), nn.StateDict(dst)[0].Data[0])
}

// without returns ts without the named tensors, and with extra ones.
func without(ts []safetensors.Tensor, drop []string, extra ...safetensors.Tensor) []safetensors.Tensor {
	var out []safetensors.Tensor
	for _, t := range ts {
		keep := true
		for _, d := range drop {
			keep = keep && t.Name != d
		}
		if keep {
			out = append(out, safetensors.Tensor{Name: t.Name, Shape: t.Shape, Data: append([]float32(nil), t.Data...)})
		}
	}
	return append(out, extra...)
}

func TestLoadStateDictErrors(t *testing.T) {
	full := nn.StateDict(smallNet(1))
	extra := safetensors.Tensor{Name: "head.weight", Shape: []int{2}, Data: []float32{1, 2}}
	tests := []struct {
		name           string
		ts             []safetensors.Tensor
		strict         bool
		err            string // "" for none
		missing, unexp []string
	}{
		{"strict missing and unexpected", without(full, []string{"5.weight", "1.running_var"}, extra,
			safetensors.Tensor{Name: "a.b", Shape: []int{}, Data: []float32{0}}), true,
			`nn: load state dict: missing keys "1.running_var", "5.weight"; unexpected keys "a.b", "head.weight"`,
			[]string{"1.running_var", "5.weight"}, []string{"a.b", "head.weight"}},
		{"strict one unexpected", without(full, nil, extra), true,
			`nn: load state dict: unexpected key "head.weight"`, nil, []string{"head.weight"}},
		{"non-strict", without(full, []string{"5.weight", "1.running_var"}, extra), false,
			"", []string{"1.running_var", "5.weight"}, []string{"head.weight"}},
		{"shape mismatch", without(full, []string{"0.weight"},
			safetensors.Tensor{Name: "0.weight", Shape: []int{8, 3, 3, 3}, Data: make([]float32, 216)}), false,
			`nn: load state dict: shape mismatch for "0.weight": checkpoint [8 3 3 3], model [4 3 3 3]`, nil, nil},
		{"everything at once", without(full, []string{"0.weight", "5.bias", "5.weight"},
			safetensors.Tensor{Name: "0.weight", Shape: []int{8, 3, 3, 3}, Data: make([]float32, 216)},
			safetensors.Tensor{Name: "1.bias", Shape: []int{4}, Data: make([]float32, 4)},
			safetensors.Tensor{Name: "5.weight", Shape: []int{3, 4}, Data: make([]float32, 5)}, extra), true,
			`nn: load state dict: missing key "5.bias"; unexpected key "head.weight"; ` +
				`shape mismatch for "0.weight": checkpoint [8 3 3 3], model [4 3 3 3]; ` +
				`key "1.bias" appears more than once; tensor "5.weight": 5 values do not fill shape [3 4] of 12 elements`,
			[]string{"5.bias"}, []string{"head.weight"}},
		{"prefixed checkpoint", prefixed("module.", full), true, "", nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := smallNet(2)
			before := without(nn.StateDict(m), nil)
			res, err := nn.LoadStateDict(m, tc.ts, tc.strict)
			if tc.name == "prefixed checkpoint" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), `every missing key is present in the checkpoint under the prefix "module."`)
				assert.Len(t, res.Missing, len(full))
				return
			}
			assert.Equal(t, tc.missing, res.Missing)
			assert.Equal(t, tc.unexp, res.Unexpected)
			if tc.err == "" {
				require.NoError(t, err)
				// Loaded what matched, kept the rest.
				for i, ts := range nn.StateDict(m) {
					if ts.Name == "5.weight" || ts.Name == "1.running_var" {
						assert.Equal(t, before[i].Data, ts.Data, ts.Name)
					} else {
						assert.Equal(t, full[i].Data, ts.Data, ts.Name)
					}
				}
				return
			}
			require.EqualError(t, err, tc.err)
			var se *nn.StateDictError
			require.ErrorAs(t, err, &se)
			// On error, nothing was loaded.
			assert.Equal(t, before, without(nn.StateDict(m), nil))
		})
	}
}

func prefixed(p string, ts []safetensors.Tensor) []safetensors.Tensor {
	out := without(ts, nil)
	for i := range out {
		out[i].Name = p + out[i].Name
	}
	return out
}

func TestSaveLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	src := smallNet(1)
	src.At(1).(*nn.BatchNorm2d).NumBatchesTracked.Data()[0] = 5
	require.NoError(t, nn.Save(path, src, map[string]string{"epoch": "3"}))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file left behind")

	dst := smallNet(2)
	res, err := nn.Load(path, dst, true)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"epoch": "3"}, res.Metadata)
	assert.Equal(t, nn.StateDict(src), nn.StateDict(dst))

	// Errors name the file.
	_, err = nn.Load(filepath.Join(dir, "none.safetensors"), dst, true)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "nn: load state dict from "+filepath.Join(dir, "none.safetensors")+": ")
	assert.True(t, errors.Is(err, os.ErrNotExist))

	_, err = nn.Load(path, nn.NewSequential(nn.NewLinear(newRNG(1), 4, 3, true)), true)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "nn: load state dict from "+path+`: missing key "0.bias"; unexpected keys "1.bias", `)
	assert.Contains(t, err.Error(), `shape mismatch for "0.weight": checkpoint [4 3 3 3], model [3 4]`)

	bad := filepath.Join(dir, "bad.safetensors")
	require.NoError(t, os.WriteFile(bad, []byte("not a safetensors file"), 0o644))
	_, err = nn.Load(bad, dst, false)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "nn: load state dict from "+bad+": safetensors: ")

	err = nn.Save(filepath.Join(dir, "no", "such", "dir.safetensors"), src, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "nn: save state dict: safetensors: "+filepath.Join(dir, "no", "such", "dir.safetensors"))
}

// rawFile builds a safetensors file with the given header entries and data.
func rawFile(t *testing.T, header map[string]any, data []byte) []byte {
	h, err := json.Marshal(header)
	require.NoError(t, err)
	for len(h)%8 != 0 {
		h = append(h, ' ')
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
	return append(append(out, h...), data...)
}

func TestLoadIntegerAndOtherDTypes(t *testing.T) {
	dir := t.TempDir()
	bn := nn.NewBatchNorm2d(2, nn.BatchNormConfig{})
	f32 := func(vs ...float32) []byte {
		var b []byte
		for _, v := range vs {
			b = binary.LittleEndian.AppendUint32(b, mathFloat32bits(v))
		}
		return b
	}
	data := f32(1, 2, 3, 4, 5, 6, 7, 8)                          // weight, bias, running_mean, running_var
	data = binary.LittleEndian.AppendUint64(data, uint64(12345)) // num_batches_tracked, I64
	header := map[string]any{
		"weight":              map[string]any{"dtype": "F32", "shape": []int{2}, "data_offsets": []int{0, 8}},
		"bias":                map[string]any{"dtype": "F32", "shape": []int{2}, "data_offsets": []int{8, 16}},
		"running_mean":        map[string]any{"dtype": "F32", "shape": []int{2}, "data_offsets": []int{16, 24}},
		"running_var":         map[string]any{"dtype": "F32", "shape": []int{2}, "data_offsets": []int{24, 32}},
		"num_batches_tracked": map[string]any{"dtype": "I64", "shape": []int{}, "data_offsets": []int{32, 40}},
	}
	path := filepath.Join(dir, "torch.safetensors")
	require.NoError(t, os.WriteFile(path, rawFile(t, header, data), 0o644))
	_, err := nn.Load(path, bn, true)
	require.NoError(t, err)
	assert.Equal(t, []float32{1, 2}, bn.Weight.Value.Data())
	assert.Equal(t, []float32{7, 8}, bn.RunningVar.Data())
	assert.Equal(t, float32(12345), bn.NumBatchesTracked.Item())

	// A dtype that does not convert is an error naming file and key, but
	// only for a tensor the model uses.
	header["num_batches_tracked"] = map[string]any{"dtype": "F8_E5M2", "shape": []int{}, "data_offsets": []int{32, 33}}
	require.NoError(t, os.WriteFile(path, rawFile(t, header, data[:33]), 0o644))
	_, err = nn.Load(path, nn.NewBatchNorm2d(2, nn.BatchNormConfig{}), true)
	require.EqualError(t, err, "nn: load state dict from "+path+`: tensor "num_batches_tracked": dtype F8_E5M2 cannot be read as float32; Float32 converts only F32, F16, BF16 and F64`)
	header["extra"] = header["num_batches_tracked"]
	delete(header, "num_batches_tracked")
	require.NoError(t, os.WriteFile(path, rawFile(t, header, data[:33]), 0o644))
	res, err := nn.Load(path, nn.NewBatchNorm2d(2, nn.BatchNormConfig{}), false)
	require.NoError(t, err)
	assert.Equal(t, []string{"num_batches_tracked"}, res.Missing)
	assert.Equal(t, []string{"extra"}, res.Unexpected)
}

func mathFloat32bits(v float32) uint32 { return math.Float32bits(v) }
