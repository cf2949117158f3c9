package data

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Dataset is a finite, indexable collection of labelled images of one
// shape. Pixels are float32 in channel-major (C×H×W) order, normally in
// [0, 1]; labels are class indices in [0, len(Classes())).
//
// Implementations must allow concurrent calls of every method from several
// goroutines: a [Loader] calls Example from its workers in parallel.
type Dataset interface {
	// Len returns the number of examples.
	Len() int
	// Shape returns the channels, height and width of every image.
	Shape() (c, h, w int)
	// Classes returns the class names, indexed by label. The slice must
	// not be modified.
	Classes() []string
	// Example writes the pixels of example i into dst, which must hold
	// exactly C·H·W elements, and returns its label. It panics if i is
	// out of range or dst has the wrong length.
	Example(i int, dst []float32) (label int)
}

// ExampleSize returns the number of float32 values of one image of ds,
// C·H·W.
func ExampleSize(ds Dataset) int {
	c, h, w := ds.Shape()
	return c * h * w
}

// Get returns example i of ds in a newly allocated slice, with its label.
func Get(ds Dataset, i int) (image []float32, label int) {
	image = make([]float32, ExampleSize(ds))
	label = ds.Example(i, image)
	return image, label
}

// checkExample panics with a message naming the dataset kind when i or dst
// do not fit a dataset of n examples of size size.
func checkExample(kind string, i, n int, dst []float32, size int) {
	if i < 0 || i >= n {
		panic(fmt.Sprintf("data: %s.Example: index %d out of range [0, %d)", kind, i, n))
	}
	if len(dst) != size {
		panic(fmt.Sprintf("data: %s.Example: destination holds %d values, want C·H·W = %d", kind, len(dst), size))
	}
}

// Memory is a [Dataset] held in memory, as bytes (pixel value v/255) or as
// float32 values. The readers of this package return Memory datasets that
// keep the files' bytes, a quarter of the size of float32 pixels.
type Memory struct {
	c, h, w int
	pix8    []byte    // set when the dataset holds bytes
	pix32   []float32 // set when the dataset holds float32 values
	labels  []int
	classes []string
}

// NewMemory returns a dataset of len(labels) images of shape c×h×w whose
// float32 pixels, image after image, are pix; pix is used, not copied.
// Every label must lie in [0, len(classes)).
func NewMemory(c, h, w int, pix []float32, labels []int, classes []string) (*Memory, error) {
	if err := checkMemory(c, h, w, len(pix), labels, classes); err != nil {
		return nil, err
	}
	return &Memory{c: c, h: h, w: w, pix32: pix, labels: labels, classes: classes}, nil
}

// NewMemoryBytes is like [NewMemory] for byte pixels: byte v stands for the
// pixel value v/255.
func NewMemoryBytes(c, h, w int, pix []byte, labels []int, classes []string) (*Memory, error) {
	if err := checkMemory(c, h, w, len(pix), labels, classes); err != nil {
		return nil, err
	}
	return &Memory{c: c, h: h, w: w, pix8: pix, labels: labels, classes: classes}, nil
}

func checkMemory(c, h, w, npix int, labels []int, classes []string) error {
	if c <= 0 || h <= 0 || w <= 0 {
		return fmt.Errorf("data: NewMemory: image shape %d×%d×%d is not positive", c, h, w)
	}
	if len(classes) == 0 {
		return fmt.Errorf("data: NewMemory: no class names")
	}
	if want := len(labels) * c * h * w; npix != want {
		return fmt.Errorf("data: NewMemory: %d pixel values for %d images of %d×%d×%d, want %d", npix, len(labels), c, h, w, want)
	}
	for i, l := range labels {
		if l < 0 || l >= len(classes) {
			return fmt.Errorf("data: NewMemory: label %d of example %d out of range [0, %d)", l, i, len(classes))
		}
	}
	return nil
}

// Len returns the number of examples.
func (m *Memory) Len() int { return len(m.labels) }

// Shape returns the channels, height and width of the images.
func (m *Memory) Shape() (c, h, w int) { return m.c, m.h, m.w }

// Classes returns the class names.
func (m *Memory) Classes() []string { return m.classes }

// Label returns the label of example i without reading its pixels.
func (m *Memory) Label(i int) int { return m.labels[i] }

// Example writes the pixels of example i into dst and returns its label.
func (m *Memory) Example(i int, dst []float32) int {
	size := m.c * m.h * m.w
	checkExample("Memory", i, len(m.labels), dst, size)
	if m.pix8 != nil {
		for j, v := range m.pix8[i*size : (i+1)*size] {
			dst[j] = float32(v) * (1.0 / 255)
		}
	} else {
		copy(dst, m.pix32[i*size:(i+1)*size])
	}
	return m.labels[i]
}

// subset is the Dataset returned by Subset.
type subset struct {
	Dataset
	idx []int
}

func (s *subset) Len() int { return len(s.idx) }

func (s *subset) Example(i int, dst []float32) int {
	if i < 0 || i >= len(s.idx) {
		panic(fmt.Sprintf("data: Subset.Example: index %d out of range [0, %d)", i, len(s.idx)))
	}
	return s.Dataset.Example(s.idx[i], dst)
}

// Subset returns the dataset whose example i is example indices[i] of ds.
// indices is used, not copied. It panics if an index is out of range for ds.
func Subset(ds Dataset, indices []int) Dataset {
	for _, j := range indices {
		if j < 0 || j >= ds.Len() {
			panic(fmt.Sprintf("data: Subset: index %d out of range [0, %d)", j, ds.Len()))
		}
	}
	return &subset{Dataset: ds, idx: indices}
}

// Split shuffles the indices of ds with seed and returns the first n of
// them as one dataset and the rest as another, for example to hold out a
// validation set. The same seed gives the same split. It panics unless
// 0 ≤ n ≤ ds.Len().
func Split(ds Dataset, n int, seed uint64) (first, rest Dataset) {
	if n < 0 || n > ds.Len() {
		panic(fmt.Sprintf("data: Split: %d examples out of %d", n, ds.Len()))
	}
	perm := newRand(seed, 0, 0, streamSplit).Perm(ds.Len())
	return Subset(ds, perm[:n]), Subset(ds, perm[n:])
}

// ChannelStats returns the per-channel mean and standard deviation of the
// pixels of the first n examples of ds (all of them when n ≤ 0 or n >
// ds.Len()), the values a [Loader] normalizes with.
func ChannelStats(ds Dataset, n int) (mean, std []float32) {
	if n <= 0 || n > ds.Len() {
		n = ds.Len()
	}
	c, h, w := ds.Shape()
	buf := make([]float32, c*h*w)
	sum := make([]float64, c)
	sq := make([]float64, c)
	for i := range n {
		ds.Example(i, buf)
		for ch := range c {
			for _, v := range buf[ch*h*w : (ch+1)*h*w] {
				sum[ch] += float64(v)
				sq[ch] += float64(v) * float64(v)
			}
		}
	}
	mean = make([]float32, c)
	std = make([]float32, c)
	cnt := float64(n * h * w)
	for ch := range c {
		if cnt == 0 {
			std[ch] = 1
			continue
		}
		m := sum[ch] / cnt
		mean[ch] = float32(m)
		std[ch] = float32(math.Sqrt(math.Max(sq[ch]/cnt-m*m, 0)))
	}
	return mean, std
}

// Stream tags keep the random streams of different uses apart.
const (
	streamSynthetic = 1 + iota
	streamShuffle
	streamAugment
	streamSplit
)

// newRand returns a ChaCha8 generator keyed by the 32 bytes made of seed,
// a and b (little-endian uint64 each) and the stream tag (little-endian
// uint64). Generators with different keys are independent, so a stream can
// be derived from (seed, index) alone, without generating its predecessors.
func newRand(seed, a, b, stream uint64) *rand.Rand {
	var key [32]byte
	for i, v := range [4]uint64{seed, a, b, stream} {
		for j := range 8 {
			key[8*i+j] = byte(v >> (8 * j))
		}
	}
	return rand.New(rand.NewChaCha8(key))
}
