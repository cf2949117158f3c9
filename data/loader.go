package data

import (
	"context"
	"fmt"
	"sync"

	"github.com/autonl-go/autonl/tensor"
)

// LoaderConfig configures a [Loader].
type LoaderConfig struct {
	// BatchSize is the number of examples in a batch, at least 1.
	BatchSize int
	// Shuffle visits the examples in a random order, a new permutation
	// each epoch determined by Seed and the epoch number. Without it
	// examples come in index order.
	Shuffle bool
	// DropLast leaves out the last batch of an epoch when it would hold
	// fewer than BatchSize examples.
	DropLast bool
	// Seed determines the shuffling and the augmentation.
	Seed uint64
	// Augment is applied to every image, before normalization.
	Augment Augment
	// Mean and Std, when set, hold one value per channel: every value v of
	// channel c becomes (v - Mean[c]) / Std[c]. Both or neither must be set.
	Mean, Std []float32
	// Workers is the number of goroutines that assemble batches; values
	// below 1 mean 1. The batches do not depend on it.
	Workers int
	// Prefetch is the number of batches prepared ahead of the consumer;
	// values below 1 mean 2.
	Prefetch int
}

// Loader turns a [Dataset] into batches for training or evaluation:
// shuffled by seed, augmented, normalized and prepared ahead of time by
// worker goroutines.
//
// Batches are reproducible: the order of epoch e is a permutation drawn
// from (Seed, e) alone, and the augmentation of an example from (Seed, e,
// the example's index in the dataset) alone, so the same seed and epoch
// give the same batches whatever the number of workers, whichever epochs
// ran before and in whatever order batches finished.
//
// A Loader is immutable and safe for concurrent use; each call of Epoch
// starts an independent pass.
type Loader struct {
	ds      Dataset
	cfg     LoaderConfig
	c, h, w int
}

// Batch is a batch of examples.
type Batch struct {
	// Images holds the images as an N×C×H×W tensor.
	Images *tensor.Tensor
	// Labels holds the N labels.
	Labels []int
	// Indices holds the N examples' indices in the dataset.
	Indices []int
}

// NewLoader returns a loader of ds with the given configuration, or an
// error naming the first invalid setting.
func NewLoader(ds Dataset, cfg LoaderConfig) (*Loader, error) {
	c, h, w := ds.Shape()
	switch {
	case cfg.BatchSize < 1:
		return nil, fmt.Errorf("data: NewLoader: batch size %d; want at least 1", cfg.BatchSize)
	case cfg.Augment.Pad < 0:
		return nil, fmt.Errorf("data: NewLoader: negative crop padding %d", cfg.Augment.Pad)
	case (cfg.Mean == nil) != (cfg.Std == nil):
		return nil, fmt.Errorf("data: NewLoader: Mean and Std must be set together")
	case cfg.Mean != nil && (len(cfg.Mean) != c || len(cfg.Std) != c):
		return nil, fmt.Errorf("data: NewLoader: %d means and %d standard deviations for %d channels", len(cfg.Mean), len(cfg.Std), c)
	}
	for ch, s := range cfg.Std {
		if !(s > 0) {
			return nil, fmt.Errorf("data: NewLoader: standard deviation %g of channel %d is not positive", s, ch)
		}
	}
	cfg.Workers = max(cfg.Workers, 1)
	if cfg.Prefetch < 1 {
		cfg.Prefetch = 2
	}
	return &Loader{ds: ds, cfg: cfg, c: c, h: h, w: w}, nil
}

// Dataset returns the loader's dataset.
func (l *Loader) Dataset() Dataset { return l.ds }

// Config returns the loader's configuration, with defaults filled in.
func (l *Loader) Config() LoaderConfig { return l.cfg }

// NumBatches returns the number of batches of an epoch.
func (l *Loader) NumBatches() int {
	n, b := l.ds.Len(), l.cfg.BatchSize
	if l.cfg.DropLast {
		return n / b
	}
	return (n + b - 1) / b
}

// Order returns the dataset indices in the order epoch visits them: a
// permutation drawn from (Seed, epoch) when shuffling, 0, 1, 2, ...
// otherwise.
func (l *Loader) Order(epoch int) []int {
	n := l.ds.Len()
	if l.cfg.Shuffle {
		return newRand(l.cfg.Seed, uint64(epoch), 0, streamShuffle).Perm(n)
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	return order
}

// Epoch starts a pass over the data as epoch number epoch and returns its
// batches. Workers start at once; call Close when done with the pass,
// whether or not it was read to the end. Cancelling ctx stops the pass too.
func (l *Loader) Epoch(ctx context.Context, epoch int) *Batches {
	ctx, cancel := context.WithCancel(ctx)
	it := &Batches{ctx: ctx, cancel: cancel, pending: make(chan *future, l.cfg.Prefetch)}
	order := l.Order(epoch)
	jobs := make(chan *future)
	it.wg.Add(1 + l.cfg.Workers)
	go func() { // dispatcher: hands out batches in order, Prefetch ahead
		defer it.wg.Done()
		defer close(jobs)
		defer close(it.pending)
		for b := range l.NumBatches() {
			f := &future{index: b, done: make(chan struct{})}
			select {
			case it.pending <- f:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- f:
			case <-ctx.Done():
				return
			}
		}
		it.complete = true // read after close(it.pending)
	}()
	for range l.cfg.Workers {
		go func() {
			defer it.wg.Done()
			for f := range jobs {
				f.batch, f.err = l.build(ctx, order, epoch, f.index)
				close(f.done)
			}
		}()
	}
	return it
}

// build assembles batch b of an epoch with the given order. A panic of the
// dataset becomes an error naming the example.
func (l *Loader) build(ctx context.Context, order []int, epoch, b int) (batch Batch, err error) {
	lo := b * l.cfg.BatchSize
	hi := min(lo+l.cfg.BatchSize, len(order))
	size := l.c * l.h * l.w
	batch = Batch{
		Images:  tensor.New(hi-lo, l.c, l.h, l.w),
		Labels:  make([]int, hi-lo),
		Indices: append([]int(nil), order[lo:hi]...),
	}
	pix := batch.Images.Data()
	var scratch []float32
	if l.cfg.Augment.Enabled() {
		scratch = make([]float32, size)
	}
	cur := -1
	defer func() {
		if r := recover(); r != nil {
			batch, err = Batch{}, fmt.Errorf("data: Loader: epoch %d, batch %d, example %d: %v", epoch, b, cur, r)
		}
	}()
	for j, idx := range batch.Indices {
		if j%16 == 0 && ctx.Err() != nil {
			return Batch{}, ctx.Err()
		}
		cur = idx
		dst := pix[j*size : (j+1)*size]
		if scratch != nil {
			batch.Labels[j] = l.ds.Example(idx, scratch)
			rng := newRand(l.cfg.Seed, uint64(epoch), uint64(idx), streamAugment)
			l.cfg.Augment.Apply(dst, scratch, l.c, l.h, l.w, rng)
		} else {
			batch.Labels[j] = l.ds.Example(idx, dst)
		}
		if l.cfg.Mean != nil {
			plane := l.h * l.w
			for ch := range l.c {
				m, inv := l.cfg.Mean[ch], 1/l.cfg.Std[ch]
				p := dst[ch*plane : (ch+1)*plane]
				for k, v := range p {
					p[k] = (v - m) * inv
				}
			}
		}
	}
	return batch, nil
}

// future is a batch being prepared.
type future struct {
	index int
	done  chan struct{} // closed when batch and err are set
	batch Batch
	err   error
}

// Batches is one pass over a [Loader]'s data, read like a bufio.Scanner:
//
//	it := loader.Epoch(ctx, epoch)
//	defer it.Close()
//	for it.Next() {
//		b := it.Batch()
//		...
//	}
//	if err := it.Err(); err != nil { ... }
//
// A Batches is for one goroutine.
type Batches struct {
	ctx     context.Context
	cancel  context.CancelFunc
	pending chan *future
	wg      sync.WaitGroup
	cur     Batch
	err     error
	done    bool
	// complete is set by the dispatcher once it has handed out every
	// batch, before it closes pending.
	complete bool
}

// Next advances to the next batch and reports whether there is one. It
// returns false at the end of the epoch, after Close, when the context is
// cancelled or when assembling a batch failed; Err tells which.
func (it *Batches) Next() bool {
	if it.done {
		return false
	}
	select {
	case f, ok := <-it.pending:
		if !ok {
			if it.complete {
				it.stop(nil)
			} else {
				it.stop(it.ctx.Err())
			}
			return false
		}
		select {
		case <-f.done:
		case <-it.ctx.Done():
			it.stop(it.ctx.Err())
			return false
		}
		if f.err != nil {
			it.stop(f.err)
			return false
		}
		it.cur = f.batch
		return true
	case <-it.ctx.Done():
		it.stop(it.ctx.Err())
		return false
	}
}

// Batch returns the batch that the last successful Next advanced to. The
// batch is the caller's: the loader keeps no reference to it.
func (it *Batches) Batch() Batch { return it.cur }

// Err returns the error that ended the pass early, or nil when it ended
// normally or was closed: the context's error when it was cancelled, or the
// error of a batch whose dataset panicked.
func (it *Batches) Err() error { return it.err }

// Close stops the pass and waits until its goroutines have exited. It may
// be called more than once, and after the pass ended.
func (it *Batches) Close() {
	if !it.done {
		it.done = true
		it.cur = Batch{}
	}
	it.cancel()
	it.wg.Wait()
}

// stop ends the pass with err (nil for a normal end).
func (it *Batches) stop(err error) {
	it.done = true
	it.err = err
	it.cur = Batch{}
	it.cancel()
	it.wg.Wait()
}
