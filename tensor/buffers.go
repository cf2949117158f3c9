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

func sizeClass(n int) int { return bits.Len(uint(n - 1)) }

// getBuffer returns a zero-filled slice of length n, from the pool when one
// of its size class is free.
func getBuffer(n int) []float32 {
	c := sizeClass(n)
	if n < 1<<minPoolClass || c > maxPoolClass {
		return make([]float32, n)
	}
	if p, ok := bufferPools[c].Get().(*[]float32); ok {
		b := (*p)[:n]
		clear(b)
		return b
	}
	return make([]float32, n, 1<<c)
}

// Release returns t's storage to the buffer pool from which later results
// are allocated, and leaves t empty. Use it for temporaries whose storage
// nothing else refers to: after Release, t, every tensor made from it by
// Reshape and every slice obtained from its Data must not be used. Tensors
// whose storage did not come from the pool are only emptied.
func Release(t *Tensor) {
	b := t.data
	t.data, t.shape = nil, nil
	c := bits.Len(uint(cap(b) - 1))
	if cap(b) < 1<<minPoolClass || c > maxPoolClass || cap(b) != 1<<c {
		return
	}
	b = b[:0]
	bufferPools[c].Put(&b)
}
