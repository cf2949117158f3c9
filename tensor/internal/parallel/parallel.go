// Package parallel runs loops on a persistent pool of worker goroutines,
// one per GOMAXPROCS at the time of first use.
//
// Work is split into ranges whose boundaries depend only on the loop length
// and the grain the caller gives, never on the number of workers, so a
// kernel that writes each output from exactly one range computes bit-for-bit
// the same result whatever GOMAXPROCS is.
package parallel

import (
	"runtime"
	"sync"
)

type task struct {
	fn     func(lo, hi int)
	lo, hi int
	wg     *sync.WaitGroup
}

var (
	startOnce sync.Once
	tasks     chan task
	workers   int
)

func start() {
	workers = runtime.GOMAXPROCS(0)
	tasks = make(chan task, 4*workers)
	for range workers {
		go func() {
			for t := range tasks {
				t.run()
			}
		}()
	}
}

// Workers returns the number of goroutines in the pool.
func Workers() int {
	startOnce.Do(start)
	return workers
}

// For calls fn(lo, hi) for consecutive ranges that cover [0, n), each at
// most grain long (the last may be shorter), and returns when all calls have
// finished. Ranges run concurrently on the pool; a loop with a single range
// runs on the calling goroutine. fn must be safe to call concurrently on
// disjoint ranges. grain values below 1 are treated as 1.
func For(n, grain int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	if grain < 1 {
		grain = 1
	}
	if n <= grain || Workers() == 1 {
		for lo := 0; lo < n; lo += grain {
			fn(lo, min(lo+grain, n))
		}
		return
	}
	var wg sync.WaitGroup
	for lo := grain; lo < n; lo += grain {
		t := task{fn: fn, lo: lo, hi: min(lo+grain, n), wg: &wg}
		wg.Add(1)
		select {
		case tasks <- t:
		default: // queue full: run it here rather than block
			t.run()
		}
	}
	fn(0, min(grain, n))
	// Help with queued work while waiting, so that nested loops called
	// from inside fn cannot leave every worker blocked.
	for {
		select {
		case t := <-tasks:
			t.run()
			continue
		default:
		}
		break
	}
	wg.Wait()
}

func (t task) run() {
	t.fn(t.lo, t.hi)
	t.wg.Done()
}

// Grain returns a range length that splits n items into about
// chunksPerWorker·Workers() ranges, but never below minGrain. Use it only
// where the result of each item does not depend on the ranges.
func Grain(n, minGrain, chunksPerWorker int) int {
	g := n / (Workers() * max(chunksPerWorker, 1))
	return max(g, minGrain, 1)
}
