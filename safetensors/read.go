package safetensors

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"unicode/utf8"
)

// File is a decoded safetensors file: its metadata and the declarations and
// bytes of its tensors.
//
// A File is immutable and safe for concurrent use. A File made by Decode
// refers to the slice it was given, which must not be modified while the
// File is in use.
type File struct {
	// Metadata holds the header's "__metadata__" entries, or is nil if the
	// header has none.
	Metadata map[string]string

	path  string          // file path for errors, or ""
	infos map[string]Info // by tensor name
	names []string        // sorted
	buf   []byte          // the data buffer
}

// Decode parses a complete safetensors file held in b, validating the
// header and the layout of the data buffer. The returned File shares b.
func Decode(b []byte) (*File, error) { return decode(b, "") }

// Read reads a complete safetensors file from r until EOF and decodes it.
func Read(r io.Reader) (*File, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, &Error{Msg: "read failed", Err: err}
	}
	return decode(b, "")
}

// ReadFile reads and decodes the safetensors file at path. Errors name the
// file.
func ReadFile(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{File: path, Msg: "read failed", Err: err}
	}
	return decode(b, path)
}

func decode(b []byte, path string) (*File, error) {
	f, err := parse(b)
	if err != nil {
		return nil, withFile(err, path)
	}
	f.path = path
	return f, nil
}

// Names returns the names of the file's tensors in sorted order.
func (f *File) Names() []string { return slices.Clone(f.names) }

// Info returns the declaration of the named tensor, and whether the file
// has a tensor of that name.
func (f *File) Info(name string) (Info, bool) {
	info, ok := f.infos[name]
	info.Shape = slices.Clone(info.Shape)
	return info, ok
}

// Float32 returns the elements and shape of the named tensor, converting
// F16, BF16 and F64 data to float32 (F64 values are rounded to nearest;
// F16 and BF16 convert exactly). Other dtypes are an error. The returned
// slices are new and belong to the caller.
func (f *File) Float32(name string) (data []float32, shape []int, err error) {
	info, ok := f.infos[name]
	if !ok {
		return nil, nil, &Error{File: f.path, Key: name, Msg: "no tensor of this name in the file"}
	}
	raw := f.buf[info.Begin:info.End]
	switch info.DType {
	case F32:
		data = make([]float32, len(raw)/4)
		for i := range data {
			data[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
	case F16:
		data = make([]float32, len(raw)/2)
		for i := range data {
			data[i] = Float16ToFloat32(binary.LittleEndian.Uint16(raw[2*i:]))
		}
	case BF16:
		data = make([]float32, len(raw)/2)
		for i := range data {
			data[i] = BFloat16ToFloat32(binary.LittleEndian.Uint16(raw[2*i:]))
		}
	case F64:
		data = make([]float32, len(raw)/8)
		for i := range data {
			data[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:])))
		}
	default:
		return nil, nil, &Error{File: f.path, Key: name,
			Msg: fmt.Sprintf("dtype %s cannot be read as float32; Float32 converts only F32, F16, BF16 and F64", info.DType)}
	}
	return data, slices.Clone(info.Shape), nil
}

// Tensor returns the named tensor as float32, as Float32 does.
func (f *File) Tensor(name string) (Tensor, error) {
	data, shape, err := f.Float32(name)
	if err != nil {
		return Tensor{}, err
	}
	return Tensor{Name: name, Shape: shape, Data: data}, nil
}

// Tensors returns every tensor of the file as float32, in sorted order of
// names. It fails if any tensor has a dtype that Float32 does not convert.
func (f *File) Tensors() ([]Tensor, error) {
	ts := make([]Tensor, 0, len(f.names))
	for _, name := range f.names {
		t, err := f.Tensor(name)
		if err != nil {
			return nil, err
		}
		ts = append(ts, t)
	}
	return ts, nil
}

// parse decodes and validates a whole file. Errors carry no file name.
func parse(b []byte) (*File, error) {
	if len(b) < 8 {
		return nil, errorf("", "file of %d bytes is too short for the 8-byte header length", len(b))
	}
	n := binary.LittleEndian.Uint64(b)
	rest := uint64(len(b) - 8)
	switch {
	case n > MaxHeaderSize:
		return nil, errorf("", "header length %d exceeds the limit of %d bytes (corrupt length prefix, or not a safetensors file)", n, MaxHeaderSize)
	case n > rest:
		return nil, errorf("", "header length %d exceeds the %d bytes that follow the length prefix (truncated file?)", n, rest)
	}
	header, buf := b[8:8+n], b[8+n:]
	if !utf8.Valid(header) {
		return nil, errorf("", "header is not valid UTF-8")
	}
	entries, err := parseObject(header, "")
	if err != nil {
		return nil, err
	}
	f := &File{infos: make(map[string]Info, len(entries)), buf: buf}
	for _, e := range entries {
		if e.key == metadataKey {
			if f.Metadata, err = parseMetadata(e.value); err != nil {
				return nil, err
			}
			continue
		}
		info, err := parseInfo(e.key, e.value)
		if err != nil {
			return nil, err
		}
		f.infos[e.key] = info
		f.names = append(f.names, e.key)
	}
	slices.Sort(f.names)
	if err := checkLayout(f.infos, len(buf)); err != nil {
		return nil, err
	}
	return f, nil
}

type entry struct {
	key   string
	value json.RawMessage
}

// parseObject splits a JSON object into its entries in order, rejecting
// duplicate keys (which encoding/json would silently merge) and trailing
// data. key names the object in errors ("" for the header).
func parseObject(data []byte, key string) ([]entry, error) {
	what := "header"
	if key != "" {
		what = "value"
	}
	invalid := func(err error) error {
		return &Error{Key: key, Msg: what + " is not valid JSON", Err: err}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, invalid(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errorf(key, "%s is %s, want a JSON object", what, describe(tok))
	}
	var entries []entry
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, invalid(err)
		}
		k, _ := tok.(string) // the decoder only yields string keys
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, invalid(err)
		}
		if seen[k] {
			if key == "" {
				return nil, errorf(k, "name appears more than once in the header")
			}
			return nil, errorf(key, "key %q appears more than once", k)
		}
		seen[k] = true
		entries = append(entries, entry{k, v})
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, invalid(err)
	}
	if tok, err := dec.Token(); err != io.EOF {
		if err == nil {
			err = fmt.Errorf("unexpected %s after the object", describe(tok))
		}
		return nil, invalid(err)
	}
	return entries, nil
}

// describe names the kind of a JSON token for error messages.
func describe(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		return strconv.Quote(v.String())
	case string:
		return "a string"
	case float64, json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", tok)
}

func parseMetadata(raw json.RawMessage) (map[string]string, error) {
	entries, err := parseObject(raw, metadataKey)
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(entries))
	for _, e := range entries {
		var s string
		if !bytes.HasPrefix(e.value, []byte(`"`)) || json.Unmarshal(e.value, &s) != nil {
			return nil, errorf(metadataKey, "value of %q is %s, want a string", e.key, clip(e.value))
		}
		m[e.key] = s
	}
	return m, nil
}

// clip shortens raw JSON for an error message.
func clip(raw []byte) string {
	const max = 40
	if len(raw) > max {
		return string(raw[:max]) + "…"
	}
	return string(raw)
}

// parseInfo decodes and checks one tensor declaration.
func parseInfo(name string, raw json.RawMessage) (Info, error) {
	if !bytes.HasPrefix(raw, []byte("{")) {
		return Info{}, errorf(name, "declaration is %s, want an object with dtype, shape and data_offsets", clip(raw))
	}
	var decl struct {
		DType       *string        `json:"dtype"`
		Shape       *[]json.Number `json:"shape"`
		DataOffsets *[]json.Number `json:"data_offsets"`
	}
	if err := json.Unmarshal(raw, &decl); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return Info{}, errorf(name, "field %s is a JSON %s, of the wrong type", te.Field, te.Value)
		}
		return Info{}, &Error{Key: name, Msg: "invalid declaration", Err: err}
	}
	switch {
	case decl.DType == nil:
		return Info{}, errorf(name, "declaration has no dtype")
	case decl.Shape == nil:
		return Info{}, errorf(name, "declaration has no shape")
	case decl.DataOffsets == nil:
		return Info{}, errorf(name, "declaration has no data_offsets")
	}
	info := Info{Name: name, DType: DType(*decl.DType)}
	size := info.DType.Size()
	if size == 0 {
		return Info{}, errorf(name, "unknown dtype %q", *decl.DType)
	}

	info.Shape = make([]int, len(*decl.Shape))
	zero := false
	for i, d := range *decl.Shape {
		v, err := strconv.Atoi(d.String())
		switch {
		case err != nil:
			return Info{}, errorf(name, "shape %v: dimension %s is not an integer that fits in an int", *decl.Shape, d)
		case v < 0:
			return Info{}, errorf(name, "shape %v has negative dimension %d", *decl.Shape, v)
		}
		info.Shape[i] = v
		zero = zero || v == 0
	}
	elems := 1
	if zero {
		elems = 0
	}
	for _, d := range info.Shape {
		if elems == 0 {
			break
		}
		if d > math.MaxInt/size/elems {
			return Info{}, errorf(name, "shape %v is too large", info.Shape)
		}
		elems *= d
	}

	offs := *decl.DataOffsets
	if len(offs) != 2 {
		return Info{}, errorf(name, "data_offsets %v has %d values, want 2 ([begin, end])", offs, len(offs))
	}
	var be [2]int
	for i, o := range offs {
		v, err := strconv.Atoi(o.String())
		if err != nil || v < 0 {
			return Info{}, errorf(name, "data_offsets %v: %s is not a non-negative integer that fits in an int", offs, o)
		}
		be[i] = v
	}
	info.Begin, info.End = be[0], be[1]
	if info.Begin > info.End {
		return Info{}, errorf(name, "data_offsets [%d %d]: begin is after end", info.Begin, info.End)
	}
	if got, want := info.End-info.Begin, elems*size; got != want {
		return Info{}, errorf(name, "data_offsets [%d %d] hold %d bytes, but shape %v of %s needs %d (%d elements of %d bytes)",
			info.Begin, info.End, got, info.Shape, info.DType, want, elems, size)
	}
	return info, nil
}

// checkLayout checks that the tensors' byte ranges tile the data buffer of
// n bytes exactly.
func checkLayout(infos map[string]Info, n int) error {
	sorted := make([]Info, 0, len(infos))
	for _, info := range infos {
		sorted = append(sorted, info)
	}
	slices.SortFunc(sorted, func(a, b Info) int {
		return cmp.Or(cmp.Compare(a.Begin, b.Begin), cmp.Compare(a.End, b.End), cmp.Compare(a.Name, b.Name))
	})
	pos := 0
	prev := ""
	for _, info := range sorted {
		switch {
		case info.Begin < pos:
			return errorf(info.Name, "data_offsets [%d %d] overlap those of tensor %q, which end at %d",
				info.Begin, info.End, prev, pos)
		case info.Begin > pos:
			return errorf(info.Name, "data_offsets [%d %d] leave a gap: bytes [%d %d) of the data buffer belong to no tensor",
				info.Begin, info.End, pos, info.Begin)
		}
		if info.End > n {
			return errorf(info.Name, "data_offsets [%d %d] extend past the end of the data buffer, which holds %d bytes (truncated file?)",
				info.Begin, info.End, n)
		}
		pos, prev = info.End, info.Name
	}
	if pos < n {
		return errorf("", "the last %d bytes of the data buffer (from offset %d of %d) belong to no tensor", n-pos, pos, n)
	}
	return nil
}
