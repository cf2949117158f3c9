package nas

import (
	"context"
	"errors"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/stat"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/data"
	"github.com/autonl-go/autonl/models"
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
		Epochs: epochs, WarmupEpochs: 1, GateKeep: 0.7, ArchLR: 20, CostDual: 3, Seed: 5, OutDir: dir,
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
	largest := sn.MACs(sn.Choices())
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
		{func(c *SearchConfig) { c.SearchKeep = -1 }, "search keep probability -1"},
		{func(c *SearchConfig) { c.GrowEpochs = 1.5 }, "1.5 growing epochs; want 0 or more, at most the 1 warm-up epochs"},
		{func(c *SearchConfig) { c.CostDual = -1 }, "cost dual rate -1; want a finite rate of 0 or more"},
		{func(c *SearchConfig) { c.CostDual = math.NaN() }, "cost dual rate NaN"},
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
	assert.Equal(t, res.Candidates[res.Best].Choices, res.Derived.Choices)
	a, err := ReadArchitecture(filepath.Join(dir, ArchJSONFile))
	require.NoError(t, err)
	assert.Equal(t, res.Derived.Choices, a.Choices)

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

// The dual ascent on the cost weight: after the ramp, λ grows by
// exp(rate·v/n) per step while the network lies outside the tolerance (v
// the distance beyond it in tolerances, at most 1), shrinks within it,
// and stays between CostWeight and 1000·CostWeight; rate 0 turns it off.
func TestCostDual(t *testing.T) {
	s := newTinySearch(t, "", 3, 400_000)
	s.warm = 6
	assert.Equal(t, 1.0, s.costWeight(2), "no ramp: the full weight, also in warm-up")
	s.cfg.CostRamp = 1
	n := float64(s.cfg.Train.NumBatches()) // 6 steps per epoch
	lambda := func() float64 { return s.costWeight(100) }
	for _, tc := range []struct {
		step  int
		ratio float64 // C/T
		want  float64 // λ after the step
	}{
		{6, 2, 1},     // in the ramp: no ascent
		{11, 2, 1},    // the last step of the ramp
		{12, 1.02, 1}, // within the tolerance, λ at its floor
		{12, 1.075, math.Exp(3 * 0.5 / n)},
		{13, 0.925, math.Exp(3 * 1 / n)},
		{14, 3, math.Exp(3 * 2 / n)}, // v clamped at 1
		{15, 1, math.Exp(3 * 1 / n)}, // at the target: v = −1
		{16, 1.01, math.Exp(3 * 0.2 / n)},
		{17, 1.04, 1}, // not below CostWeight
	} {
		s.lastCostRatio = tc.ratio
		s.ascendDual(tc.step)
		assert.InDelta(t, tc.want, lambda(), 1e-12, "step %d, C/T %v", tc.step, tc.ratio)
	}
	for range 1000 {
		s.lastCostRatio = 2
		s.ascendDual(20)
	}
	assert.InDelta(t, 1000, lambda(), 1e-9, "λ's bound")

	s.cfg.CostDual, s.dual = 0, 0
	s.ascendDual(20)
	assert.Equal(t, 1.0, lambda(), "no dual ascent at rate 0")
}

// From the first architecture step, the classification loss reaches every
// gate: each threshold's gradient from the loss is non-zero (the supernet's
// LightNL blocks start with γ = 0.25, so their gates multiply a non-zero
// output).
func TestLossReachesEveryGate(t *testing.T) {
	tr, err := data.NewLoader(tinyData(t, 48, 1), data.LoaderConfig{BatchSize: 8, Shuffle: true, Seed: 3, DropLast: true})
	require.NoError(t, err)
	for _, twoLevel := range []bool{false, true} {
		cfg := SearchConfig{Space: tinySpace(), Target: 400_000, Train: tr, Epochs: 2, WarmupEpochs: 1, NonLocalGamma: 0.25, Seed: 5}
		if twoLevel {
			cfg.ArchTrain, err = data.NewLoader(tinyData(t, 16, 2), data.LoaderConfig{BatchSize: 8, Shuffle: true, Seed: 4})
			require.NoError(t, err)
		}
		s, err := NewSearch(cfg)
		require.NoError(t, err)
		var first [][]float64
		s.stepHook = func(st train.StepInfo) {
			if first == nil && s.ep.ArchSteps == 1 {
				for _, g := range s.ep.GradLoss {
					first = append(first, slices.Clone(g))
				}
			}
		}
		_, err = s.Run(context.Background())
		require.NoError(t, err)
		require.NotNil(t, first, "two-level %v: no architecture step", twoLevel)
		for li, l := range s.Supernet().Layers {
			for gi, g := range l.Gates {
				assert.NotZero(t, first[li][gi], "two-level %v: layer %d gate %s: the loss's gradient at the first architecture step", twoLevel, li, g.Name)
			}
		}
	}

	// With the released code's γ = 0, the loss does not reach the LightNL
	// gates: the reason for NonLocalGamma.
	n, err := NewSupernet(tinySpace(), newRNG(1))
	require.NoError(t, err)
	x := autograd.Const(tensor.Normal(newRNG(2), 0, 1, 3, 3, 12, 12))
	nn.CrossEntropyLoss{}.Forward(n.Forward(x), []int{0, 1, 2}).Backward()
	for _, l := range n.Layers {
		for i, g := range l.Gates {
			if g.Kind == NonLocalGate {
				assert.Zero(t, l.Thresholds[i].Grad.Data()[0], "γ = 0: layer %d %s", l.Spec.Index, g.Name)
			}
		}
	}
}

// Resume refuses a search whose schedule differs from the checkpoint's,
// and names the setting.
func TestResumeRefusesChangedSchedule(t *testing.T) {
	dir := t.TempDir()
	first := newTinySearch(t, dir, 2, 400_000)
	ctx, cancel := context.WithCancel(context.Background())
	first.stepHook = func(train.StepInfo) { cancel() }
	_, err := first.Run(ctx)
	require.ErrorIs(t, err, context.Canceled)
	tr, err := data.NewLoader(tinyData(t, 48, 1), data.LoaderConfig{BatchSize: 8, Shuffle: true, Seed: 3, DropLast: true})
	require.NoError(t, err)
	for _, tc := range []struct {
		edit func(*SearchConfig)
		want string
	}{
		{func(c *SearchConfig) { c.Epochs = 3 }, "epochs 2, not 3"},
		{func(c *SearchConfig) { c.WarmupEpochs = 0.5 }, "warmup_epochs 1, not 0.5"},
		{func(c *SearchConfig) { c.ArchLR = 2 }, "arch_lr 20, not 2"},
		{func(c *SearchConfig) { c.CostWeight = 3 }, "cost_weight 1, not 3"},
		{func(c *SearchConfig) { c.CostRamp = 1 }, "cost_ramp 0, not 1"},
		{func(c *SearchConfig) { c.CostDual = 1 }, "cost_dual 3, not 1"},
		{func(c *SearchConfig) { c.NonLocalGamma = 0.5 }, "nonlocal_gamma 0, not 0.5"},
		{func(c *SearchConfig) { c.GateKeep = 0.6 }, "gate_keep 0.7, not 0.6"},
		{func(c *SearchConfig) { c.SearchKeep = 0.5 }, "search_keep 1, not 0.5"},
		{func(c *SearchConfig) { c.GrowEpochs = 0.5 }, "grow_epochs 0, not 0.5"},
		{func(c *SearchConfig) { c.CostOnly = true }, "cost_only false, not true"},
	} {
		cfg := first.cfg
		cfg.Train = tr
		tc.edit(&cfg)
		s, err := NewSearch(cfg)
		require.NoError(t, err)
		err = s.Resume(first.CheckpointPath())
		require.Error(t, err)
		assert.Contains(t, err.Error(), tc.want)
		assert.Contains(t, err.Error(), "a resumed search must keep the schedule it began with")
	}
}

// recalibrate sets every batch norm's running statistics to the average
// of its batch statistics over the training batches, for the network
// without gate dropout: checked exactly on the stem, whose batch norm sees
// the stem convolution of the images, and on the whole network by its
// loss, which running statistics that describe another network (here:
// corrupted ones) spoil. The batch norms' momentum and every module's
// mode are restored.
func TestRecalibrate(t *testing.T) {
	probe := newTinySearch(t, "", 4, 1).Supernet()
	s := newTinySearch(t, "", 4, probe.MACs(probe.Choices()))
	_, err := s.Run(context.Background())
	require.NoError(t, err)
	var stem *models.ConvBNAct
	var bns []*nn.BatchNorm2d
	nn.Walk(s.net, func(_ string, m nn.Module) {
		switch m := m.(type) {
		case *models.ConvBNAct:
			if stem == nil {
				stem = m
			}
		case *nn.BatchNorm2d:
			bns = append(bns, m)
		}
	})
	require.NotNil(t, stem)
	momentum := stem.BN.Momentum

	// The loss on the training batches, in evaluation mode.
	loss := func() float64 {
		restore := nn.EvalMode(s.net)
		defer restore()
		it := s.cfg.Train.Epoch(context.Background(), 0)
		defer it.Close()
		var sum float64
		var n int
		for it.Next() {
			b := it.Batch()
			autograd.NoGrad(func() {
				sum += float64(autograd.CrossEntropy(s.net.Forward(autograd.Const(b.Images)), b.Labels, 0).Value.Item())
			})
			n++
		}
		require.NoError(t, it.Err())
		return sum / float64(n)
	}
	// The stem's batch statistics averaged over the batches recalibrate
	// takes (all of them: tinyData has fewer than recalibrateBatches).
	c := stem.BN.Channels
	wantMean, wantVar := make([]float64, c), make([]float64, c)
	it := s.cfg.Train.Epoch(context.Background(), 0)
	batches := 0
	for it.Next() {
		var out *tensor.Tensor
		autograd.NoGrad(func() { out = stem.Conv.Forward(autograd.Const(it.Batch().Images)).Value })
		sh := out.Shape()
		plane := sh[2] * sh[3]
		m := sh[0] * plane
		for ch := range c {
			var sum, sq float64
			for i := range sh[0] {
				for _, v := range out.Data()[(i*c+ch)*plane : (i*c+ch+1)*plane] {
					sum += float64(v)
					sq += float64(v) * float64(v)
				}
			}
			mean := sum / float64(m)
			wantMean[ch] += mean
			wantVar[ch] += (sq/float64(m) - mean*mean) * float64(m) / float64(m-1)
		}
		batches++
	}
	require.NoError(t, it.Err())
	it.Close()
	require.Less(t, batches, recalibrateBatches)

	for _, bn := range bns {
		bn.RunningMean.Fill(1)
		bn.RunningVar.Fill(9)
	}
	corrupted := loss()
	s.recalibrate(0)
	recalibrated := loss()
	t.Logf("training loss with corrupted running statistics %.4f, recalibrated %.4f", corrupted, recalibrated)
	assert.Less(t, recalibrated, corrupted/2)
	for ch := range c {
		assert.InDelta(t, wantMean[ch]/float64(batches), stem.BN.RunningMean.Data()[ch], 1e-4, "channel %d", ch)
		assert.InDelta(t, wantVar[ch]/float64(batches), stem.BN.RunningVar.Data()[ch], 1e-3, "channel %d", ch)
	}
	for _, bn := range bns {
		assert.Equal(t, momentum, bn.Momentum)
	}
	nn.Walk(s.net, func(name string, m nn.Module) {
		assert.True(t, m.Registry().Training(), "%s left in evaluation mode", name)
	})
}

// With GrowEpochs, the first steps train growNetwork, and the steps after
// them the supernet's gates.
func TestGrow(t *testing.T) {
	tr, err := data.NewLoader(tinyData(t, 48, 1), data.LoaderConfig{BatchSize: 8, Shuffle: true, Seed: 3, DropLast: true})
	require.NoError(t, err)
	s, err := NewSearch(SearchConfig{Space: tinySpace(), Target: 400_000, Train: tr, Epochs: 3, WarmupEpochs: 2, GrowEpochs: 1, Seed: 5})
	require.NoError(t, err)
	spe := tr.NumBatches()
	grown := s.Supernet().growNetwork()
	var forced []bool
	s.stepHook = func(st train.StepInfo) {
		// The gates of the next step.
		cs := s.Supernet().Choices()
		small := s.Supernet().Layers[0].forced != nil
		if small {
			assert.Equal(t, grown, cs, "step %d", st.Step)
		}
		forced = append(forced, small)
	}
	_, err = s.Run(context.Background())
	require.NoError(t, err)
	require.Len(t, forced, 3*spe)
	for i, f := range forced {
		// forced[i] describes step i+1 (counted from 0).
		assert.Equal(t, i+1 < spe, f, "step %d", i+1)
	}
}

// The growing ends at the first step whose last growWindow steps of
// growNetwork reached (1 + 1/k)/2 training accuracy, before GrowEpochs,
// and a search interrupted while growing resumes bit for bit.
func TestGrowEndsEarly(t *testing.T) {
	defer func(w int) { growWindow = w }(growWindow)
	growWindow = 3
	newSearch := func(dir string) *Search {
		tr, err := data.NewLoader(tinyData(t, 48, 1), data.LoaderConfig{BatchSize: 8, Shuffle: true, Seed: 3, DropLast: true})
		require.NoError(t, err)
		val, err := data.NewLoader(tinyData(t, 16, 2), data.LoaderConfig{BatchSize: 8})
		require.NoError(t, err)
		s, err := NewSearch(SearchConfig{Space: tinySpace(), Target: 400_000, Train: tr, Val: val, Epochs: 4, WarmupEpochs: 3, GrowEpochs: 3, Seed: 5, OutDir: dir})
		require.NoError(t, err)
		return s
	}
	straight := newSearch(t.TempDir())
	spe := straight.cfg.Train.NumBatches()
	var acc []float64
	var forced []bool
	straight.stepHook = func(st train.StepInfo) {
		acc = append(acc, st.Accuracy)
		forced = append(forced, straight.Supernet().Layers[0].forced != nil)
	}
	want, err := straight.Run(context.Background())
	require.NoError(t, err)
	// forced[i] says whether step i+1 (counted from 0) trains growNetwork.
	end := slices.Index(forced, false) + 1
	require.Greater(t, end, growWindow, "the growing ended before its window filled")
	require.Less(t, end, 3*spe, "the growing did not end early")
	for i := growWindow; i <= end; i++ {
		m := stat.Mean(acc[i-growWindow:i], nil)
		if i < end {
			assert.Less(t, m, 2.0/3, "steps %d to %d", i-growWindow, i-1)
		} else {
			assert.GreaterOrEqual(t, m, 2.0/3, "steps %d to %d", i-growWindow, i-1)
		}
	}
	assert.NotContains(t, forced[end:], true, "growing again after it ended")

	dir := t.TempDir()
	first := newSearch(dir)
	ctx, cancel := context.WithCancel(context.Background())
	first.stepHook = func(st train.StepInfo) {
		if st.Step == end-1 { // the window partly filled, growing
			cancel()
		}
	}
	_, err = first.Run(ctx)
	require.ErrorIs(t, err, context.Canceled)
	second := newSearch(dir)
	require.NoError(t, second.Resume(first.CheckpointPath()))
	got, err := second.Run(context.Background())
	require.NoError(t, err)
	for i := range want.History {
		w, g := want.History[i], got.History[i]
		w.Seconds, g.Seconds = 0, 0
		assert.Equal(t, w, g, "epoch %d", i+1)
	}
	assert.Equal(t, want.Derived.Arch(), got.Derived.Arch())
}
