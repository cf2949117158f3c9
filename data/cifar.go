package data

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// CIFAR10Classes are the class names of CIFAR-10, by label.
var CIFAR10Classes = []string{
	"airplane", "automobile", "bird", "cat", "deer",
	"dog", "frog", "horse", "ship", "truck",
}

const (
	cifarPixels = 3 * 32 * 32
	cifarRecord = 1 + cifarPixels
)

// ReadCIFAR10 reads the records of one file of CIFAR-10's binary version
// from r; name names the source in errors. Each record is one label byte
// (0 to 9) followed by 3072 pixel bytes: the 1024 red values of the 32×32
// image row after row, then the green, then the blue, which is the C×H×W
// layout of this package. The file must hold a whole, positive number of
// records. It returns the pixels of all records, image after image, and the
// labels.
//
// Errors are [*FormatError]s that name the source and the record at fault.
func ReadCIFAR10(r io.Reader, name string) (pix []byte, labels []int, err error) {
	rec := make([]byte, cifarRecord)
	for k := 0; ; k++ {
		n, err := io.ReadFull(r, rec)
		if err == io.EOF {
			if k == 0 {
				return nil, nil, formatErr(name, -1, nil, "empty file: want records of %d bytes (1 label byte and %d pixel bytes)", cifarRecord, cifarPixels)
			}
			return pix, labels, nil
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, nil, formatErr(name, k, nil, "truncated: the file ends after %d of the %d bytes of this record", n, cifarRecord)
		}
		if err != nil {
			return nil, nil, formatErr(name, k, err, "read")
		}
		if int(rec[0]) >= len(CIFAR10Classes) {
			return nil, nil, formatErr(name, k, nil, "label %d out of range for %d classes (is this CIFAR-100, whose records have 2 label bytes?)", rec[0], len(CIFAR10Classes))
		}
		labels = append(labels, int(rec[0]))
		pix = append(pix, rec[1:]...)
	}
}

// ReadCIFAR10File reads the CIFAR-10 binary file at path with
// [ReadCIFAR10].
func ReadCIFAR10File(path string) (pix []byte, labels []int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	return ReadCIFAR10(f, path)
}

// LoadCIFAR10 reads CIFAR-10's binary version from dir, which must hold
// data_batch_1.bin to data_batch_5.bin and test_batch.bin, directly or in
// the sub-directory cifar-10-batches-bin that cifar-10-binary.tar.gz
// unpacks to. It returns the training set (the five data batches, in
// order) and the test set, of 3×32×32 images.
func LoadCIFAR10(dir string) (train, test *Memory, err error) {
	if _, err := os.Stat(filepath.Join(dir, "test_batch.bin")); err != nil {
		if sub := filepath.Join(dir, "cifar-10-batches-bin"); fileExists(filepath.Join(sub, "test_batch.bin")) {
			dir = sub
		}
	}
	var missing []string
	names := []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"}
	for _, n := range names {
		if !fileExists(filepath.Join(dir, n)) {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return nil, nil, fmt.Errorf("data: %s: CIFAR-10 files missing: %s (want the binary version, cifar-10-binary.tar.gz, unpacked)", dir, strings.Join(missing, ", "))
	}
	var pix []byte
	var labels []int
	for _, n := range names[:5] {
		p, l, err := ReadCIFAR10File(filepath.Join(dir, n))
		if err != nil {
			return nil, nil, err
		}
		pix = append(pix, p...)
		labels = append(labels, l...)
	}
	if train, err = NewMemoryBytes(3, 32, 32, pix, labels, CIFAR10Classes); err != nil {
		return nil, nil, err
	}
	p, l, err := ReadCIFAR10File(filepath.Join(dir, names[5]))
	if err != nil {
		return nil, nil, err
	}
	if test, err = NewMemoryBytes(3, 32, 32, p, l, CIFAR10Classes); err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
