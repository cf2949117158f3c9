package tensor

import (
	"math/bits"
	"sync"
)

// Buffers are pooled by size class: class c holds slices whose capacity is
// exactly 1<<c, so any request of length n ≤ 1<<c can use them.
const (
	minPoolClass = 6  // 64 elements; smaller buffers are not worth pooling
	maxPoolClass = 30 // 4 GiB of float32
)

var bufferPools [maxPoolClass + 1]sync.Pool

// boxes recycles the *[]float32 boxes in which bufferPools hold slices, so
// that moving a buffer in and out of the pool does not allocate.
var boxes sync.Pool

// poolGet returns a slice of capacity 1<<c from the pool, or nil.
func poolGet(c int) []float32 {
	p, ok := bufferPools[c].Get().(*[]float32)
	if !ok {
		return nil
	}
	b := *p
	*p = nil
	boxes.Put(p)
	return b
}

// poolPut puts b, of capacity 1<<c, into the pool.
func poolPut(c int, b []float32) {
	p, ok := boxes.Get().(*[]float32)
	if !ok {
		p = new([]float32)
	}
	*p = b[:0]
	bufferPools[c].Put(p)
}

func sizeClass(n int) int { return bits.Len(uint(n - 1)) }

// getBuffer returns a zero-filled slice of length n, from the pool when one
// of its size class is free.
func getBuffer(n int) []float32 {
	c := sizeClass(n)
	if n < 1<<minPoolClass || c > maxPoolClass {
		return make([]float32, n)
	}
	if b := poolGet(c); b != nil {
		b = b[:n]
		clear(b)
		return b
	}
	return make([]float32, n, 1<<c)
}

// Release returns t's storage to the buffer pool from which later results
// are allocated, and marks t released: its Data and Shape then panic, so
// that a tensor kept beyond its owner's release is found where it is used.
// Use it for temporaries whose storage nothing else refers to: every
// tensor made from t by Reshape and every slice obtained from its Data
// must not be used either. Tensors whose storage did not come from the
// pool are only marked. Who may release what is decided by the policies
// of ownership.go (Releaser, ReleaseUnshared).
func Release(t *Tensor) {
	b := t.data
	t.data, t.shape, t.released = nil, nil, true
	c := bits.Len(uint(cap(b) - 1))
	if cap(b) < 1<<minPoolClass || c > maxPoolClass || cap(b) != 1<<c {
		return
	}
	poolPut(c, b)
}
