package nn

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/autonl-go/autonl/safetensors"
	"github.com/autonl-go/autonl/tensor"
)

// StateDict returns the state of m, its parameters and buffers, as named
// tensors in the order of PyTorch's state_dict: for each module, parents
// before children in registration order, its own parameters and then its
// own buffers, under dotted names such as "features.0.weight" or
// "features.1.running_mean".
//
// As in PyTorch, the tensors share storage with the module: their Data
// slices are the live parameters and buffers, so a later training step
// changes them. Clone the Data to keep a snapshot. Save writes them out
// without keeping references.
func StateDict(m Module) []safetensors.Tensor {
	var ts []safetensors.Tensor
	add := func(name string, t *tensor.Tensor) {
		ts = append(ts, safetensors.Tensor{Name: name, Shape: slices.Clone(t.Shape()), Data: t.Data()})
	}
	Walk(m, func(path string, m Module) {
		b := m.Registry()
		for _, p := range b.params {
			add(join(path, p.Name), p.Var.Value)
		}
		for _, bf := range b.buffers {
			add(join(path, bf.Name), bf.Tensor)
		}
	})
	return ts
}

// LoadResult reports what a non-strict load left out.
type LoadResult struct {
	// Missing lists, sorted, the keys of the model that the state dict
	// lacks; those parameters and buffers were left unchanged.
	Missing []string
	// Unexpected lists, sorted, the keys of the state dict that the model
	// lacks; they were ignored.
	Unexpected []string
	// Metadata is the file's metadata, for Load; nil for LoadStateDict.
	Metadata map[string]string
}

// ShapeMismatch is a key whose tensor has different shapes in the
// checkpoint and in the model.
type ShapeMismatch struct {
	Key               string
	Checkpoint, Model []int
}

// StateDictError reports every problem found by LoadStateDict or Load.
// When it is returned, the model has not been modified.
type StateDictError struct {
	// File is the checkpoint's path, or "" for LoadStateDict.
	File string
	// Missing and Unexpected list, sorted, the keys missing from the
	// checkpoint and those the model lacks; they are errors only in a
	// strict load, and left empty otherwise.
	Missing, Unexpected []string
	// Mismatched lists, sorted by key, the tensors whose shapes differ,
	// an error in strict and non-strict loads alike.
	Mismatched []ShapeMismatch
	// Invalid describes, sorted by key, tensors that cannot be used, such
	// as a repeated name, a data length that does not fill the shape or a
	// dtype that does not convert to float32.
	Invalid []string
	// Err is an error reading the file, which precedes all other checks.
	Err error
}

// Error lists every problem, as in
//
//	nn: load state dict from m.safetensors: missing keys "fc.bias", "fc.weight"; unexpected keys "head.weight"
//	nn: load state dict: shape mismatch for "features.0.weight": checkpoint [32 3 3 3], model [16 3 3 3]
func (e *StateDictError) Error() string {
	var b strings.Builder
	b.WriteString("nn: load state dict")
	if e.File != "" {
		b.WriteString(" from " + e.File)
	}
	b.WriteString(": ")
	if e.Err != nil {
		b.WriteString(e.Err.Error())
		return b.String()
	}
	var parts []string
	keys := func(what string, ks []string) {
		if len(ks) == 0 {
			return
		}
		q := make([]string, len(ks))
		for i, k := range ks {
			q[i] = strconv.Quote(k)
		}
		noun := what + " keys "
		if len(ks) == 1 {
			noun = what + " key "
		}
		parts = append(parts, noun+strings.Join(q, ", "))
	}
	keys("missing", e.Missing)
	keys("unexpected", e.Unexpected)
	if hint := prefixHint(e.Missing, e.Unexpected); hint != "" {
		parts = append(parts, hint)
	}
	for _, m := range e.Mismatched {
		parts = append(parts, fmt.Sprintf("shape mismatch for %q: checkpoint %v, model %v", m.Key, m.Checkpoint, m.Model))
	}
	parts = append(parts, e.Invalid...)
	b.WriteString(strings.Join(parts, "; "))
	return b.String()
}

// Unwrap returns the read error, if any.
func (e *StateDictError) Unwrap() error { return e.Err }

// prefixHint explains missing and unexpected keys that differ by one
// common prefix, as when a checkpoint was saved from a wrapper module.
func prefixHint(missing, unexpected []string) string {
	find := func(short, long []string) (string, bool) {
		if len(short) == 0 || len(long) == 0 {
			return "", false
		}
		set := map[string]bool{}
		for _, k := range long {
			set[k] = true
		}
		k0 := short[0]
		for _, u := range long {
			if !strings.HasSuffix(u, "."+k0) {
				continue
			}
			p := strings.TrimSuffix(u, k0)
			all := true
			for _, k := range short {
				if !set[p+k] {
					all = false
					break
				}
			}
			if all {
				return p, true
			}
		}
		return "", false
	}
	if p, ok := find(missing, unexpected); ok {
		return fmt.Sprintf("every missing key is present in the checkpoint under the prefix %q", p)
	}
	if p, ok := find(unexpected, missing); ok {
		return fmt.Sprintf("every unexpected key is a model key without its prefix %q", p)
	}
	return ""
}

// source is one tensor of a state dict to load, whose data is read on
// demand.
type source struct {
	name  string
	shape []int
	data  func() ([]float32, error)
}

// LoadStateDict copies the tensors ts into the parameters and buffers of m
// with the same names (see StateDict), as PyTorch's load_state_dict does.
//
// It first checks everything: the names, shapes and sizes of ts against
// the model. Shape mismatches and invalid tensors are always errors. With
// strict, keys of the model missing from ts and keys of ts unknown to the
// model are errors too; without it, the tensors that match are loaded and
// the others reported in the result. Every problem is reported in one
// *StateDictError, and when there is an error the model is left unchanged.
func LoadStateDict(m Module, ts []safetensors.Tensor, strict bool) (LoadResult, error) {
	srcs := make([]source, len(ts))
	for i, t := range ts {
		srcs[i] = source{name: t.Name, shape: t.Shape, data: func() ([]float32, error) {
			if n := tensor.NumElements(t.Shape); len(t.Data) != n {
				return nil, fmt.Errorf("%d values do not fill shape %v of %d elements", len(t.Data), t.Shape, n)
			}
			return t.Data, nil
		}}
	}
	return load(m, srcs, strict, "")
}

// load implements LoadStateDict and Load.
func load(m Module, srcs []source, strict bool, file string) (LoadResult, error) {
	e := &StateDictError{File: file}
	targets := map[string]*tensor.Tensor{}
	for _, t := range StateDict(m) {
		targets[t.Name] = tensor.FromSlice(t.Data, t.Shape...)
	}
	given := map[string]bool{}
	var use []source
	var unexpected []string
	for _, s := range srcs {
		if given[s.name] {
			e.Invalid = append(e.Invalid, fmt.Sprintf("key %q appears more than once", s.name))
			continue
		}
		given[s.name] = true
		t, ok := targets[s.name]
		switch {
		case !ok:
			unexpected = append(unexpected, s.name)
		case !tensor.SameShape(s.shape, t.Shape()):
			e.Mismatched = append(e.Mismatched, ShapeMismatch{Key: s.name, Checkpoint: slices.Clone(s.shape), Model: slices.Clone(t.Shape())})
		default:
			use = append(use, s)
		}
	}
	var missing []string
	for name := range targets {
		if !given[name] {
			missing = append(missing, name)
		}
	}
	slices.Sort(missing)
	slices.Sort(unexpected)
	slices.SortFunc(e.Mismatched, func(a, b ShapeMismatch) int { return strings.Compare(a.Key, b.Key) })
	if strict {
		e.Missing, e.Unexpected = missing, unexpected
	}
	data := make([][]float32, len(use))
	var invalid []string
	for i, s := range use {
		d, err := s.data()
		if err != nil {
			invalid = append(invalid, fmt.Sprintf("tensor %q: %v", s.name, err))
		}
		data[i] = d
	}
	slices.Sort(invalid)
	slices.Sort(e.Invalid)
	e.Invalid = append(e.Invalid, invalid...)
	if len(e.Missing)+len(e.Unexpected)+len(e.Mismatched)+len(e.Invalid) > 0 {
		return LoadResult{Missing: missing, Unexpected: unexpected}, e
	}
	for i, s := range use {
		copy(targets[s.name].Data(), data[i])
	}
	Unfreeze(m) // the frozen copies are of the old weights
	return LoadResult{Missing: missing, Unexpected: unexpected}, nil
}

// Save writes the state dict of m (StateDict) with the given metadata to a
// .safetensors file at path, atomically (safetensors.WriteFile): a reader
// sees the previous file or the complete new one. Every tensor is stored
// as F32, num_batches_tracked included; PyTorch's load_state_dict copies
// it into its int64 buffer. The file loads in PyTorch with
//
//	model.load_state_dict(safetensors.torch.load_file(path))
func Save(path string, m Module, metadata map[string]string) error {
	if err := safetensors.WriteFile(path, StateDict(m), metadata); err != nil {
		return fmt.Errorf("nn: save state dict: %w", err)
	}
	return nil
}

// Load reads the .safetensors file at path and loads it into m as
// LoadStateDict does; errors name the file. Besides F32, the file's tensors
// may be F16, BF16 or F64, and integer or bool tensors (such as the int64
// num_batches_tracked that PyTorch writes) are converted to float32. The
// result carries the file's metadata.
func Load(path string, m Module, strict bool) (LoadResult, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return LoadResult{}, &StateDictError{File: path, Err: err}
	}
	f, err := safetensors.Decode(b)
	if err != nil {
		return LoadResult{}, &StateDictError{File: path, Err: err}
	}
	// The data buffer follows the 8-byte header length and the header;
	// Decode has validated both.
	buf := b[8+binary.LittleEndian.Uint64(b):]
	names := f.Names()
	srcs := make([]source, len(names))
	for i, name := range names {
		info, _ := f.Info(name)
		srcs[i] = source{name: name, shape: info.Shape, data: func() ([]float32, error) {
			if d, ok := convertInts(info, buf[info.Begin:info.End]); ok {
				return d, nil
			}
			d, _, err := f.Float32(name)
			var se *safetensors.Error
			if errors.As(err, &se) {
				return nil, errors.New(se.Msg)
			}
			return d, err
		}}
	}
	res, err := load(m, srcs, strict, path)
	res.Metadata = f.Metadata
	return res, err
}

// convertInts converts the raw little-endian data of an integer or bool
// tensor to float32 and reports whether info's dtype is one of those.
// Integers beyond 2²⁴ in magnitude are rounded to the nearest float32.
func convertInts(info safetensors.Info, raw []byte) ([]float32, bool) {
	size := info.DType.Size()
	var get func(b []byte) float64
	le := binary.LittleEndian
	switch info.DType {
	case safetensors.Bool, safetensors.U8:
		get = func(b []byte) float64 { return float64(b[0]) }
	case safetensors.I8:
		get = func(b []byte) float64 { return float64(int8(b[0])) }
	case safetensors.I16:
		get = func(b []byte) float64 { return float64(int16(le.Uint16(b))) }
	case safetensors.U16:
		get = func(b []byte) float64 { return float64(le.Uint16(b)) }
	case safetensors.I32:
		get = func(b []byte) float64 { return float64(int32(le.Uint32(b))) }
	case safetensors.U32:
		get = func(b []byte) float64 { return float64(le.Uint32(b)) }
	case safetensors.I64:
		get = func(b []byte) float64 { return float64(int64(le.Uint64(b))) }
	case safetensors.U64:
		get = func(b []byte) float64 { return float64(le.Uint64(b)) }
	default:
		return nil, false
	}
	d := make([]float32, len(raw)/size)
	for i := range d {
		d[i] = float32(get(raw[i*size:]))
	}
	return d, true
}
