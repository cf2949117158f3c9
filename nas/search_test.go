package nas

import (
	"context"
	"errors"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/data"
	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/tensor"
	"github.com/autonl-go/autonl/train"
)

// tinyData returns n random 3×12×12 images in 3 classes whose label is
// the brightest channel, so that there is something to learn.
func tinyData(t testing.TB, n int, seed uint64) *data.Memory {
	rng := rand.New(rand.NewPCG(seed, 1))
	pix := make([]float32, n*3*12*12)
	labels := make([]int, n)
	for i := range labels {
		labels[i] = rng.IntN(3)
		for j := range 3 * 144 {
			pix[i*432+j] = float32(rng.NormFloat64())
			if j/144 == labels[i] {
				pix[i*432+j] += 1
			}
		}
	}
	m, err := data.NewMemory(3, 12, 12, pix, labels, []string{"r", "g", "b"})
	require.NoError(t, err)
	return m
}

// newTinySearch returns a search of tinySpace on tinyData.
func newTinySearch(t testing.TB, dir string, epochs int, target int64) *Search {
	t.Helper()
	tr, err := data.NewLoader(tinyData(t, 48, 1), data.LoaderConfig{BatchSize: 8, Shuffle: true, Seed: 3, DropLast: true})
	require.NoError(t, err)
	val, err := data.NewLoader(tinyData(t, 16, 2), data.LoaderConfig{BatchSize: 8})
	require.NoError(t, err)
	s, err := NewSearch(SearchConfig{
		Space: tinySpace(), Target: target, Train: tr, Val: val,
		Epochs: epochs, WarmupEpochs: 1, GateKeep: 0.7, ArchLR: 20, Seed: 5, OutDir: dir,
	})
	require.NoError(t, err)
	return s
}

// The search freezes the thresholds in warm-up and moves them afterwards,
// writes its outputs, and derives a network within the tolerance.
func TestSearchRun(t *testing.T) {
	dir := t.TempDir()
	probe := newTinySearch(t, "", 3, 1)
	sn := probe.Supernet()
	largest := sn.MACs(sn.Configs())
	target := largest * 6 / 10

	s := newTinySearch(t, dir, 3, target)
	thresholds := s.Supernet().Thresholds()
	res, err := s.Run(context.Background())
	require.NoError(t, err)
	require.Len(t, res.History, 3)
	// Warm-up: every gate still open after the first epoch.
	assert.Equal(t, largest, res.History[0].MACs)
	for _, ms := range res.History[0].Margins {
		for _, m := range ms {
			assert.Greater(t, m, 0.0)
		}
	}
	moved := 0
	for _, p := range thresholds {
		if p.Var.Value.Data()[0] != 0 {
			moved++
		}
	}
	assert.Equal(t, len(thresholds), moved, "every threshold moves after the warm-up")
	assert.Less(t, res.History[2].MACs, largest)
	macs := res.Derived.Cost.Total.MACs
	assert.InDelta(t, float64(target), float64(macs), 0.05*float64(target))
	assert.NotNil(t, res.Final)

	for _, f := range []string{ArchFile, ArchJSONFile, SpaceFile, ProfileFile, DecisionsFile, train.CheckpointFile, train.MetricsFile} {
		_, err := os.Stat(filepath.Join(dir, f))
		require.NoError(t, err, f)
	}
	for _, f := range []string{DecisionsPlot, MACsPlot} {
		fh, err := os.Open(filepath.Join(dir, f))
		require.NoError(t, err)
		_, err = png.Decode(fh)
		fh.Close()
		require.NoError(t, err, f)
	}
	a, err := ReadArchitecture(filepath.Join(dir, ArchJSONFile))
	require.NoError(t, err)
	d, err := a.Derive()
	require.NoError(t, err)
	assert.Equal(t, res.Derived.Arch(), d.Arch())
	b, err := os.ReadFile(filepath.Join(dir, ArchFile))
	require.NoError(t, err)
	assert.Equal(t, d.Arch(), string(b))
}

// A search interrupted and resumed ends bit for bit where an
// uninterrupted one does: weights, thresholds, history.
func TestSearchResume(t *testing.T) {
	const target = 400_000
	straight := newTinySearch(t, t.TempDir(), 3, target)
	want, err := straight.Run(context.Background())
	require.NoError(t, err)

	dir := t.TempDir()
	first := newTinySearch(t, dir, 3, target)
	ctx, cancel := context.WithCancel(context.Background())
	steps := 0
	first.stepHook = (func(train.StepInfo) {
		steps++
		if steps == 9 { // in the second epoch, after the warm-up
			cancel()
		}
	})
	_, err = first.Run(ctx)
	require.True(t, errors.Is(err, context.Canceled), "%v", err)

	second := newTinySearch(t, dir, 3, target)
	require.NoError(t, second.Resume(first.CheckpointPath()))
	got, err := second.Run(context.Background())
	require.NoError(t, err)
	require.Equal(t, len(want.History), len(got.History))
	for i := range want.History {
		w, g := want.History[i], got.History[i]
		w.Seconds, g.Seconds = 0, 0
		assert.Equal(t, w, g, "epoch %d", i+1)
	}
	ws, gs := nn.StateDict(straight.Supernet()), nn.StateDict(second.Supernet())
	for i := range ws {
		require.Equal(t, ws[i].Data, gs[i].Data, ws[i].Name)
	}
	assert.Equal(t, want.Derived.Arch(), got.Derived.Arch())

	other := newTinySearch(t, t.TempDir(), 3, target+1)
	assert.ErrorContains(t, other.Resume(first.CheckpointPath()), "MACs target")
}

func TestNewSearchErrors(t *testing.T) {
	tr, err := data.NewLoader(tinyData(t, 16, 1), data.LoaderConfig{BatchSize: 8})
	require.NoError(t, err)
	ok := SearchConfig{Space: tinySpace(), Target: 1e6, Train: tr, Epochs: 2, WarmupEpochs: 1}
	for _, tc := range []struct {
		edit func(*SearchConfig)
		want string
	}{
		{func(c *SearchConfig) { c.Train = nil }, "no training data"},
		{func(c *SearchConfig) { c.Target = 0 }, "MACs target 0"},
		{func(c *SearchConfig) { c.Epochs = 0 }, "0 epochs"},
		{func(c *SearchConfig) { c.WarmupEpochs = 2 }, "2 warm-up epochs of 2"},
		{func(c *SearchConfig) { c.GateKeep = 1.5 }, "gate keep probability 1.5"},
		{func(c *SearchConfig) { c.Space.InputSize = 16 }, "the data has 3×12×12 images in 3 classes, the space wants 3×16×16 in 3"},
		{func(c *SearchConfig) { c.Space.Kernels = nil }, "kernels: empty"},
	} {
		c := ok
		c.Space = ok.Space.Clone()
		tc.edit(&c)
		_, err := NewSearch(c)
		assert.ErrorContains(t, err, tc.want)
	}
	_, err = NewSearch(ok)
	require.NoError(t, err)
}

// Random search draws networks within the budget, trains each on its
// share of the budget, keeps the best by validation accuracy, and skips
// the candidates a previous run finished.
func TestRandomSearch(t *testing.T) {
	tr, err := data.NewLoader(tinyData(t, 48, 1), data.LoaderConfig{BatchSize: 8, Shuffle: true, Seed: 3, DropLast: true})
	require.NoError(t, err)
	val, err := data.NewLoader(tinyData(t, 16, 2), data.LoaderConfig{BatchSize: 8})
	require.NoError(t, err)
	const target = 300_000
	dir := t.TempDir()
	var log strings.Builder
	cfg := RandomConfig{Space: tinySpace(), Target: target, Train: tr, Val: val, Candidates: 3, Epochs: 2, Seed: 4, OutDir: dir, Log: &log}
	res, err := RandomSearch(context.Background(), cfg)
	require.NoError(t, err)
	require.Len(t, res.Candidates, 3)
	assert.Equal(t, 3, strings.Count(log.String(), "candidate "))
	for k, c := range res.Candidates {
		assert.InDelta(t, float64(target), float64(c.MACs), 0.05*target, "candidate %d", k)
		assert.LessOrEqual(t, c.ValAcc, res.Candidates[res.Best].ValAcc)
	}
	assert.Equal(t, res.Candidates[res.Best].Configs, res.Derived.Configs)
	a, err := ReadArchitecture(filepath.Join(dir, ArchJSONFile))
	require.NoError(t, err)
	assert.Equal(t, res.Derived.Configs, a.Configs)

	log.Reset()
	again, err := RandomSearch(context.Background(), cfg)
	require.NoError(t, err)
	assert.Equal(t, res.Candidates, again.Candidates)
	assert.Empty(t, log.String(), "finished candidates are not trained again")
	cfg.Seed = 5
	_, err = RandomSearch(context.Background(), cfg)
	assert.ErrorContains(t, err, "candidate 1 was drawn by another random search")
}

// The cost term is λ·h(log(c/T)) with h the Huber function of knee δ, and
// its gradient λ·h'(x)/c.
func TestCostTerm(t *testing.T) {
	const target, lambda, delta = 1000, 3.0, 0.05
	for _, c := range []float64{500, 960, 1000, 1030, 1200, 4000} {
		cv := autograd.Param(tensor.FromSlice([]float32{float32(c)}, 1))
		term := CostTerm(cv, target, lambda, delta)
		term.Backward()
		x := math.Log(c / target)
		want, slope := math.Abs(x)-delta/2, math.Copysign(1, x)
		if math.Abs(x) <= delta {
			want, slope = x*x/(2*delta), x/delta
		}
		assert.InDelta(t, lambda*want, float64(term.Value.Data()[0]), 1e-5, "c = %v", c)
		assert.InDelta(t, lambda*slope/c, float64(cv.Grad.Data()[0]), 1e-7, "c = %v", c)
	}
}
