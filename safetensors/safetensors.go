package safetensors

import (
	"fmt"
	"strconv"
)

// DType is the name of an element type in a safetensors header, such as
// "F32".
type DType string

// The element types of the safetensors format.
const (
	Bool   DType = "BOOL"
	U8     DType = "U8"
	I8     DType = "I8"
	F8E5M2 DType = "F8_E5M2"
	F8E4M3 DType = "F8_E4M3"
	I16    DType = "I16"
	U16    DType = "U16"
	F16    DType = "F16"
	BF16   DType = "BF16"
	I32    DType = "I32"
	U32    DType = "U32"
	F32    DType = "F32"
	F64    DType = "F64"
	I64    DType = "I64"
	U64    DType = "U64"
)

var dtypeSizes = map[DType]int{
	Bool: 1, U8: 1, I8: 1, F8E5M2: 1, F8E4M3: 1,
	I16: 2, U16: 2, F16: 2, BF16: 2,
	I32: 4, U32: 4, F32: 4,
	F64: 8, I64: 8, U64: 8,
}

// Size returns the size of one element in bytes, or 0 if d is not a known
// type.
func (d DType) Size() int { return dtypeSizes[d] }

// MaxHeaderSize is the largest header length accepted, 100 MB, the limit
// of the reference implementation. It protects readers from files whose
// length prefix is corrupt.
const MaxHeaderSize = 100_000_000

// metadataKey is the reserved header key holding the free-form metadata.
const metadataKey = "__metadata__"

// Tensor is a named float32 tensor: the unit that Write stores.
type Tensor struct {
	// Name is the tensor's key in the header. It must be non-empty and
	// must not be "__metadata__".
	Name string
	// Shape lists the dimensions; an empty shape is a scalar of one
	// element.
	Shape []int
	// Data holds the elements in row-major order; its length is the
	// product of Shape.
	Data []float32
}

// Info describes one tensor of a file as its header declares it.
type Info struct {
	// Name is the tensor's key in the header.
	Name string
	// DType is the element type of the stored data.
	DType DType
	// Shape lists the dimensions.
	Shape []int
	// Begin and End are the byte range [Begin, End) of the tensor in the
	// data buffer, which starts right after the header.
	Begin, End int
}

// Error is a problem with a safetensors file, or with tensors given to
// Write.
type Error struct {
	// File is the path of the file, or "" if unknown (Decode, Read,
	// Write).
	File string
	// Key is the header entry concerned: a tensor name, "__metadata__",
	// or "" for the file layout as a whole.
	Key string
	// Msg says what is wrong.
	Msg string
	// Err is the underlying error, such as a JSON syntax error or an I/O
	// error, or nil.
	Err error
}

// Error formats the error as
//
//	safetensors: <file>: tensor "<key>": <msg>: <err>
//
// leaving out the parts that are empty.
func (e *Error) Error() string {
	s := "safetensors: "
	if e.File != "" {
		s += e.File + ": "
	}
	switch e.Key {
	case "":
	case metadataKey:
		s += metadataKey + ": "
	default:
		s += "tensor " + strconv.Quote(e.Key) + ": "
	}
	s += e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// errorf returns an *Error for key with a formatted message; the file name
// is filled in by the public entry points.
func errorf(key, format string, args ...any) *Error {
	return &Error{Key: key, Msg: fmt.Sprintf(format, args...)}
}

// withFile sets the file name of err if it is an *Error without one.
func withFile(err error, file string) error {
	if e, ok := err.(*Error); ok && e.File == "" && file != "" {
		e.File = file
	}
	return err
}
