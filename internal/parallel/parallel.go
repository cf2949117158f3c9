// Package parallel runs loops on a persistent pool of worker goroutines,
// GOMAXPROCS−1 of them (GOMAXPROCS at the time of first use), and on the
// goroutine that calls For.
//
// Work is split into ranges whose boundaries depend only on the loop length
// and the grain the caller gives, never on the number of workers, so a
// kernel that writes each output from exactly one range computes bit-for-bit
// the same result whatever GOMAXPROCS is.
//
// The caller of a loop takes part in it, so that the caller and the
// workers together never want more threads than there are to run them (a
// worker that holds no thread delays the loop it took by a scheduler time
// slice). A loop is published once to the idle workers; the caller and the
// workers then claim its ranges one at a time with an atomic counter, so
// that a range costs an atomic addition rather than a message, and whoever
// is free takes the next range. Workers poll for the next loop, and the
// waiting caller for the end of its loop, for spinTime before they block
// (a waiting caller meanwhile helps with other published loops, such as
// the nested loops of the ranges it waits for): an inference at batch 1
// runs a loop every 50–100 µs, with gaps of microseconds to tens of
// microseconds between them, and waking a parked goroutine costs 10–50 µs
// on a virtual machine.
package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
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

// spinTime is how long a worker polls for a new loop, and a caller for
// the end of its loop, before it blocks; pollsPerCheck polls go between
// looks at the clock and yields of the thread (runtime.Gosched, so that
// other goroutines that want it get it).
const (
	spinTime      = 200 * time.Microsecond
	pollsPerCheck = 64
)

func start() {
	workers = runtime.GOMAXPROCS(0)
	jobs = make(chan *job, 4*workers)
	for range workers - 1 {
		go worker()
	}
}

// worker runs the loops published to it. After a loop it polls for the
// next one for spinTime before it blocks on the channel.
func worker() {
	for {
		j := poll()
		if j == nil {
			j = <-jobs
		}
		j.work()
	}
}

// poll returns the next published loop if one comes within spinTime, nil
// otherwise.
func poll() *job {
	var sp spinner
	for {
		select {
		case j := <-jobs:
			return j
		default:
		}
		if sp.expired() {
			return nil
		}
	}
}

// spinner paces a goroutine that polls: every pollsPerCheck polls it
// looks at the clock and yields the thread.
type spinner struct {
	polls    int
	deadline time.Time
}

// expired counts a poll and reports whether spinTime has passed since
// the first look at the clock.
func (sp *spinner) expired() bool {
	sp.polls++
	if sp.polls%pollsPerCheck != 0 {
		return false
	}
	now := time.Now()
	if sp.deadline.IsZero() {
		sp.deadline = now.Add(spinTime)
	} else if now.After(sp.deadline) {
		return true
	}
	runtime.Gosched()
	return false
}

// Workers returns the number of goroutines that run a loop's ranges: the
// pool's GOMAXPROCS−1 workers and the caller.
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
	for range min(workers-1, ranges-1) {
		select {
		case jobs <- j:
		default:
		}
	}
	j.work()
	// Wait for the ranges that others run, helping meanwhile with any
	// loop published to the pool: a loop that one of them started inside
	// a range of j (nested For), which no idle worker is left to take.
	var sp spinner
	for j.pending.Load() != 0 {
		select {
		case h := <-jobs:
			h.work()
			continue
		default:
		}
		if sp.expired() {
			j.wg.Wait()
			return
		}
	}
}

// Grain returns a range length that splits n items into about
// chunksPerWorker·Workers() ranges, but never below minGrain. Use it only
// where the result of each item does not depend on the ranges.
func Grain(n, minGrain, chunksPerWorker int) int {
	g := n / (Workers() * max(chunksPerWorker, 1))
	return max(g, minGrain, 1)
}
