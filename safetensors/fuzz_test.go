package safetensors_test

import (
	"encoding/binary"
	"errors"
	"math"
	"testing"

	"github.com/autonl-go/autonl/safetensors"
)

// FuzzDecode checks that Decode never panics, that it reports failures as
// *Error, and that whatever it accepts is consistent: every tensor's data
// converts to the number of elements its shape declares, and F32 files
// survive a re-encoding bit for bit.
func FuzzDecode(f *testing.F) {
	for _, ts := range [][]safetensors.Tensor{
		nil,
		sampleTensors(),
		{{Name: "x", Shape: []int{2, 2}, Data: []float32{1, 2, 3, 4}}},
	} {
		b, err := safetensors.Encode(ts, map[string]string{"k": "v"})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(typed("F16", "[3]", []byte{0, 0x3c, 0, 0xc0, 0xff, 0x7b}))
	f.Add(typed("BF16", "[1,1]", []byte{0x80, 0x3f}))
	f.Add(typed("F64", "[1]", binary.LittleEndian.AppendUint64(nil, math.Float64bits(0.1))))
	f.Add(typed("I32", "[0]", nil))
	f.Add(rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F16","shape":[2],"data_offsets":[4,8]}}`, make([]byte, 8)))

	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := safetensors.Decode(b)
		if err != nil {
			var se *safetensors.Error
			if !errors.As(err, &se) {
				t.Fatalf("error %v is a %T, not a *safetensors.Error", err, err)
			}
			return
		}
		var f32 []safetensors.Tensor
		for _, name := range file.Names() {
			info, ok := file.Info(name)
			if !ok {
				t.Fatalf("Names lists %q but Info does not know it", name)
			}
			data, shape, err := file.Float32(name)
			switch info.DType {
			case safetensors.F32, safetensors.F16, safetensors.BF16, safetensors.F64:
				if err != nil {
					t.Fatalf("Float32(%q) of %s: %v", name, info.DType, err)
				}
			default:
				if err == nil {
					t.Fatalf("Float32(%q) converted dtype %s", name, info.DType)
				}
				continue
			}
			n := 1
			for _, d := range shape {
				n *= d
			}
			if n != len(data) {
				t.Fatalf("tensor %q: %d values for shape %v", name, len(data), shape)
			}
			if info.DType == safetensors.F32 {
				f32 = append(f32, safetensors.Tensor{Name: name, Shape: shape, Data: data})
			}
		}
		if len(f32) != len(file.Names()) {
			return
		}
		enc, err := safetensors.Encode(f32, file.Metadata)
		if err != nil {
			t.Fatalf("re-encoding a decoded file: %v", err)
		}
		again, err := safetensors.Decode(enc)
		if err != nil {
			t.Fatalf("decoding a re-encoded file: %v", err)
		}
		for _, want := range f32 {
			got, _, err := again.Float32(want.Name)
			if err != nil {
				t.Fatal(err)
			}
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want.Data[i]) {
					t.Fatalf("tensor %q element %d: %g after re-encoding, was %g", want.Name, i, got[i], want.Data[i])
				}
			}
		}
	})
}
