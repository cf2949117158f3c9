package train

import (
	"context"
	"encoding/csv"
	"errors"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/nn/optim"
	"github.com/autonl-go/autonl/safetensors"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Training two epochs straight and one epoch, then one more resumed from
// the checkpoint in a fresh trainer, ends with bit-identical weights, batch
// norm buffers, optimizer and EMA state, random source and metrics.
func TestResumeBitIdentical(t *testing.T) {
	straight, straightModel := newTrainer(t, setup{epochs: 2, ema: true, outDir: t.TempDir()})
	want := run(t, straight)
	require.Len(t, want.History, 2)

	dir := t.TempDir()
	first, _ := newTrainer(t, setup{epochs: 1, ema: true, outDir: dir})
	run(t, first)

	resumed, resumedModel := newTrainer(t, setup{epochs: 2, ema: true, outDir: dir})
	require.NoError(t, resumed.Resume(filepath.Join(dir, CheckpointFile)))
	require.Equal(t, 1, resumed.Epoch())
	got := run(t, resumed)

	requireSameState(t, straightModel, resumedModel)
	requireSameCheckpoint(t, straight.CheckpointPath(), resumed.CheckpointPath())
	requireSameHistory(t, want.History, got.History)
	require.NotNil(t, got.Final)
	assert.Equal(t, want.Final.Correct, got.Final.Correct)
	assert.Equal(t, want.Final.Confusion.Counts, got.Final.Confusion.Counts)
}

// requireSameCheckpoint checks that two checkpoints hold the same tensors
// (model, optimizer, EMA) and the same random-source state.
func requireSameCheckpoint(t *testing.T, a, b string) {
	t.Helper()
	fa, err := safetensors.ReadFile(a)
	require.NoError(t, err)
	fb, err := safetensors.ReadFile(b)
	require.NoError(t, err)
	require.Equal(t, fa.Names(), fb.Names())
	for _, name := range fa.Names() {
		da, _, err := fa.Float32(name)
		require.NoError(t, err)
		db, _, err := fb.Float32(name)
		require.NoError(t, err)
		require.Equal(t, da, db, "tensor %s", name)
	}
	for _, k := range []string{metaEpoch, metaBatch, metaRNG, metaPartial, "optim.optim.steps", "optim.optim.lr", "ema.ema.updates"} {
		require.Equal(t, fa.Metadata[k], fb.Metadata[k], "metadata %s", k)
	}
}

func requireSameHistory(t *testing.T, want, got []EpochMetrics) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		w, g := want[i], got[i]
		w.Seconds, g.Seconds = 0, 0
		for _, m := range []*EpochMetrics{&w, &g} {
			if math.IsNaN(m.TestLoss) && math.IsNaN(m.TestAcc) {
				m.TestLoss, m.TestAcc = -1, -1 // NaN ≠ NaN
			}
		}
		require.Equal(t, w, g, "epoch %d", i+1)
	}
}

// Cancelling the context (as Ctrl-C does through signal.NotifyContext)
// stops training after the current step and writes a checkpoint that does
// not count the interrupted epoch; resuming from it finishes with the same
// weights as an uninterrupted run.
func TestInterruptAndResume(t *testing.T) {
	straight, straightModel := newTrainer(t, setup{epochs: 2})
	want := run(t, straight)

	// {0, 3}: after the last batch of epoch 1, during its evaluation.
	for _, stopAt := range []struct{ epoch, batch int }{{0, 1}, {1, 2}, {0, 3}} {
		dir := t.TempDir()
		ctx, cancel := context.WithCancel(context.Background())
		interrupted, _ := newTrainer(t, setup{epochs: 2, outDir: dir, onStep: func(s StepInfo) {
			if s.Epoch == stopAt.epoch && s.Batch+1 == stopAt.batch {
				cancel()
			}
		}})
		_, err := interrupted.Run(ctx)
		cancel()
		require.ErrorIs(t, err, context.Canceled)
		require.ErrorContains(t, err, "interrupted in epoch")

		ck, err := ReadCheckpoint(filepath.Join(dir, CheckpointFile))
		require.NoError(t, err)
		assert.Equal(t, stopAt.epoch, ck.Epoch, "completed epochs")
		assert.Equal(t, stopAt.batch, ck.Batch, "batches done of the interrupted epoch")
		assert.Len(t, ck.History, stopAt.epoch)
		assert.Equal(t, "tiny", ck.Metadata["model"])

		resumed, resumedModel := newTrainer(t, setup{epochs: 2, outDir: dir})
		require.NoError(t, resumed.Resume(filepath.Join(dir, CheckpointFile)))
		got := run(t, resumed)
		requireSameState(t, straightModel, resumedModel)
		requireSameHistory(t, want.History, got.History)
	}
}

// A run writes the metrics CSV and the two plots.
func TestOutputs(t *testing.T) {
	dir := t.TempDir()
	tr, _ := newTrainer(t, setup{epochs: 3, outDir: dir})
	res := run(t, tr)

	f, err := os.Open(filepath.Join(dir, MetricsFile))
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 4)
	require.Equal(t, MetricsHeader, rows[0])
	for i, row := range rows[1:] {
		m := res.History[i]
		assert.Equal(t, strconv.Itoa(i+1), row[0])
		assert.Equal(t, strconv.Itoa(3*(i+1)), row[1], "48 examples in batches of 16: 3 steps per epoch")
		for j, want := range []float64{m.LR, m.TrainLoss, m.TrainAcc, m.TestLoss, m.TestAcc} {
			v, err := strconv.ParseFloat(row[2+j], 64)
			require.NoError(t, err)
			assert.InEpsilon(t, want, v, 1e-6, "column %s", rows[0][2+j])
		}
		acc, _ := strconv.ParseFloat(row[6], 64)
		assert.True(t, acc >= 0 && acc <= 1)
		sec, err := strconv.ParseFloat(row[7], 64)
		require.NoError(t, err)
		assert.GreaterOrEqual(t, sec, 0.0)
	}
	last := res.History[len(res.History)-1]
	assert.Equal(t, res.Final.Accuracy(), last.TestAcc)
	assert.Equal(t, res.Final.Total, 20)

	for _, name := range []string{LossPlotFile, AccPlotFile} {
		f, err := os.Open(filepath.Join(dir, name))
		require.NoError(t, err)
		img, err := png.Decode(f)
		f.Close()
		require.NoError(t, err, name)
		assert.Greater(t, img.Bounds().Dx(), 100)
	}
}

// Without a test set the test columns stay empty and the plots still draw.
func TestNoTestSet(t *testing.T) {
	dir := t.TempDir()
	tr, _ := newTrainer(t, setup{epochs: 1, outDir: dir, noTest: true})
	res := run(t, tr)
	require.Nil(t, res.Final)
	assert.True(t, math.IsNaN(res.History[0].TestAcc))
	b, err := os.ReadFile(filepath.Join(dir, MetricsFile))
	require.NoError(t, err)
	rows, err := csv.NewReader(bytesReader(b)).ReadAll()
	require.NoError(t, err)
	assert.Equal(t, "", rows[1][5])
	assert.Equal(t, "", rows[1][6])
	_, err = os.Stat(filepath.Join(dir, AccPlotFile))
	require.NoError(t, err)

	// The history survives the checkpoint's JSON, NaN included.
	ck, err := ReadCheckpoint(filepath.Join(dir, CheckpointFile))
	require.NoError(t, err)
	requireSameHistory(t, res.History, ck.History)
}

// Resuming a finished run trains nothing and evaluates once.
func TestResumeFinished(t *testing.T) {
	dir := t.TempDir()
	tr, _ := newTrainer(t, setup{epochs: 1, outDir: dir})
	want := run(t, tr)
	again, _ := newTrainer(t, setup{epochs: 1, outDir: dir})
	require.NoError(t, again.Resume(tr.CheckpointPath()))
	got := run(t, again)
	requireSameHistory(t, want.History, got.History)
	require.NotNil(t, got.Final)
	assert.Equal(t, want.Final.Correct, got.Final.Correct)
}

// Resume refuses checkpoints of a different data order or EMA setting,
// before changing anything.
func TestResumeMismatch(t *testing.T) {
	dir := t.TempDir()
	tr, _ := newTrainer(t, setup{epochs: 1, outDir: dir})
	run(t, tr)
	path := tr.CheckpointPath()

	other, _ := newTrainer(t, setup{epochs: 2, seed: 2})
	require.ErrorContains(t, other.Resume(path), "different batches")
	other, _ = newTrainer(t, setup{epochs: 2, batch: 8})
	require.ErrorContains(t, other.Resume(path), "batch 16")
	other, _ = newTrainer(t, setup{epochs: 2, ema: true})
	require.ErrorContains(t, other.Resume(path), "EMA")

	require.NoError(t, safetensors.WriteFile(filepath.Join(dir, "plain.safetensors"), nil, nil))
	_, err := ReadCheckpoint(filepath.Join(dir, "plain.safetensors"))
	require.ErrorContains(t, err, "not a training checkpoint")
	_, err = ReadCheckpoint(filepath.Join(dir, "missing.safetensors"))
	require.Error(t, err)
}

// The checkpoint's EMA weights load into a model for evaluation.
func TestCheckpointLoadModel(t *testing.T) {
	dir := t.TempDir()
	tr, model := newTrainer(t, setup{epochs: 1, outDir: dir, ema: true})
	res := run(t, tr)

	ck, err := ReadCheckpoint(tr.CheckpointPath())
	require.NoError(t, err)
	require.True(t, ck.HasEMA)
	fresh, freshModel := newTrainer(t, setup{epochs: 1, seed: 5})
	_ = fresh
	used, err := ck.LoadModel(freshModel, true)
	require.NoError(t, err)
	require.True(t, used)
	ev, err := Evaluate(context.Background(), freshModel, tr.cfg.Test, nil)
	require.NoError(t, err)
	assert.Equal(t, res.Final.Correct, ev.Correct)
	assert.Equal(t, res.Final.Loss, ev.Loss)

	used, err = ck.LoadModel(freshModel, false)
	require.NoError(t, err)
	require.False(t, used)
	requireSameState(t, model, freshModel)
}

func TestNewErrors(t *testing.T) {
	tr, _ := newTrainer(t, setup{epochs: 1})
	good := tr.cfg
	for name, tc := range map[string]struct {
		edit func(*Config)
		want string
	}{
		"no model":     {func(c *Config) { c.Model = nil }, "no model"},
		"no data":      {func(c *Config) { c.Train = nil }, "no training data"},
		"no optimizer": {func(c *Config) { c.Optimizer = nil }, "no optimizer"},
		"epochs":       {func(c *Config) { c.Epochs = 0 }, "0 epochs"},
		"clip":         {func(c *Config) { c.ClipGradNorm = -1 }, "clipping"},
		"smoothing":    {func(c *Config) { c.Loss.LabelSmoothing = 2 }, "label smoothing"},
		"metadata":     {func(c *Config) { c.Metadata = map[string]string{"train.x": ""} }, "reserved"},
	} {
		c := good
		tc.edit(&c)
		_, err := New(c)
		require.ErrorContains(t, err, tc.want, name)
	}
}

// The regularizer's gradient joins the loss's; OnEpoch runs once per epoch
// before the checkpoint that CheckpointMetadata writes into.
func TestHooks(t *testing.T) {
	const c = 3
	steps := func(reg bool) (nn.Module, []StepInfo) {
		tr, model := newTrainer(t, setup{epochs: 1, trainN: 16, batch: 16})
		params := nn.NamedParams(model)
		tr.cfg.Optimizer = optim.NewSGD(optim.OneGroup(params), optim.SGDConfig{LR: 0.1})
		tr.cfg.Schedule, tr.cfg.ClipGradNorm = nil, 0
		var infos []StepInfo
		tr.cfg.OnStep = func(s StepInfo) { infos = append(infos, s) }
		if reg {
			w := params[len(params)-2].Var // the classifier's weight
			tr.cfg.Regularizer = func() *autograd.Var { return autograd.MulScalar(autograd.Sum(autograd.Mul(w, w), false), c) }
		}
		before := params[len(params)-2].Var.Value.Clone()
		run(t, tr)
		if reg {
			var sq float64
			for _, v := range before.Data() {
				sq += float64(v) * float64(v)
			}
			require.Len(t, infos, 1)
			assert.InEpsilon(t, c*sq, infos[0].Regularizer, 1e-5)
		}
		return model, infos
	}
	plain, _ := steps(false)
	regd, _ := steps(true)
	w0 := nn.NamedParams(tinyNet(rand.New(rand.NewPCG(1, 99)), 3, 2))
	pw, rw := nn.NamedParams(plain), nn.NamedParams(regd)
	k := len(pw) - 2
	for i, v := range pw[k].Var.Value.Data() {
		want := float64(v) - 0.1*2*c*float64(w0[k].Var.Value.Data()[i])
		assert.InDelta(t, want, float64(rw[k].Var.Value.Data()[i]), 1e-5, "element %d", i)
	}
	for i := range pw[:k] {
		assert.Equal(t, pw[i].Var.Value.Data(), rw[i].Var.Value.Data(), "%s: the regularizer touches only the classifier", pw[i].Name)
	}

	dir := t.TempDir()
	tr, _ := newTrainer(t, setup{epochs: 3, outDir: dir})
	calls := 0
	tr.cfg.OnEpoch = func(m EpochMetrics) error {
		calls++
		assert.Equal(t, calls, m.Epoch)
		return nil
	}
	tr.cfg.CheckpointMetadata = func() map[string]string { return map[string]string{"search.epochs": strconv.Itoa(calls)} }
	run(t, tr)
	assert.Equal(t, 3, calls)
	ck, err := ReadCheckpoint(tr.CheckpointPath())
	require.NoError(t, err)
	assert.Equal(t, "3", ck.Metadata["search.epochs"])

	tr, _ = newTrainer(t, setup{epochs: 1, outDir: t.TempDir()})
	tr.cfg.CheckpointMetadata = func() map[string]string { return map[string]string{"model": "x"} }
	_, err = tr.Run(context.Background())
	assert.ErrorContains(t, err, `checkpoint metadata key "model" is taken or reserved`)
	tr, _ = newTrainer(t, setup{epochs: 1})
	tr.cfg.OnEpoch = func(EpochMetrics) error { return errors.New("stop") }
	_, err = tr.Run(context.Background())
	assert.EqualError(t, err, "stop")
}
