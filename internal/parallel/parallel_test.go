package parallel

import (
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestForCoversEveryIndexOnce(t *testing.T) {
	for _, tc := range []struct{ n, grain int }{
		{0, 1}, {1, 1}, {7, 3}, {100, 1}, {100, 7}, {1000, 64}, {5, 100}, {9, 0},
	} {
		counts := make([]int32, tc.n)
		For(tc.n, tc.grain, func(lo, hi int) {
			require.LessOrEqual(t, hi-lo, max(tc.grain, 1))
			for i := lo; i < hi; i++ {
				atomic.AddInt32(&counts[i], 1)
			}
		})
		for i, c := range counts {
			require.EqualValues(t, 1, c, "n=%d grain=%d index %d", tc.n, tc.grain, i)
		}
	}
}

func TestNestedFor(t *testing.T) {
	var total atomic.Int64
	For(8, 1, func(lo, hi int) {
		For(16, 2, func(lo2, hi2 int) { total.Add(int64(hi2 - lo2)) })
	})
	require.EqualValues(t, 8*16, total.Load())
}

// TestConcurrentFor runs loops, some with nested loops, from several
// goroutines at once, so that waiting callers help with each other's
// loops and workers find loops already finished: every index is still
// covered exactly once.
func TestConcurrentFor(t *testing.T) {
	const callers, n = 4, 200
	var counts [callers][n]atomic.Int32
	done := make(chan struct{})
	for c := range callers {
		go func() {
			defer func() { done <- struct{}{} }()
			for range 50 {
				For(n/10, 1, func(lo, hi int) {
					for i := lo; i < hi; i++ {
						For(10, 3, func(lo2, hi2 int) {
							for k := lo2; k < hi2; k++ {
								counts[c][i*10+k].Add(1)
							}
						})
					}
				})
			}
		}()
	}
	for range callers {
		<-done
	}
	for c := range callers {
		for i := range n {
			require.EqualValues(t, 50, counts[c][i].Load(), "caller %d index %d", c, i)
		}
	}
}
