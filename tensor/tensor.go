package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
)

// Tensor is a dense, contiguous, row-major float32 N-dimensional array.
//
// The zero value is not usable; create tensors with New, Zeros, Ones, Full,
// FromSlice, Uniform or Normal. A tensor with an empty shape is a scalar
// holding one element.
type Tensor struct {
	shape    []int
	data     []float32
	released bool // by Release: the storage went back to the pool
}

// New returns a tensor of the given shape filled with zeros.
// It panics if any dimension is negative.
func New(shape ...int) *Tensor {
	n := checkShape("New", shape)
	return &Tensor{shape: cloneInts(shape), data: getBuffer(n)}
}

// Zeros is a synonym for New.
func Zeros(shape ...int) *Tensor { return New(shape...) }

// Ones returns a tensor of the given shape filled with ones.
func Ones(shape ...int) *Tensor { return Full(1, shape...) }

// Full returns a tensor of the given shape with every element equal to v.
func Full(v float32, shape ...int) *Tensor {
	t := New(shape...)
	t.Fill(v)
	return t
}

// Scalar returns a tensor with an empty shape holding v.
func Scalar(v float32) *Tensor {
	return &Tensor{shape: []int{}, data: []float32{v}}
}

// FromSlice returns a tensor of the given shape that uses data as its
// storage; data is not copied. It panics if len(data) is not the product of
// the shape.
func FromSlice(data []float32, shape ...int) *Tensor {
	n := checkShape("FromSlice", shape)
	if len(data) != n {
		panic(fmt.Sprintf("tensor: FromSlice: %d elements do not fill shape %v of %d elements", len(data), shape, n))
	}
	return &Tensor{shape: cloneInts(shape), data: data}
}

// Uniform returns a tensor of the given shape whose elements are drawn
// independently from the uniform distribution on [lo, hi) using rng.
func Uniform(rng *rand.Rand, lo, hi float32, shape ...int) *Tensor {
	t := New(shape...)
	w := float64(hi) - float64(lo)
	for i := range t.data {
		t.data[i] = float32(float64(lo) + w*rng.Float64())
	}
	return t
}

// Normal returns a tensor of the given shape whose elements are drawn
// independently from the normal distribution with the given mean and
// standard deviation using rng.
func Normal(rng *rand.Rand, mean, std float32, shape ...int) *Tensor {
	t := New(shape...)
	for i := range t.data {
		t.data[i] = float32(float64(mean) + float64(std)*rng.NormFloat64())
	}
	return t
}

// Shape returns the tensor's shape. The returned slice must not be modified.
// It panics if t was released (see Release).
func (t *Tensor) Shape() []int {
	if t.released {
		panicReleased("Shape")
	}
	return t.shape
}

// Data returns the tensor's elements in row-major order. The slice is the
// tensor's storage: writes to it change the tensor. It panics if t was
// released (see Release).
func (t *Tensor) Data() []float32 {
	if t.released {
		panicReleased("Data")
	}
	return t.data
}

func panicReleased(method string) {
	panic("tensor: " + method + " of a released tensor: its storage went back to the buffer pool (tensor.Release), so whoever kept it kept it beyond its owner's use")
}

// Len returns the number of elements, the product of the shape; 0 for a
// released tensor.
func (t *Tensor) Len() int { return len(t.data) }

// NDim returns the number of dimensions.
func (t *Tensor) NDim() int { return len(t.shape) }

// Dim returns the size of dimension i. Negative i counts from the end.
func (t *Tensor) Dim(i int) int { return t.shape[t.axis("Dim", i)] }

// Item returns the only element of a one-element tensor.
func (t *Tensor) Item() float32 {
	if len(t.data) != 1 {
		panic(fmt.Sprintf("tensor: Item: tensor of shape %v has %d elements, want 1", t.shape, len(t.data)))
	}
	return t.data[0]
}

// At returns the element at the given index, one coordinate per dimension.
func (t *Tensor) At(index ...int) float32 { return t.data[t.offset("At", index)] }

// Set sets the element at the given index, one coordinate per dimension.
func (t *Tensor) Set(v float32, index ...int) { t.data[t.offset("Set", index)] = v }

// Fill sets every element to v.
func (t *Tensor) Fill(v float32) {
	for i := range t.data {
		t.data[i] = v
	}
}

// Clone returns a deep copy of t.
func (t *Tensor) Clone() *Tensor {
	return &Tensor{shape: cloneInts(t.shape), data: append([]float32(nil), t.data...)}
}

// CopyFrom copies the elements of src into t. It panics if the shapes differ.
func (t *Tensor) CopyFrom(src *Tensor) {
	if !SameShape(t.shape, src.shape) {
		panic(fmt.Sprintf("tensor: CopyFrom: source shape %v differs from destination shape %v", src.shape, t.shape))
	}
	copy(t.data, src.data)
}

// Reshape returns a tensor with the given shape that shares t's data.
// One dimension may be -1, in which case it is inferred from the others.
// It panics if the new shape does not hold exactly t.Len() elements.
func (t *Tensor) Reshape(shape ...int) *Tensor {
	shape = cloneInts(shape)
	infer := -1
	known := 1
	for i, d := range shape {
		switch {
		case d == -1 && infer < 0:
			infer = i
		case d < 0:
			panic(fmt.Sprintf("tensor: Reshape: invalid shape %v: at most one dimension may be -1 and none may be otherwise negative", shape))
		default:
			known *= d
		}
	}
	if infer >= 0 {
		if known == 0 || len(t.data)%known != 0 {
			panic(fmt.Sprintf("tensor: Reshape: cannot infer the -1 in %v for %d elements of shape %v", shape, len(t.data), t.shape))
		}
		shape[infer] = len(t.data) / known
		known *= shape[infer]
	}
	if known != len(t.data) {
		panic(fmt.Sprintf("tensor: Reshape: shape %v holds %d elements, tensor of shape %v has %d", shape, known, t.shape, len(t.data)))
	}
	return &Tensor{shape: shape, data: t.data}
}

// String formats the tensor's shape and, for small tensors, its elements.
func (t *Tensor) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Tensor%v", t.shape)
	const maxShown = 64
	if len(t.data) <= maxShown {
		b.WriteString(" ")
		b.WriteString(fmt.Sprint(t.data))
	} else {
		fmt.Fprintf(&b, " [%v %v %v ... %v]", t.data[0], t.data[1], t.data[2], t.data[len(t.data)-1])
	}
	return b.String()
}

// AllClose reports whether a and b have the same shape and every pair of
// elements satisfies |a-b| <= atol + rtol·|b|. NaNs are never close.
func AllClose(a, b *Tensor, rtol, atol float64) bool {
	if !SameShape(a.shape, b.shape) {
		return false
	}
	for i, x := range a.data {
		y := float64(b.data[i])
		if !(math.Abs(float64(x)-y) <= atol+rtol*math.Abs(y)) {
			return false
		}
	}
	return true
}

// SameShape reports whether two shapes are equal.
func SameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// NumElements returns the product of the dimensions of shape.
func NumElements(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// Strides returns the row-major element strides of shape.
func Strides(shape []int) []int {
	s := make([]int, len(shape))
	acc := 1
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = acc
		acc *= shape[i]
	}
	return s
}

func checkShape(op string, shape []int) int {
	n := 1
	for _, d := range shape {
		if d < 0 {
			panic(fmt.Sprintf("tensor: %s: negative dimension in shape %v", op, shape))
		}
		n *= d
	}
	return n
}

func cloneInts(s []int) []int { return append([]int{}, s...) }

// axis normalizes a possibly negative axis of t and panics if it is out of range.
func (t *Tensor) axis(op string, a int) int {
	return normAxis(op, a, t.shape)
}

func normAxis(op string, a int, shape []int) int {
	n := len(shape)
	if a < -n || a >= n {
		panic(fmt.Sprintf("tensor: %s: axis %d out of range for shape %v", op, a, shape))
	}
	if a < 0 {
		a += n
	}
	return a
}

func (t *Tensor) offset(op string, index []int) int {
	if len(index) != len(t.shape) {
		panic(fmt.Sprintf("tensor: %s: index %v has %d coordinates for shape %v", op, index, len(index), t.shape))
	}
	off := 0
	for i, x := range index {
		if x < 0 || x >= t.shape[i] {
			panic(fmt.Sprintf("tensor: %s: index %v out of range for shape %v", op, index, t.shape))
		}
		off = off*t.shape[i] + x
	}
	return off
}

// newOut allocates the zero-filled output of an operation. Every kernel
// allocates its results through it or newOutUninit, so that they come from
// the buffer pool.
func newOut(shape []int) *Tensor {
	return &Tensor{shape: cloneInts(shape), data: getBuffer(NumElements(shape))}
}

// newOutUninit allocates an output of the given shape from the buffer pool
// without clearing it (its elements are those of an earlier result), for
// kernels that write every element: clearing a buffer that is overwritten
// anyway is a pass over memory for nothing.
func newOutUninit(shape []int) *Tensor {
	return &Tensor{shape: cloneInts(shape), data: getScratch(NumElements(shape))}
}
