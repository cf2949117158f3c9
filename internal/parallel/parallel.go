// Package parallel runs loops on a persistent pool of worker goroutines,
// one per GOMAXPROCS at the time of first use.
//
// Work is split into ranges whose boundaries depend only on the loop length
// and the grain the caller gives, never on the number of workers, so a
// kernel that writes each output from exactly one range computes bit-for-bit
// the same result whatever GOMAXPROCS is.
//
// A loop is published once to the idle workers; the caller and the workers
// then claim its ranges one at a time with an atomic counter, so that a
// range costs an atomic addition rather than a message, and whoever is free
// takes the next range. Workers and the waiting caller spin briefly before
// they block, because a loop's ranges are often only microseconds long and
// waking a parked goroutine costs about as much.
package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// job is one call of For: ranges [i·grain, min((i+1)·grain, n)) for
// i < ranges, claimed in increasing i.
type job struct {
	fn      func(lo, hi int)
	n       int
	grain   int
	ranges  int64
	next    atomic.Int64 // the next range to claim
	pending atomic.Int64 // ranges not finished
	wg      sync.WaitGroup
}

// work claims and runs ranges of j until none is left.
func (j *job) work() {
	for {
		i := j.next.Add(1) - 1
		if i >= j.ranges {
			return
		}
		lo := int(i) * j.grain
		j.fn(lo, min(lo+j.grain, j.n))
		j.pending.Add(-1)
		j.wg.Done()
	}
}

var (
	startOnce sync.Once
	jobs      chan *job
	workers   int
)

// spins is the number of polls of a worker for a new loop, and of a
// caller for the end of its loop, before they block: tens of
// microseconds.
const spins = 2000

func start() {
	workers = runtime.GOMAXPROCS(0)
	jobs = make(chan *job, 4*workers)
	for range workers {
		go worker()
	}
}

// worker runs the loops published to it. After a loop it polls for the
// next one for a while before it blocks on the channel.
func worker() {
	for {
		var j *job
		for i := 0; i < spins && j == nil; i++ {
			select {
			case j = <-jobs:
			default:
				if i%64 == 63 {
					runtime.Gosched()
				}
			}
		}
		if j == nil {
			j = <-jobs
		}
		j.work()
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
// disjoint ranges. grain values below 1 are treated as 1. Calls may be
// nested: a range may itself call For.
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
	ranges := (n + grain - 1) / grain
	j := &job{fn: fn, n: n, grain: grain, ranges: int64(ranges)}
	j.pending.Store(int64(ranges))
	j.wg.Add(ranges)
	// Offer the loop to as many workers as can take part; a worker that
	// is busy elsewhere picks it up later and finds nothing left, or
	// helps with what is.
	for range min(workers, ranges-1) {
		select {
		case jobs <- j:
		default:
		}
	}
	j.work()
	for i := 0; i < spins; i++ {
		if j.pending.Load() == 0 {
			return
		}
		if i%64 == 63 {
			runtime.Gosched()
		}
	}
	j.wg.Wait()
}

// Grain returns a range length that splits n items into about
// chunksPerWorker·Workers() ranges, but never below minGrain. Use it only
// where the result of each item does not depend on the ranges.
func Grain(n, minGrain, chunksPerWorker int) int {
	g := n / (Workers() * max(chunksPerWorker, 1))
	return max(g, minGrain, 1)
}
