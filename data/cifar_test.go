package data

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cifarBytes encodes CIFAR-10 records with the given labels; the pixels of
// record k are k, k+1, ... (mod 256).
func cifarBytes(labels ...byte) []byte {
	var b []byte
	for k, l := range labels {
		b = append(b, l)
		b = append(b, seq(cifarPixels, byte(k))...)
	}
	return b
}

func TestReadCIFAR10(t *testing.T) {
	valid := cifarBytes(3, 9, 0)
	tests := []struct {
		name   string
		in     []byte
		labels []int
		record int
		want   string
	}{
		{"ok", valid, []int{3, 9, 0}, 0, ""},
		{"empty", nil, nil, -1, "empty file: want records of 3073 bytes"},
		{"truncated", valid[:2*cifarRecord+100], nil, 2, "record 2: truncated: the file ends after 100 of the 3073 bytes of this record"},
		{"truncated label only", valid[:cifarRecord+1], nil, 1, "record 1: truncated: the file ends after 1 of"},
		{"label range", cifarBytes(1, 10), nil, 1, "record 1: label 10 out of range for 10 classes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pix, labels, err := ReadCIFAR10(bytes.NewReader(tt.in), "b.bin")
			if tt.want == "" {
				require.NoError(t, err)
				assert.Equal(t, tt.labels, labels)
				require.Len(t, pix, len(labels)*cifarPixels)
				assert.Equal(t, seq(cifarPixels, 1), pix[cifarPixels:2*cifarPixels])
				return
			}
			var fe *FormatError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, "b.bin", fe.File)
			assert.Equal(t, tt.record, fe.Record)
			assert.Contains(t, err.Error(), "data: b.bin: "+tt.want)
		})
	}
}

func TestLoadCIFAR10(t *testing.T) {
	write := func(dir string) {
		for i := 1; i <= 5; i++ {
			writeFile(t, dir, fmt.Sprintf("data_batch_%d.bin", i), cifarBytes(byte(i), byte(i+1)))
		}
		writeFile(t, dir, "test_batch.bin", cifarBytes(7))
	}
	check := func(dir string) {
		train, test, err := LoadCIFAR10(dir)
		require.NoError(t, err)
		assert.Equal(t, 10, train.Len())
		assert.Equal(t, 1, test.Len())
		assert.Equal(t, "truck", train.Classes()[9])
		c, h, w := train.Shape()
		assert.Equal(t, [3]int{3, 32, 32}, [3]int{c, h, w})
		img, l := Get(train, 3) // data_batch_2.bin, record 1
		assert.Equal(t, 3, l)
		assert.InDelta(t, 1.0/255, img[0], 1e-6)
		assert.InDelta(t, 2.0/255, img[1], 1e-6)
		_, l = Get(test, 0)
		assert.Equal(t, 7, l)
	}
	dir := t.TempDir()
	write(dir)
	check(dir)

	parent := t.TempDir()
	write(filepath.Join(parent, "cifar-10-batches-bin"))
	check(parent)

	empty := t.TempDir()
	writeFile(t, empty, "data_batch_2.bin", cifarBytes(1))
	_, _, err := LoadCIFAR10(empty)
	assert.EqualError(t, err, "data: "+empty+": CIFAR-10 files missing: data_batch_1.bin, data_batch_3.bin, data_batch_4.bin, data_batch_5.bin, test_batch.bin (want the binary version, cifar-10-binary.tar.gz, unpacked)")

	writeFile(t, dir, "data_batch_4.bin", cifarBytes(1, 2)[:cifarRecord+5])
	_, _, err = LoadCIFAR10(dir)
	assert.EqualError(t, err, "data: "+filepath.Join(dir, "data_batch_4.bin")+": record 1: truncated: the file ends after 5 of the 3073 bytes of this record")
}

func FuzzReadCIFAR(f *testing.F) {
	f.Add(cifarBytes(3))
	f.Add(cifarBytes(1, 2)[:cifarRecord+7])
	f.Add(cifarBytes(11))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		pix, labels, err := ReadCIFAR10(bytes.NewReader(in), "fuzz")
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) || fe.File != "fuzz" {
				t.Fatalf("error %v is not a *FormatError naming the file", err)
			}
			return
		}
		if len(in) != len(labels)*cifarRecord || len(pix) != len(labels)*cifarPixels {
			t.Fatalf("%d bytes gave %d labels and %d pixels", len(in), len(labels), len(pix))
		}
		for k, l := range labels {
			if l < 0 || l > 9 || byte(l) != in[k*cifarRecord] {
				t.Fatalf("label %d of record %d", l, k)
			}
		}
	})
}
