package data

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
)

// IDX is the content of an IDX file, the format of the MNIST and
// Fashion-MNIST distributions: an array of unsigned bytes with its
// dimensions. The first dimension counts records (images or labels).
type IDX struct {
	// Dims are the dimensions, outermost first.
	Dims []int
	// Data holds the elements in row-major order, the product of Dims of
	// them.
	Data []byte
}

// maxIDXBytes bounds the size an IDX header may announce, 8 GiB.
const maxIDXBytes = 1 << 33

// idxTypes names the element types of the IDX format, for error messages.
var idxTypes = map[byte]string{
	0x08: "unsigned byte", 0x09: "signed byte", 0x0B: "int16",
	0x0C: "int32", 0x0D: "float32", 0x0E: "float64",
}

// ReadIDXFile reads the IDX file at path, gzip-compressed or not.
func ReadIDXFile(path string) (*IDX, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadIDX(f, path)
}

// ReadIDX reads an IDX array from r; name names the source in errors.
//
// The format is a 4-byte magic number, two zero bytes, the element type
// (only 0x08, unsigned byte, is supported) and the rank; then rank
// big-endian uint32 dimensions; then the elements, record after record,
// with nothing after them. A stream that starts with the gzip magic bytes
// 0x1f 0x8b is decompressed first.
//
// Errors are [*FormatError]s that name the source, and for truncated data
// the first incomplete record.
func ReadIDX(r io.Reader, name string) (*IDX, error) {
	r, closeFn, err := maybeGunzip(r, name)
	if err != nil {
		return nil, err
	}
	defer closeFn()

	var magic [4]byte
	if n, err := io.ReadFull(r, magic[:]); err != nil {
		return nil, formatErr(name, -1, ioCause(err), "header: file ends after %d of the 4 bytes of the magic number", n)
	}
	if magic[0] != 0 || magic[1] != 0 {
		return nil, formatErr(name, -1, nil, "header: bad magic number 0x%08x: want two zero bytes, the element type and the rank (0x00000801 for labels, 0x00000803 for images)", binary.BigEndian.Uint32(magic[:]))
	}
	if magic[2] != 0x08 {
		typ, ok := idxTypes[magic[2]]
		if !ok {
			typ = "unknown"
		}
		return nil, formatErr(name, -1, nil, "header: element type 0x%02x (%s) is not supported: only 0x08 (unsigned byte) is", magic[2], typ)
	}
	rank := int(magic[3])
	if rank == 0 {
		return nil, formatErr(name, -1, nil, "header: rank 0: want at least 1 dimension")
	}
	dims := make([]int, rank)
	total := 1
	var b [4]byte
	for i := range dims {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, formatErr(name, -1, ioCause(err), "header: file ends in dimension %d of %d", i+1, rank)
		}
		dims[i] = int(binary.BigEndian.Uint32(b[:]))
		if dims[i] != 0 && total > maxIDXBytes/dims[i] {
			return nil, formatErr(name, -1, nil, "header: dimensions %v hold more than the %d bytes this reader accepts", dims[:i+1], maxIDXBytes)
		}
		total *= dims[i]
	}
	// Read incrementally rather than trusting the header with one large
	// allocation: a corrupt header must not cost gigabytes.
	data, err := io.ReadAll(io.LimitReader(r, int64(total)))
	if len(data) < total {
		recSize := total / dims[0] // total > 0, so every dimension is
		k := len(data) / recSize
		got := len(data) - k*recSize
		return nil, formatErr(name, k, ioCause(err), "truncated: the file ends after %d of the %d bytes of this record (%d records of %v announced)", got, recSize, dims[0], dims[1:])
	}
	if err != nil { // a read or gzip error just after the last byte
		return nil, formatErr(name, -1, err, "after the last record")
	}
	if n, err := io.Copy(io.Discard, io.LimitReader(r, 1<<20)); n > 0 || err != nil {
		if err != nil {
			return nil, formatErr(name, -1, err, "after the last record")
		}
		return nil, formatErr(name, -1, nil, "unexpected data after the last of %d records of %v: the header's dimensions do not match the file", dims[0], dims[1:])
	}
	return &IDX{Dims: dims, Data: data}, nil
}

// ioCause drops io.EOF and io.ErrUnexpectedEOF, which say nothing beyond
// "truncated", and keeps other causes (a gzip checksum error, a read
// error).
func ioCause(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return nil
	}
	return err
}

// maybeGunzip returns a reader of the decompressed stream when r starts
// with the gzip magic bytes, and r (buffered) otherwise.
func maybeGunzip(r io.Reader, name string) (io.Reader, func(), error) {
	br := bufio.NewReader(r)
	head, _ := br.Peek(2)
	if len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		z, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, formatErr(name, -1, err, "bad gzip header")
		}
		z.Multistream(false)
		return z, func() { z.Close() }, nil
	}
	return br, func() {}, nil
}

// LoadIDX reads a pair of IDX files, images (rank 3: count, rows, columns)
// and labels (rank 1: count), into a one-channel dataset with the given
// class names. Either file may be gzip-compressed. Besides the errors of
// [ReadIDX], it reports images and labels of different counts and labels
// out of range for the classes.
func LoadIDX(imagesPath, labelsPath string, classes []string) (*Memory, error) {
	img, err := ReadIDXFile(imagesPath)
	if err != nil {
		return nil, err
	}
	lab, err := ReadIDXFile(labelsPath)
	if err != nil {
		return nil, err
	}
	return idxDataset(img, imagesPath, lab, labelsPath, classes)
}

func idxDataset(img *IDX, imagesName string, lab *IDX, labelsName string, classes []string) (*Memory, error) {
	if len(img.Dims) != 3 {
		return nil, formatErr(imagesName, -1, nil, "header: rank %d (dimensions %v): images need rank 3 (count, rows, columns)", len(img.Dims), img.Dims)
	}
	if len(lab.Dims) != 1 {
		return nil, formatErr(labelsName, -1, nil, "header: rank %d (dimensions %v): labels need rank 1 (count)", len(lab.Dims), lab.Dims)
	}
	if img.Dims[0] != lab.Dims[0] {
		return nil, formatErr(labelsName, -1, nil, "%d labels for the %d images of %s", lab.Dims[0], img.Dims[0], imagesName)
	}
	if img.Dims[1] == 0 || img.Dims[2] == 0 {
		return nil, formatErr(imagesName, -1, nil, "header: empty images of %d×%d pixels", img.Dims[1], img.Dims[2])
	}
	labels := make([]int, len(lab.Data))
	for i, l := range lab.Data {
		if int(l) >= len(classes) {
			return nil, formatErr(labelsName, i, nil, "label %d out of range for %d classes", l, len(classes))
		}
		labels[i] = int(l)
	}
	return NewMemoryBytes(1, img.Dims[1], img.Dims[2], img.Data, labels, classes)
}

// MNISTClasses are the class names of MNIST, the digits "0" to "9".
var MNISTClasses = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}

// FashionMNISTClasses are the class names of Fashion-MNIST, by label.
var FashionMNISTClasses = []string{
	"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
	"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
}

// LoadMNIST reads MNIST from dir, which must hold train-images-idx3-ubyte,
// train-labels-idx1-ubyte, t10k-images-idx3-ubyte and
// t10k-labels-idx1-ubyte, each optionally with a .gz suffix, as in the
// original distribution and in [MNISTDir]. It returns the 60000 training
// and 10000 test images of 1×28×28 pixels.
func LoadMNIST(dir string) (train, test *Memory, err error) {
	return loadIDXDir(dir, MNISTClasses)
}

// LoadFashionMNIST reads Fashion-MNIST from dir, which holds files named as
// MNIST's (see [LoadMNIST]), for example [FashionMNISTDir].
func LoadFashionMNIST(dir string) (train, test *Memory, err error) {
	return loadIDXDir(dir, FashionMNISTClasses)
}

func loadIDXDir(dir string, classes []string) (train, test *Memory, err error) {
	var paths [4]string
	for i, base := range [4]string{"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"} {
		if paths[i], err = findFile(dir, base, base+".gz"); err != nil {
			return nil, nil, err
		}
	}
	if train, err = LoadIDX(paths[0], paths[1], classes); err != nil {
		return nil, nil, err
	}
	if test, err = LoadIDX(paths[2], paths[3], classes); err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

// findFile returns the first of the names that exists in dir.
func findFile(dir string, names ...string) (string, error) {
	for _, n := range names {
		p := filepath.Join(dir, n)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("data: %s: no file %s in %s", dir, quoteList(names), dir)
}

func quoteList(names []string) string {
	s := ""
	for i, n := range names {
		if i > 0 {
			s += " or "
		}
		s += strconv.Quote(n)
	}
	return s
}
