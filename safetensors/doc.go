// Package safetensors reads and writes the safetensors file format, the
// simple, safe container for named tensors used by Hugging Face and PyTorch.
//
// # Format
//
// A safetensors file has three parts:
//
//  1. an 8-byte little-endian unsigned integer N, the length of the header;
//  2. N bytes of UTF-8 JSON, the header, possibly padded at the end with
//     spaces (writers pad it so that the data starts 8-byte aligned);
//  3. the data buffer: the raw little-endian bytes of every tensor.
//
// The header is a JSON object. The optional key "__metadata__" maps to an
// object of free-form string keys and string values; every other key is a
// tensor name mapping to
//
//	{"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}
//
// where dtype is one of the format's type names (F16, BF16, F32, F64, I8, …),
// shape lists the dimensions (an empty list is a scalar) and data_offsets
// are the half-open byte range [begin, end) of the tensor in the data buffer,
// relative to the start of the buffer, not of the file. Elements are stored
// in row-major order.
//
// A valid file satisfies every rule that the reference implementation
// enforces, and Decode checks them all: the header length fits in the file
// and is at most 100 MB, the header is one JSON object with no duplicate
// names, every dtype is known, dimensions are non-negative, each byte range
// holds exactly the product of the shape times the element size, and the
// byte ranges of all tensors tile the data buffer exactly: no overlaps, no
// gaps, nothing left over and nothing missing. Decode never panics on bad
// input; its errors are *Error values naming the file (when known), the
// tensor or header field and what is wrong.
//
// # Use
//
// This package is a leaf: it knows nothing of package tensor and deals in
// shapes and []float32 slices, which callers wrap in their own types.
//
// Write and WriteFile store float32 tensors as F32, with tensor names and
// metadata keys sorted, so that the same tensors always produce the same
// bytes. WriteFile writes to a temporary file in the destination directory,
// syncs it and renames it over the destination, so that a crash leaves
// either the old file or the complete new one, never a partial file.
//
// Read, ReadFile and Decode parse a whole file into memory. File.Float32
// returns a tensor's elements as float32, converting F16, BF16 and F64.
package safetensors
