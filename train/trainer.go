package train

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/data"
	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/nn/optim"
	"github.com/autonl-go/autonl/tensor"
)

// Names of the files that a Trainer writes into Config.OutDir.
const (
	CheckpointFile = "checkpoint.safetensors"
	MetricsFile    = "metrics.csv"
	LossPlotFile   = "loss.png"
	AccPlotFile    = "accuracy.png"
)

// RandSource is a random source whose state can be saved and restored,
// such as *rand.PCG or *rand.ChaCha8 of math/rand/v2. A Trainer saves the
// state of the sources in Config.RandSources in its checkpoints, so that
// the random draws of a model (dropout masks, say) continue exactly after
// a resume.
type RandSource interface {
	MarshalBinary() ([]byte, error)
	UnmarshalBinary([]byte) error
}

// Config configures a Trainer. Model, Train, Optimizer and Epochs are
// required; the other fields are optional.
type Config struct {
	// Model is the network to train: its output for a batch of N images
	// must be N×K logits for the K classes of the training data.
	Model nn.Module
	// Train supplies the training batches. Its order and augmentation are
	// functions of its seed and the epoch number, which is what makes
	// resumption exact.
	Train *data.Loader
	// Test, if set, is evaluated at the end of every epoch. It should
	// neither shuffle nor augment.
	Test *data.Loader
	// Loss is the training loss; its LabelSmoothing applies to training
	// only (the test loss is plain cross-entropy).
	Loss nn.CrossEntropyLoss
	// Optimizer updates the model's parameters. It must own exactly the
	// parameters to train, under their nn.NamedParams names.
	Optimizer optim.Optimizer
	// Schedule gives the learning rate of every step from the optimizer's
	// step count; nil keeps the optimizer's learning rate.
	Schedule optim.Schedule
	// EMA, if set, is updated after every optimizer step, and the test
	// set is evaluated with the averaged weights.
	EMA *optim.EMA
	// ClipGradNorm, if positive, clips the global L2 norm of the
	// gradients to this value before every step.
	ClipGradNorm float64
	// Epochs is the number of epochs to train in total, counting those of
	// a resumed checkpoint.
	Epochs int
	// OutDir, if set, receives the checkpoint, the metrics CSV and the
	// plots after every epoch (see CheckpointFile and friends); it is
	// created if needed.
	OutDir string
	// Log receives one line per epoch and notes such as where a
	// checkpoint went; nil discards them.
	Log io.Writer
	// Progress receives a progress bar with rate and ETA while an epoch
	// runs; nil shows none. An *os.File that is not a terminal, such as
	// a redirected os.Stderr, shows none either, leaving Log's lines.
	Progress io.Writer
	// RandSources are saved in checkpoints and restored by Resume.
	RandSources []RandSource
	// Metadata is stored in every checkpoint, for the program that
	// trains to rebuild the model from it (ReadCheckpoint returns it).
	// Keys must not start with "train.", "optim." or "ema.".
	Metadata map[string]string
	// OnStep, if set, is called after every optimizer step.
	OnStep func(StepInfo)
	// Regularizer, if set, is called in every training step after the
	// model's forward pass; its result, a Var of one element, is added to
	// the loss before the backward pass. It is for terms that depend on
	// what the forward pass computed, such as a search's cost term. Its
	// value is reported in StepInfo, not in the training loss.
	Regularizer func() *autograd.Var
	// OnEpoch, if set, is called after each epoch's evaluation and
	// before the epoch's checkpoint and outputs are written, so that what
	// it records goes into them; an error stops Run.
	OnEpoch func(EpochMetrics) error
	// CheckpointMetadata, if set, is called whenever a checkpoint is
	// written; its entries are stored besides Metadata, for state that
	// changes during training (ReadCheckpoint returns them with the
	// rest). Its keys must not be keys of Metadata or start with "train.",
	// "optim." or "ema.".
	CheckpointMetadata func() map[string]string
}

// StepInfo describes one training step, for Config.OnStep.
type StepInfo struct {
	// Epoch counts from 0; Batch is the batch's index in its epoch; Step
	// is the optimizer's step count after the step.
	Epoch, Batch, Step int
	// LR is the learning rate the step used.
	LR float64
	// Loss is the batch's training loss, Accuracy the fraction of its
	// examples that the model (in training mode) classified correctly.
	Loss, Accuracy float64
	// Regularizer is the value of Config.Regularizer's term (0 without
	// one).
	Regularizer float64
}

// EpochMetrics are the figures of one completed epoch, one row of the
// metrics CSV.
type EpochMetrics struct {
	// Epoch counts completed epochs: 1 for the first.
	Epoch int `json:"epoch"`
	// Step is the optimizer's step count at the end of the epoch.
	Step int `json:"step"`
	// LR is the learning rate of the epoch's last step.
	LR float64 `json:"lr"`
	// TrainLoss and TrainAcc are the means over the epoch's batches of
	// the training loss and accuracy, weighted by batch size.
	TrainLoss float64 `json:"train_loss"`
	TrainAcc  float64 `json:"train_acc"`
	// TestLoss and TestAcc are the test set's, NaN without a test set.
	TestLoss float64 `json:"test_loss"`
	TestAcc  float64 `json:"test_acc"`
	// Seconds is the training time since the start of the run, resumed
	// sessions included, at the end of the epoch.
	Seconds float64 `json:"seconds"`
}

// Result is what Run returns.
type Result struct {
	// History holds the metrics of every completed epoch, resumed ones
	// included.
	History []EpochMetrics
	// Final is the last evaluation on the test set (with the EMA weights
	// if there is an EMA), or nil without a test set.
	Final *EvalResult
}

// Trainer trains a classifier for a number of epochs, evaluating,
// checkpointing and reporting as it goes, and resumes exactly from its
// checkpoints. Make one with New.
type Trainer struct {
	cfg    Config
	params []nn.Param
	bar    barOutput

	// Position: completed epochs, and batches done of the next one with
	// the sums of its running metrics.
	epoch, batch int
	part         partial
	// Time spent in earlier sessions, and the start of this one.
	before  float64
	started time.Time

	history []EpochMetrics
	final   *EvalResult
}

// partial holds the running sums of an epoch's training metrics.
type partial struct {
	LossSum float64 `json:"loss_sum"`
	Correct int     `json:"correct"`
	Seen    int     `json:"seen"`
}

// New checks cfg and returns a trainer at epoch 0. Call Resume to continue
// from a checkpoint instead.
func New(cfg Config) (*Trainer, error) {
	switch {
	case cfg.Model == nil:
		return nil, errors.New("train: New: no model")
	case cfg.Train == nil:
		return nil, errors.New("train: New: no training data")
	case cfg.Optimizer == nil:
		return nil, errors.New("train: New: no optimizer")
	case cfg.Epochs < 1:
		return nil, fmt.Errorf("train: New: %d epochs; want at least 1", cfg.Epochs)
	case cfg.ClipGradNorm < 0 || math.IsNaN(cfg.ClipGradNorm):
		return nil, fmt.Errorf("train: New: gradient clipping norm %v; want 0 (off) or more", cfg.ClipGradNorm)
	case cfg.Loss.LabelSmoothing < 0 || cfg.Loss.LabelSmoothing > 1:
		return nil, fmt.Errorf("train: New: label smoothing %v; want a value in [0, 1]", cfg.Loss.LabelSmoothing)
	}
	if cfg.Test != nil {
		tc, th, tw := cfg.Test.Dataset().Shape()
		c, h, w := cfg.Train.Dataset().Shape()
		if tc != c || th != h || tw != w || len(cfg.Test.Dataset().Classes()) != len(cfg.Train.Dataset().Classes()) {
			return nil, fmt.Errorf("train: New: test images %d×%d×%d in %d classes, training images %d×%d×%d in %d classes",
				tc, th, tw, len(cfg.Test.Dataset().Classes()), c, h, w, len(cfg.Train.Dataset().Classes()))
		}
	}
	for k := range cfg.Metadata {
		if hasReservedPrefix(k) {
			return nil, fmt.Errorf("train: New: metadata key %q uses a reserved prefix (train., optim., ema.)", k)
		}
	}
	for _, t := range nn.StateDict(cfg.Model) {
		if hasReservedPrefix(t.Name) {
			return nil, fmt.Errorf("train: New: model state %q uses a reserved prefix (optim., ema.) of checkpoints", t.Name)
		}
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	return &Trainer{cfg: cfg, params: nn.NamedParams(cfg.Model), bar: newBarOutput(cfg.Progress)}, nil
}

func hasReservedPrefix(k string) bool {
	return strings.HasPrefix(k, "train.") || strings.HasPrefix(k, "optim.") || strings.HasPrefix(k, "ema.")
}

// Epoch returns the number of completed epochs.
func (t *Trainer) Epoch() int { return t.epoch }

// History returns the metrics of the completed epochs.
func (t *Trainer) History() []EpochMetrics { return t.history }

// CheckpointPath returns where the trainer writes its checkpoint, or "" if
// Config.OutDir is empty.
func (t *Trainer) CheckpointPath() string {
	if t.cfg.OutDir == "" {
		return ""
	}
	return filepath.Join(t.cfg.OutDir, CheckpointFile)
}

// Run trains until Config.Epochs epochs are complete. After each epoch it
// evaluates the test set, logs a line, and (with an OutDir) writes the
// checkpoint, the metrics CSV and the plots.
//
// When ctx is cancelled, as by an interrupt with signal.NotifyContext,
// Run stops after the step in progress, writes a checkpoint of that point
// (the interrupted epoch is not counted as completed: the checkpoint
// records how many of its batches are done), and returns an error that
// wraps ctx's error. Resume from that checkpoint continues with the next
// batch and ends with the same weights as an uninterrupted run.
func (t *Trainer) Run(ctx context.Context) (Result, error) {
	t.started = time.Now()
	defer func() { t.before, t.started = t.elapsed(), time.Time{} }()
	if t.cfg.OutDir != "" {
		if err := os.MkdirAll(t.cfg.OutDir, 0o755); err != nil {
			return t.result(), fmt.Errorf("train: %w", err)
		}
	}
	ranEpoch := false
	for t.epoch < t.cfg.Epochs {
		err := t.runEpoch(ctx)
		if err == nil {
			ranEpoch = true
			continue
		}
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			where := fmt.Sprintf("in epoch %d after %d of %d batches", t.epoch+1, t.batch, t.cfg.Train.NumBatches())
			if t.cfg.OutDir == "" {
				return t.result(), fmt.Errorf("train: interrupted %s (no checkpoint: no output directory): %w", where, err)
			}
			if serr := t.SaveCheckpoint(t.CheckpointPath()); serr != nil {
				return t.result(), fmt.Errorf("train: interrupted %s, and saving the checkpoint failed: %v: %w", where, serr, err)
			}
			return t.result(), fmt.Errorf("train: interrupted %s; checkpoint %s: %w", where, t.CheckpointPath(), err)
		}
		return t.result(), err
	}
	if !ranEpoch && t.cfg.Test != nil {
		// Nothing left to train (a finished run resumed): evaluate once
		// so that the result has a final evaluation.
		res, err := t.evaluate(ctx)
		if err != nil {
			return t.result(), err
		}
		t.final = &res
	}
	return t.result(), nil
}

func (t *Trainer) result() Result {
	return Result{History: t.history, Final: t.final}
}

// elapsed returns the training time of the run so far.
func (t *Trainer) elapsed() float64 {
	if t.started.IsZero() {
		return t.before
	}
	return t.before + time.Since(t.started).Seconds()
}

// runEpoch trains the rest of epoch t.epoch and evaluates it. On error,
// t.batch and t.part describe exactly the steps taken.
func (t *Trainer) runEpoch(ctx context.Context) error {
	n := t.cfg.Train.NumBatches()
	epochStart := time.Now()
	startBatch := t.batch
	if t.batch < n {
		if err := t.trainBatches(ctx, n); err != nil {
			return err
		}
	}
	m := EpochMetrics{
		Epoch:     t.epoch + 1,
		Step:      t.cfg.Optimizer.Steps(),
		LR:        t.cfg.Optimizer.LR(),
		TrainLoss: t.part.LossSum / float64(max(t.part.Seen, 1)),
		TrainAcc:  float64(t.part.Correct) / float64(max(t.part.Seen, 1)),
		TestLoss:  math.NaN(),
		TestAcc:   math.NaN(),
	}
	if t.cfg.Test != nil {
		res, err := t.evaluate(ctx)
		if err != nil {
			return err
		}
		m.TestLoss, m.TestAcc = res.Loss, res.Accuracy()
		t.final = &res
	}
	m.Seconds = t.elapsed()
	t.history = append(t.history, m)
	t.epoch++
	t.batch, t.part = 0, partial{}
	fmt.Fprintln(t.cfg.Log, t.epochLine(m, n-startBatch, time.Since(epochStart)))
	if t.cfg.OnEpoch != nil {
		if err := t.cfg.OnEpoch(m); err != nil {
			return err
		}
	}
	if t.cfg.OutDir != "" {
		if err := t.writeOutputs(); err != nil {
			return err
		}
	}
	return nil
}

// trainBatches trains batches t.batch to n-1 of epoch t.epoch.
func (t *Trainer) trainBatches(ctx context.Context, n int) error {
	it := t.cfg.Train.Epoch(ctx, t.epoch)
	defer it.Close()
	// Skip the batches a resumed checkpoint has done already: the order
	// is a function of (seed, epoch), so the rest is what it would have
	// been.
	for range t.batch {
		if !it.Next() {
			return t.loaderEnded(it, ctx)
		}
		tensor.Release(it.Batch().Images)
	}
	bar := t.bar.start(n-t.batch, t.barDescription())
	for t.batch < n {
		if err := ctx.Err(); err != nil {
			bar.abort()
			return err
		}
		if !it.Next() {
			bar.abort()
			return t.loaderEnded(it, ctx)
		}
		if err := t.step(it.Batch()); err != nil {
			bar.abort()
			return err
		}
		bar.advance(t.barDescription())
	}
	bar.finish()
	return nil
}

// loaderEnded explains why the training loader stopped before the end of
// an epoch.
func (t *Trainer) loaderEnded(it *data.Batches, ctx context.Context) error {
	if err := it.Err(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("train: epoch %d: %w", t.epoch+1, err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return fmt.Errorf("train: epoch %d: the loader ended after %d batches; want %d", t.epoch+1, t.batch, t.cfg.Train.NumBatches())
}

// step takes one optimizer step on batch b.
func (t *Trainer) step(b data.Batch) error {
	cfg := &t.cfg
	if cfg.Schedule != nil {
		cfg.Optimizer.SetLR(cfg.Schedule.LR(cfg.Optimizer.Steps()))
	}
	lr := cfg.Optimizer.LR()
	cfg.Optimizer.ZeroGrad()
	logits := cfg.Model.Forward(autograd.Const(b.Images))
	if err := checkLogits(logits, len(b.Labels), len(cfg.Train.Dataset().Classes())); err != nil {
		return err
	}
	correct := 0
	for i, p := range tensor.ArgMax(logits.Value, 1) {
		if p == b.Labels[i] {
			correct++
		}
	}
	loss := cfg.Loss.Forward(logits, b.Labels)
	lv := float64(loss.Value.Item())
	var rv float64
	if cfg.Regularizer != nil {
		r := cfg.Regularizer()
		if r.Value.Len() != 1 {
			loss.ReleaseGraph()
			return fmt.Errorf("train: epoch %d, batch %d: the regularizer has shape %v; want one element", t.epoch+1, t.batch, r.Shape())
		}
		rv = float64(r.Value.Data()[0])
		loss = autograd.Add(loss, autograd.Reshape(r, loss.Shape()...))
	}
	if math.IsNaN(lv+rv) || math.IsInf(lv+rv, 0) {
		loss.ReleaseGraph()
		return fmt.Errorf("train: epoch %d, batch %d (step %d): the loss is %v (regularizer %v); try a lower learning rate or gradient clipping",
			t.epoch+1, t.batch, cfg.Optimizer.Steps()+1, lv, rv)
	}
	loss.Backward()
	if cfg.ClipGradNorm > 0 {
		optim.ClipGradNorm(t.params, cfg.ClipGradNorm)
	}
	cfg.Optimizer.Step()
	if cfg.EMA != nil {
		cfg.EMA.Update()
	}
	loss.ReleaseGraph()
	tensor.Release(b.Images)

	n := len(b.Labels)
	t.part.LossSum += lv * float64(n)
	t.part.Correct += correct
	t.part.Seen += n
	if cfg.OnStep != nil {
		cfg.OnStep(StepInfo{
			Epoch: t.epoch, Batch: t.batch, Step: cfg.Optimizer.Steps(), LR: lr,
			Loss: lv, Accuracy: float64(correct) / float64(n), Regularizer: rv,
		})
	}
	t.batch++
	return nil
}

// evaluate evaluates the test set, with the EMA weights if there are any.
func (t *Trainer) evaluate(ctx context.Context) (EvalResult, error) {
	if t.cfg.EMA != nil {
		t.cfg.EMA.Apply()
		defer t.cfg.EMA.Restore()
	}
	bar := t.bar.start(t.cfg.Test.NumBatches(), fmt.Sprintf("epoch %d/%d test", min(t.epoch+1, t.cfg.Epochs), t.cfg.Epochs))
	res, err := Evaluate(ctx, t.cfg.Model, t.cfg.Test, func(int) { bar.advance("") })
	if err != nil {
		bar.abort()
		return res, err
	}
	bar.finish()
	return res, nil
}

func (t *Trainer) barDescription() string {
	s := fmt.Sprintf("epoch %d/%d", t.epoch+1, t.cfg.Epochs)
	if t.part.Seen > 0 {
		s += fmt.Sprintf(" loss %.4f acc %5.1f%%", t.part.LossSum/float64(t.part.Seen), 100*float64(t.part.Correct)/float64(t.part.Seen))
	}
	return s
}

// epochLine formats the log line of a completed epoch, which took d for
// batches batches in this session.
func (t *Trainer) epochLine(m EpochMetrics, batches int, d time.Duration) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "epoch %d/%d  lr %.4g  train loss %.4f acc %.2f%%", m.Epoch, t.cfg.Epochs, m.LR, m.TrainLoss, 100*m.TrainAcc)
	if !math.IsNaN(m.TestAcc) {
		fmt.Fprintf(&sb, "  test loss %.4f acc %.2f%%", m.TestLoss, 100*m.TestAcc)
	}
	images := batches * t.cfg.Train.Config().BatchSize
	fmt.Fprintf(&sb, "  %s", d.Round(100*time.Millisecond))
	if s := d.Seconds(); s > 0 {
		fmt.Fprintf(&sb, " (%.0f img/s)", float64(images)/s)
	}
	if left := t.cfg.Epochs - m.Epoch; left > 0 {
		eta := time.Duration(float64(left) * d.Seconds() * float64(time.Second))
		fmt.Fprintf(&sb, "  ETA %s", eta.Round(time.Second))
	}
	return sb.String()
}

// writeOutputs writes the checkpoint, the metrics and the plots.
func (t *Trainer) writeOutputs() error {
	if err := t.SaveCheckpoint(t.CheckpointPath()); err != nil {
		return err
	}
	if err := WriteMetricsCSV(filepath.Join(t.cfg.OutDir, MetricsFile), t.history); err != nil {
		return err
	}
	return WritePlots(t.cfg.OutDir, t.history)
}
