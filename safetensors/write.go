package safetensors

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Encode returns the safetensors encoding of tensors and metadata, as
// Write writes it.
func Encode(tensors []Tensor, metadata map[string]string) ([]byte, error) {
	var b bytes.Buffer
	if err := Write(&b, tensors, metadata); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Write writes tensors and metadata to w in the safetensors format, every
// tensor as F32 (little-endian float32).
//
// The output is deterministic: header entries and data are ordered by
// tensor name, metadata keys are sorted, and the header is padded with
// spaces to a multiple of 8 bytes so that the data is aligned. Empty
// metadata is omitted from the header. The order of tensors does not
// matter; their names must be distinct and non-empty, must not be
// "__metadata__", and each Data must hold exactly the product of its
// Shape, whose dimensions must be non-negative. Write checks all of this
// before writing anything.
func Write(w io.Writer, tensors []Tensor, metadata map[string]string) error {
	header, sorted, err := encodeHeader(tensors, metadata)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	var prefix [8]byte
	binary.LittleEndian.PutUint64(prefix[:], uint64(len(header)))
	bw.Write(prefix[:])
	bw.Write(header)
	chunk := make([]byte, 0, 16<<10)
	for _, t := range sorted {
		for _, v := range t.Data {
			if len(chunk) == cap(chunk) {
				bw.Write(chunk)
				chunk = chunk[:0]
			}
			chunk = binary.LittleEndian.AppendUint32(chunk, math.Float32bits(v))
		}
	}
	bw.Write(chunk)
	// bufio.Writer keeps the first error, so checking Flush suffices.
	if err := bw.Flush(); err != nil {
		return &Error{Msg: "write failed", Err: err}
	}
	return nil
}

// encodeHeader validates the tensors and returns the padded JSON header
// and the tensors in the order of their data.
func encodeHeader(tensors []Tensor, metadata map[string]string) ([]byte, []*Tensor, error) {
	sorted := make([]*Tensor, len(tensors))
	for i := range tensors {
		sorted[i] = &tensors[i]
	}
	slices.SortStableFunc(sorted, func(a, b *Tensor) int { return strings.Compare(a.Name, b.Name) })
	for i, t := range sorted {
		switch {
		case t.Name == "":
			return nil, nil, errorf("", "cannot write a tensor with an empty name (shape %v)", t.Shape)
		case t.Name == metadataKey:
			return nil, nil, errorf("", "cannot write a tensor named %q: the name is reserved for metadata", metadataKey)
		case i > 0 && sorted[i-1].Name == t.Name:
			return nil, nil, errorf(t.Name, "cannot write two tensors of the same name")
		}
		n := 1
		for _, d := range t.Shape {
			if d < 0 {
				return nil, nil, errorf(t.Name, "cannot write shape %v with a negative dimension", t.Shape)
			}
			if d != 0 && n > math.MaxInt/4/d {
				return nil, nil, errorf(t.Name, "cannot write shape %v: too large", t.Shape)
			}
			n *= d
		}
		if n != len(t.Data) {
			return nil, nil, errorf(t.Name, "cannot write %d values as shape %v of %d elements", len(t.Data), t.Shape, n)
		}
	}

	var h bytes.Buffer
	h.WriteByte('{')
	if len(metadata) > 0 {
		h.WriteString(jsonString(metadataKey))
		h.WriteString(":{")
		keys := make([]string, 0, len(metadata))
		for k := range metadata {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			if i > 0 {
				h.WriteByte(',')
			}
			fmt.Fprintf(&h, "%s:%s", jsonString(k), jsonString(metadata[k]))
		}
		h.WriteByte('}')
	}
	off := 0
	for i, t := range sorted {
		if i > 0 || len(metadata) > 0 {
			h.WriteByte(',')
		}
		h.WriteString(jsonString(t.Name))
		h.WriteString(`:{"dtype":"F32","shape":[`)
		for j, d := range t.Shape {
			if j > 0 {
				h.WriteByte(',')
			}
			h.WriteString(strconv.Itoa(d))
		}
		end := off + 4*len(t.Data)
		fmt.Fprintf(&h, `],"data_offsets":[%d,%d]}`, off, end)
		off = end
	}
	h.WriteByte('}')
	for h.Len()%8 != 0 {
		h.WriteByte(' ')
	}
	return h.Bytes(), sorted, nil
}

// jsonString returns s as a JSON string literal, without HTML escaping.
func jsonString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}

// WriteFile writes tensors and metadata to the file at path, as Write
// does, atomically: it writes a temporary file in the same directory,
// syncs it to stable storage and renames it to path, so that path holds
// either its previous content or the complete new file, even after a
// crash. The file is created with permissions 0644.
func WriteFile(path string, tensors []Tensor, metadata map[string]string) (err error) {
	// Validate before creating anything.
	if _, _, err := encodeHeader(tensors, metadata); err != nil {
		return withFile(err, path)
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return &Error{File: path, Msg: "cannot create temporary file", Err: err}
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := Write(tmp, tensors, metadata); err != nil {
		return withFile(err, path)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return &Error{File: path, Msg: "cannot set permissions", Err: err}
	}
	if err := tmp.Sync(); err != nil {
		return &Error{File: path, Msg: "sync failed", Err: err}
	}
	if err := tmp.Close(); err != nil {
		return &Error{File: path, Msg: "close failed", Err: err}
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return &Error{File: path, Msg: "cannot rename the temporary file", Err: err}
	}
	// Make the rename itself durable. Not every system can sync a
	// directory, so failure here is not an error.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
