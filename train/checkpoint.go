package train

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/nn/optim"
	"github.com/autonl-go/autonl/safetensors"
)

// Checkpoint layout. A checkpoint is one .safetensors file holding
//
//   - the model's state dict under its own names ("features.0.weight"),
//     so that the file is also a plain model checkpoint;
//   - the optimizer's State with every tensor name and metadata key
//     prefixed "optim." (optim.State.Prefix);
//   - the EMA's State, if any, prefixed "ema.";
//   - the trainer's position and record in metadata keys starting with
//     "train.", and the caller's Config.Metadata as it is.
const (
	checkpointFormat = "autonl-train/1"

	metaFormat  = "train.format"
	metaEpoch   = "train.epoch"   // completed epochs
	metaEpochs  = "train.epochs"  // Config.Epochs, for the record
	metaBatch   = "train.batch"   // batches done of the next epoch
	metaPartial = "train.partial" // JSON partial: running sums of that epoch
	metaSeconds = "train.seconds" // training time so far
	metaHistory = "train.history" // JSON []EpochMetrics, NaN as null
	metaData    = "train.data"    // JSON dataFingerprint of the training loader
	metaRNG     = "train.rng"     // JSON [][]byte: the RandSources' states
	metaEMA     = "train.ema"     // "true" if the file holds EMA state
	metaConfig  = "train.config"  // JSON of the loss and clipping settings, informative

	optimPrefix = "optim."
	emaPrefix   = "ema."
)

// dataFingerprint identifies the order of the training batches: the same
// fingerprint gives the same batches in every epoch.
type dataFingerprint struct {
	Seed      uint64 `json:"seed"`
	BatchSize int    `json:"batch_size"`
	Examples  int    `json:"examples"`
	Classes   int    `json:"classes"`
	Shuffle   bool   `json:"shuffle"`
	DropLast  bool   `json:"drop_last"`
	Augment   string `json:"augment"`
}

func (t *Trainer) fingerprint() dataFingerprint {
	c := t.cfg.Train.Config()
	return dataFingerprint{
		Seed: c.Seed, BatchSize: c.BatchSize, Examples: t.cfg.Train.Dataset().Len(),
		Classes: len(t.cfg.Train.Dataset().Classes()), Shuffle: c.Shuffle, DropLast: c.DropLast,
		Augment: fmt.Sprintf("pad=%d flip=%t", c.Augment.Pad, c.Augment.FlipH),
	}
}

// jsonMetrics is EpochMetrics with NaN, which JSON lacks, as null.
type jsonMetrics struct {
	Epoch     int      `json:"epoch"`
	Step      int      `json:"step"`
	LR        float64  `json:"lr"`
	TrainLoss *float64 `json:"train_loss"`
	TrainAcc  *float64 `json:"train_acc"`
	TestLoss  *float64 `json:"test_loss"`
	TestAcc   *float64 `json:"test_acc"`
	Seconds   float64  `json:"seconds"`
}

func nullable(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

func fromNullable(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

func encodeHistory(h []EpochMetrics) string {
	js := make([]jsonMetrics, len(h))
	for i, m := range h {
		js[i] = jsonMetrics{m.Epoch, m.Step, m.LR, nullable(m.TrainLoss), nullable(m.TrainAcc),
			nullable(m.TestLoss), nullable(m.TestAcc), m.Seconds}
	}
	b, _ := json.Marshal(js)
	return string(b)
}

func decodeHistory(s string) ([]EpochMetrics, error) {
	var js []jsonMetrics
	if err := json.Unmarshal([]byte(s), &js); err != nil {
		return nil, err
	}
	h := make([]EpochMetrics, len(js))
	for i, m := range js {
		h[i] = EpochMetrics{m.Epoch, m.Step, m.LR, fromNullable(m.TrainLoss), fromNullable(m.TrainAcc),
			fromNullable(m.TestLoss), fromNullable(m.TestAcc), m.Seconds}
	}
	return h, nil
}

// SaveCheckpoint writes the trainer's complete state to path, atomically
// (safetensors.WriteFile): the model's parameters and buffers, the
// optimizer's and the EMA's state, the random sources, the position in
// training (completed epochs and batches done of the next), the metrics
// history and Config.Metadata. Run calls it after every epoch and when
// interrupted; Resume reads it back.
func (t *Trainer) SaveCheckpoint(path string) error {
	if t.cfg.EMA != nil && t.cfg.EMA.Applied() {
		return errors.New("train: SaveCheckpoint: the EMA averages are applied to the model")
	}
	meta := map[string]string{}
	for k, v := range t.cfg.Metadata {
		meta[k] = v
	}
	if t.cfg.CheckpointMetadata != nil {
		for k, v := range t.cfg.CheckpointMetadata() {
			if _, dup := meta[k]; dup || hasReservedPrefix(k) {
				return fmt.Errorf("train: SaveCheckpoint: checkpoint metadata key %q is taken or reserved", k)
			}
			meta[k] = v
		}
	}
	partial, _ := json.Marshal(t.part)
	data, _ := json.Marshal(t.fingerprint())
	config, _ := json.Marshal(map[string]any{
		"label_smoothing": t.cfg.Loss.LabelSmoothing,
		"clip_grad_norm":  t.cfg.ClipGradNorm,
		"test_examples":   t.testExamples(),
	})
	var states [][]byte
	for i, src := range t.cfg.RandSources {
		b, err := src.MarshalBinary()
		if err != nil {
			return fmt.Errorf("train: SaveCheckpoint: random source %d: %w", i, err)
		}
		states = append(states, b)
	}
	rng, _ := json.Marshal(states)
	meta[metaFormat] = checkpointFormat
	meta[metaEpoch] = strconv.Itoa(t.epoch)
	meta[metaEpochs] = strconv.Itoa(t.cfg.Epochs)
	meta[metaBatch] = strconv.Itoa(t.batch)
	meta[metaPartial] = string(partial)
	meta[metaSeconds] = strconv.FormatFloat(t.elapsed(), 'g', -1, 64)
	meta[metaHistory] = encodeHistory(t.history)
	meta[metaData] = string(data)
	meta[metaRNG] = string(rng)
	meta[metaEMA] = strconv.FormatBool(t.cfg.EMA != nil)
	meta[metaConfig] = string(config)

	parts := []optim.State{
		{Tensors: nn.StateDict(t.cfg.Model), Metadata: meta},
		t.cfg.Optimizer.State().Prefix(optimPrefix),
	}
	if t.cfg.EMA != nil {
		parts = append(parts, t.cfg.EMA.State().Prefix(emaPrefix))
	}
	all, err := optim.Merge(parts...)
	if err != nil {
		return fmt.Errorf("train: SaveCheckpoint: %w", err)
	}
	if err := safetensors.WriteFile(path, all.Tensors, all.Metadata); err != nil {
		return fmt.Errorf("train: SaveCheckpoint: %w", err)
	}
	return nil
}

func (t *Trainer) testExamples() int {
	if t.cfg.Test == nil {
		return 0
	}
	return t.cfg.Test.Dataset().Len()
}

// Checkpoint is a checkpoint file read by ReadCheckpoint, for evaluating
// or inspecting a trained model without a Trainer.
type Checkpoint struct {
	// Path is the file's path.
	Path string
	// Metadata is the Config.Metadata of the trainer that wrote the file.
	Metadata map[string]string
	// Epoch is the number of completed epochs, and Batch the number of
	// batches done of the next one (non-zero after an interruption).
	Epoch, Batch int
	// History holds the metrics of the completed epochs.
	History []EpochMetrics
	// HasEMA reports whether the file holds EMA averages.
	HasEMA bool

	all      optim.State // every tensor and metadata key of the file
	rng      [][]byte
	data     dataFingerprint
	partial  partial
	seconds  float64
	modelTen []safetensors.Tensor
}

// ReadCheckpoint reads a checkpoint written by a Trainer. Errors name the
// file and what is wrong.
func ReadCheckpoint(path string) (*Checkpoint, error) {
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("train: checkpoint %s: %s", path, fmt.Sprintf(format, args...))
	}
	meta := f.Metadata
	if meta[metaFormat] != checkpointFormat {
		if meta[metaFormat] == "" {
			return nil, bad("not a training checkpoint (no %q metadata); a plain model file loads with nn.Load", metaFormat)
		}
		return nil, bad("format %q; this program reads %q", meta[metaFormat], checkpointFormat)
	}
	ts, err := f.Tensors()
	if err != nil {
		return nil, fmt.Errorf("train: checkpoint %s: %w", path, err)
	}
	c := &Checkpoint{Path: path, Metadata: map[string]string{}, all: optim.State{Tensors: ts, Metadata: meta}}
	for k, v := range meta {
		if !hasReservedPrefix(k) {
			c.Metadata[k] = v
		}
	}
	for _, t := range ts {
		if !strings.HasPrefix(t.Name, optimPrefix) && !strings.HasPrefix(t.Name, emaPrefix) {
			c.modelTen = append(c.modelTen, t)
		}
	}
	atoi := func(key string) (int, error) {
		n, err := strconv.Atoi(meta[key])
		if err != nil || n < 0 {
			return 0, bad("metadata %s = %q is not a count", key, meta[key])
		}
		return n, nil
	}
	if c.Epoch, err = atoi(metaEpoch); err != nil {
		return nil, err
	}
	if c.Batch, err = atoi(metaBatch); err != nil {
		return nil, err
	}
	if c.History, err = decodeHistory(meta[metaHistory]); err != nil {
		return nil, bad("metadata %s: %v", metaHistory, err)
	}
	if len(c.History) != c.Epoch {
		return nil, bad("%d epochs completed but %d in the history", c.Epoch, len(c.History))
	}
	if err := json.Unmarshal([]byte(meta[metaPartial]), &c.partial); err != nil {
		return nil, bad("metadata %s: %v", metaPartial, err)
	}
	if err := json.Unmarshal([]byte(meta[metaData]), &c.data); err != nil {
		return nil, bad("metadata %s: %v", metaData, err)
	}
	if err := json.Unmarshal([]byte(meta[metaRNG]), &c.rng); err != nil {
		return nil, bad("metadata %s: %v", metaRNG, err)
	}
	if c.seconds, err = strconv.ParseFloat(meta[metaSeconds], 64); err != nil {
		return nil, bad("metadata %s = %q is not a number", metaSeconds, meta[metaSeconds])
	}
	if c.HasEMA, err = strconv.ParseBool(meta[metaEMA]); err != nil {
		return nil, bad("metadata %s = %q is not a boolean", metaEMA, meta[metaEMA])
	}
	return c, nil
}

// LoadModel loads the checkpoint's weights into m, strictly: every
// parameter and buffer must match by name and shape. With ema and a
// checkpoint that holds EMA averages, the averages replace the weights
// they cover (the model that the trainer evaluated). It reports whether
// the EMA averages were loaded.
func (c *Checkpoint) LoadModel(m nn.Module, ema bool) (usedEMA bool, err error) {
	if _, err := nn.LoadStateDict(m, c.modelTen, true); err != nil {
		return false, fmt.Errorf("train: checkpoint %s: %w", c.Path, err)
	}
	if !ema || !c.HasEMA {
		return false, nil
	}
	avg := c.all.Select(emaPrefix)
	res, err := nn.LoadStateDict(m, avg.Tensors, false)
	if err == nil && len(res.Unexpected) > 0 {
		err = fmt.Errorf("EMA state for tensors the model lacks: %s", strings.Join(res.Unexpected, ", "))
	}
	if err != nil {
		return false, fmt.Errorf("train: checkpoint %s: EMA weights: %w", c.Path, err)
	}
	return true, nil
}

// Resume restores the trainer's state from the checkpoint at path, written
// by a trainer of the same model, optimizer kind, EMA setting, random
// sources and training data (same dataset size, batch size, seed,
// shuffling and augmentation). Run then continues where the checkpoint
// left off, with results bit for bit equal to an uninterrupted run.
// Config.Epochs may differ from the checkpoint's, to train longer.
//
// Resume checks the checkpoint's metadata against the configuration before
// changing anything; if it fails while loading the tensors, the model may
// have been changed and the trainer must not be used.
func (t *Trainer) Resume(path string) error {
	c, err := ReadCheckpoint(path)
	if err != nil {
		return err
	}
	return t.resume(c)
}

func (t *Trainer) resume(c *Checkpoint) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("train: resume from %s: %s", c.Path, fmt.Sprintf(format, args...))
	}
	if now := t.fingerprint(); c.data != now {
		return bad("the checkpoint was trained on different batches (%s); now %s", describeData(c.data), describeData(now))
	}
	if n := t.cfg.Train.NumBatches(); c.Batch > n {
		return bad("%d batches done of an epoch of %d", c.Batch, n)
	}
	if c.HasEMA != (t.cfg.EMA != nil) {
		return bad("the checkpoint has EMA averages: %t, the trainer has an EMA: %t", c.HasEMA, t.cfg.EMA != nil)
	}
	if len(c.rng) != len(t.cfg.RandSources) {
		return bad("%d random sources saved, %d configured", len(c.rng), len(t.cfg.RandSources))
	}
	if _, err := nn.LoadStateDict(t.cfg.Model, c.modelTen, true); err != nil {
		return bad("%v", err)
	}
	if err := t.cfg.Optimizer.LoadState(c.all.Select(optimPrefix)); err != nil {
		return bad("optimizer: %v", err)
	}
	if t.cfg.EMA != nil {
		if err := t.cfg.EMA.LoadState(c.all.Select(emaPrefix)); err != nil {
			return bad("EMA: %v", err)
		}
	}
	for i, b := range c.rng {
		if err := t.cfg.RandSources[i].UnmarshalBinary(b); err != nil {
			return bad("random source %d: %v", i, err)
		}
	}
	t.epoch, t.batch, t.part = c.Epoch, c.Batch, c.partial
	t.history = slices.Clone(c.History)
	t.before = c.seconds
	t.final = nil
	where := fmt.Sprintf("after epoch %d", t.epoch)
	if t.batch > 0 {
		where = fmt.Sprintf("in epoch %d at batch %d of %d", t.epoch+1, t.batch, t.cfg.Train.NumBatches())
	}
	fmt.Fprintf(t.cfg.Log, "resuming from %s %s (%d optimizer steps)\n", c.Path, where, t.cfg.Optimizer.Steps())
	return nil
}

func describeData(d dataFingerprint) string {
	return fmt.Sprintf("%d examples in %d classes, batch %d, seed %d, shuffle %t, drop last %t, augment %s",
		d.Examples, d.Classes, d.BatchSize, d.Seed, d.Shuffle, d.DropLast, d.Augment)
}
