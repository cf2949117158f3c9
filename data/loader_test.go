package data

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// collect reads a whole epoch.
func collect(t *testing.T, l *Loader, epoch int) []Batch {
	t.Helper()
	it := l.Epoch(context.Background(), epoch)
	defer it.Close()
	var out []Batch
	for it.Next() {
		out = append(out, it.Batch())
	}
	require.NoError(t, it.Err())
	return out
}

func TestLoaderBatching(t *testing.T) {
	tests := []struct {
		n, batch int
		dropLast bool
		sizes    []int
	}{
		{10, 4, false, []int{4, 4, 2}},
		{10, 4, true, []int{4, 4}},
		{8, 4, true, []int{4, 4}},
		{8, 4, false, []int{4, 4}},
		{3, 5, false, []int{3}},
		{3, 5, true, nil},
		{0, 2, false, nil},
	}
	for _, tt := range tests {
		for _, shuffle := range []bool{false, true} {
			t.Run(fmt.Sprintf("n=%d batch=%d drop=%v shuffle=%v", tt.n, tt.batch, tt.dropLast, shuffle), func(t *testing.T) {
				ds := memDataset(t, tt.n, 2, 1, 3, 3)
				l, err := NewLoader(ds, LoaderConfig{BatchSize: tt.batch, DropLast: tt.dropLast, Shuffle: shuffle, Seed: 5, Workers: 2})
				require.NoError(t, err)
				assert.Equal(t, len(tt.sizes), l.NumBatches())
				batches := collect(t, l, 0)
				require.Len(t, batches, len(tt.sizes))
				seen := map[int]int{}
				k := 0
				order := l.Order(0)
				for b, batch := range batches {
					assert.Equal(t, []int{tt.sizes[b], 2, 1, 3}, batch.Images.Shape())
					require.Len(t, batch.Labels, tt.sizes[b])
					for j, idx := range batch.Indices {
						assert.Equal(t, order[k], idx, "batches follow Order")
						k++
						seen[idx]++
						assert.Equal(t, idx%3, batch.Labels[j])
						want := []float32{0, 1, 2, 3, 4, 5}
						for v := range want {
							want[v] += float32(idx * 1000)
						}
						assert.Equal(t, want, batch.Images.Data()[j*6:(j+1)*6])
					}
				}
				if !tt.dropLast {
					assert.Len(t, seen, tt.n, "every example once per epoch")
				}
				for idx, c := range seen {
					assert.Equal(t, 1, c, "example %d", idx)
				}
				if !shuffle {
					for i, idx := range order {
						assert.Equal(t, i, idx)
					}
				}
			})
		}
	}
}

func TestLoaderShuffleSeeds(t *testing.T) {
	ds := memDataset(t, 50, 1, 1, 1, 2)
	mk := func(seed uint64) *Loader {
		l, err := NewLoader(ds, LoaderConfig{BatchSize: 7, Shuffle: true, Seed: seed})
		require.NoError(t, err)
		return l
	}
	a, b := mk(1), mk(2)
	assert.Equal(t, a.Order(3), mk(1).Order(3), "same seed and epoch, same order")
	assert.NotEqual(t, a.Order(3), a.Order(4), "each epoch has its own order")
	assert.NotEqual(t, a.Order(3), b.Order(3), "each seed has its own order")
}

// TestLoaderDeterminism checks that batches, with shuffling and
// augmentation, do not depend on the number of workers or the prefetch
// depth, nor on which epochs ran before.
func TestLoaderDeterminism(t *testing.T) {
	ds, err := NewSynthetic(SyntheticConfig{N: 37, Seed: 3, Size: 24, Noise: 0.05, Clutter: 3})
	require.NoError(t, err)
	mean, std := ChannelStats(ds, 0)
	cfg := LoaderConfig{BatchSize: 8, Shuffle: true, Seed: 11, Augment: Augment{Pad: 2, FlipH: true}, Mean: mean, Std: std}
	var ref [][]Batch
	for _, workers := range []int{1, 2, 5} {
		for _, prefetch := range []int{1, 3} {
			cfg.Workers, cfg.Prefetch = workers, prefetch
			l, err := NewLoader(ds, cfg)
			require.NoError(t, err)
			epochs := [][]Batch{collect(t, l, 1), collect(t, l, 0)} // out of order on purpose
			if ref == nil {
				ref = epochs
				assert.NotEqual(t, ref[0][0].Indices, ref[1][0].Indices)
				continue
			}
			for e := range epochs {
				require.Len(t, epochs[e], len(ref[e]))
				for b := range epochs[e] {
					assert.Equal(t, ref[e][b].Indices, epochs[e][b].Indices, "workers=%d epoch %d batch %d", workers, e, b)
					assert.Equal(t, ref[e][b].Labels, epochs[e][b].Labels)
					assert.Equal(t, ref[e][b].Images.Data(), epochs[e][b].Images.Data(), "workers=%d prefetch=%d epoch %d batch %d", workers, prefetch, e, b)
				}
			}
		}
	}
}

func TestCropPadFlip(t *testing.T) {
	// A 1×2×3 image and its crops with pad 1.
	src := []float32{
		1, 2, 3,
		4, 5, 6,
	}
	tests := []struct {
		dy, dx int
		want   []float32
	}{
		{1, 1, []float32{1, 2, 3, 4, 5, 6}},
		{0, 0, []float32{0, 0, 0, 0, 1, 2}},
		{2, 2, []float32{5, 6, 0, 0, 0, 0}},
		{1, 0, []float32{0, 1, 2, 0, 4, 5}},
		{0, 2, []float32{0, 0, 0, 2, 3, 0}},
	}
	for _, tt := range tests {
		dst := make([]float32, 6)
		CropPad(dst, src, 1, 2, 3, 1, tt.dy, tt.dx)
		assert.Equal(t, tt.want, dst, "dy=%d dx=%d", tt.dy, tt.dx)
	}
	// Two channels, pad 2, offset (0, 4): shifted up-left by... down 2, left 2.
	two := []float32{1, 2, 3, 4, 10, 20, 30, 40} // 2×2×2
	dst := make([]float32, 8)
	CropPad(dst, two, 2, 2, 2, 1, 2, 0)
	assert.Equal(t, []float32{0, 3, 0, 0, 0, 30, 0, 0}, dst)

	img := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12} // 2×2×3
	FlipHorizontal(img, 2, 2, 3)
	assert.Equal(t, []float32{3, 2, 1, 6, 5, 4, 9, 8, 7, 12, 11, 10}, img)
	assert.Panics(t, func() { FlipHorizontal(img, 1, 2, 3) })
	assert.Panics(t, func() { CropPad(dst, src, 1, 2, 3, 1, 0, 0) })
}

func TestAugmentApply(t *testing.T) {
	src := []float32{1, 2, 3, 4, 5, 6}
	tests := []struct {
		name string
		aug  Augment
	}{
		{"none", Augment{}},
		{"flip", Augment{FlipH: true}},
		{"crop", Augment{Pad: 1}},
		{"both", Augment{Pad: 2, FlipH: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			outcomes := map[string]bool{}
			for seed := range uint64(200) {
				dst := make([]float32, 6)
				tt.aug.Apply(dst, src, 1, 2, 3, rand.New(rand.NewPCG(seed, 0)))
				// Replay the documented draws.
				rng := rand.New(rand.NewPCG(seed, 0))
				want := append([]float32(nil), src...)
				if tt.aug.Pad > 0 {
					dy, dx := rng.IntN(2*tt.aug.Pad+1), rng.IntN(2*tt.aug.Pad+1)
					CropPad(want, src, 1, 2, 3, tt.aug.Pad, dy, dx)
				}
				if tt.aug.FlipH && rng.IntN(2) == 1 {
					FlipHorizontal(want, 1, 2, 3)
				}
				assert.Equal(t, want, dst)
				outcomes[fmt.Sprint(dst)] = true
			}
			// Every crop offset and flip occurs.
			all := map[string]bool{}
			for dy := range 2*tt.aug.Pad + 1 {
				for dx := range 2*tt.aug.Pad + 1 {
					for _, flip := range []bool{false, tt.aug.FlipH} {
						c := make([]float32, 6)
						CropPad(c, src, 1, 2, 3, tt.aug.Pad, dy, dx)
						if flip {
							FlipHorizontal(c, 1, 2, 3)
						}
						all[fmt.Sprint(c)] = true
					}
				}
			}
			assert.Equal(t, all, outcomes)
		})
	}
}

// TestLoaderAugmentation checks that the loader applies the documented
// augmentation, from (seed, epoch, index), then normalizes.
func TestLoaderAugmentation(t *testing.T) {
	ds := memDataset(t, 6, 2, 2, 3, 2)
	aug := Augment{Pad: 1, FlipH: true}
	mean, std := []float32{1000, 2}, []float32{2, 4}
	l, err := NewLoader(ds, LoaderConfig{BatchSize: 4, Shuffle: true, Seed: 9, Augment: aug, Mean: mean, Std: std, Workers: 3})
	require.NoError(t, err)
	flips := 0
	for epoch := range 3 {
		for _, b := range collect(t, l, epoch) {
			for j, idx := range b.Indices {
				src, _ := Get(ds, idx)
				want := make([]float32, 12)
				aug.Apply(want, src, 2, 2, 3, newRand(9, uint64(epoch), uint64(idx), streamAugment))
				for k := range want {
					want[k] = (want[k] - mean[k/6]) / std[k/6]
				}
				got := b.Images.Data()[j*12 : (j+1)*12]
				assert.InDeltaSlice(t, want, got, 1e-4)
				// The centre crop unflipped would be src itself; check the
				// outcome is one of the 18 possible transforms.
				found := false
				for dy := range 3 {
					for dx := range 3 {
						for _, flip := range []bool{false, true} {
							c := make([]float32, 12)
							CropPad(c, src, 2, 2, 3, 1, dy, dx)
							if flip {
								FlipHorizontal(c, 2, 2, 3)
							}
							match := true
							for k := range c {
								match = match && abs32((c[k]-mean[k/6])/std[k/6]-got[k]) < 1e-3
							}
							if match && flip {
								flips++
							}
							found = found || match
						}
					}
				}
				assert.True(t, found, "epoch %d example %d is a crop and flip of the original", epoch, idx)
			}
		}
	}
	assert.Greater(t, flips, 0)
}

func abs32(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}

func TestNewLoaderErrors(t *testing.T) {
	ds := memDataset(t, 4, 2, 1, 1, 2)
	tests := []struct {
		cfg  LoaderConfig
		want string
	}{
		{LoaderConfig{}, "batch size 0"},
		{LoaderConfig{BatchSize: 1, Augment: Augment{Pad: -1}}, "negative crop padding -1"},
		{LoaderConfig{BatchSize: 1, Mean: []float32{0, 0}}, "Mean and Std must be set together"},
		{LoaderConfig{BatchSize: 1, Mean: []float32{0}, Std: []float32{1}}, "1 means and 1 standard deviations for 2 channels"},
		{LoaderConfig{BatchSize: 1, Mean: []float32{0, 0}, Std: []float32{1, 0}}, "standard deviation 0 of channel 1 is not positive"},
	}
	for _, tt := range tests {
		_, err := NewLoader(ds, tt.cfg)
		assert.ErrorContains(t, err, tt.want)
	}
	l, err := NewLoader(ds, LoaderConfig{BatchSize: 1})
	require.NoError(t, err)
	assert.Equal(t, 1, l.Config().Workers)
	assert.Equal(t, 2, l.Config().Prefetch)
	assert.Same(t, ds, l.Dataset())
}

// slowDataset sleeps in Example, and panics on example panicAt.
type slowDataset struct {
	*Memory
	delay   time.Duration
	panicAt int
	calls   atomic.Int64
}

func (s *slowDataset) Example(i int, dst []float32) int {
	s.calls.Add(1)
	time.Sleep(s.delay)
	if i == s.panicAt {
		panic("boom")
	}
	return s.Memory.Example(i, dst)
}

// waitGoroutines waits until at most n goroutines run.
func waitGoroutines(t *testing.T, n int) {
	t.Helper()
	for range 200 {
		if runtime.NumGoroutine() <= n {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	buf := make([]byte, 1<<16)
	t.Errorf("%d goroutines still run, want at most %d:\n%s", runtime.NumGoroutine(), n, buf[:runtime.Stack(buf, true)])
}

func TestLoaderShutdown(t *testing.T) {
	ds := &slowDataset{Memory: memDataset(t, 200, 1, 1, 1, 2), delay: time.Millisecond, panicAt: -1}
	l, err := NewLoader(ds, LoaderConfig{BatchSize: 4, Workers: 3, Prefetch: 2})
	require.NoError(t, err)

	t.Run("close early", func(t *testing.T) {
		base := runtime.NumGoroutine()
		it := l.Epoch(context.Background(), 0)
		require.True(t, it.Next())
		require.True(t, it.Next())
		it.Close()
		assert.False(t, it.Next())
		assert.NoError(t, it.Err())
		it.Close() // twice is fine
		waitGoroutines(t, base)
	})
	t.Run("cancel", func(t *testing.T) {
		base := runtime.NumGoroutine()
		ctx, cancel := context.WithCancel(context.Background())
		it := l.Epoch(ctx, 0)
		defer it.Close()
		require.True(t, it.Next())
		cancel()
		for it.Next() {
		}
		assert.ErrorIs(t, it.Err(), context.Canceled)
		it.Close()
		waitGoroutines(t, base)
	})
	t.Run("bounded prefetch", func(t *testing.T) {
		// With nobody reading, workers prepare only the Prefetch queued
		// batches, although at 1 ms per example on 3 workers they could
		// have prepared many more in 100 ms.
		ds.calls.Store(0)
		it := l.Epoch(context.Background(), 0)
		time.Sleep(100 * time.Millisecond)
		assert.LessOrEqual(t, ds.calls.Load(), int64(2*4))
		n := 0
		for it.Next() {
			n++
		}
		assert.Equal(t, 50, n)
		it.Close()
	})
	t.Run("panic", func(t *testing.T) {
		base := runtime.NumGoroutine()
		ds := &slowDataset{Memory: memDataset(t, 20, 1, 1, 1, 2), panicAt: 13}
		l, err := NewLoader(ds, LoaderConfig{BatchSize: 4, Workers: 2})
		require.NoError(t, err)
		it := l.Epoch(context.Background(), 0)
		n := 0
		for it.Next() {
			n++
		}
		assert.Equal(t, 3, n, "batches before the failing one")
		assert.EqualError(t, it.Err(), "data: Loader: epoch 0, batch 3, example 13: boom")
		it.Close()
		waitGoroutines(t, base)
	})
}
