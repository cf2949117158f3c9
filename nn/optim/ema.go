package optim

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/safetensors"
	"github.com/autonl-go/autonl/tensor"
)

// EMAConfig configures an exponential moving average of weights.
type EMAConfig struct {
	// Decay d of the average, such as 0.9999 (MnasNet, EfficientNet,
	// AutoNL). It must be in [0, 1].
	Decay float64 `json:"decay"`
	// NumUpdatesWarmup lowers the decay early in training as TensorFlow's
	// ExponentialMovingAverage does when given num_updates:
	// dₙ = min(d, (1 + n)/(10 + n)) at the n-th update (n = 1, 2, ...).
	NumUpdatesWarmup bool `json:"num_updates_warmup"`
	// CopyBuffers copies the buffers instead of averaging them, like
	// timm's ModelEmaV3 with exclude_buffers. By default buffers are
	// averaged like parameters, as timm's ModelEmaV2 and the TensorFlow
	// recipes (which average batch norm's moving mean and variance) do.
	// Counters — buffers whose name ends in "num_batches_tracked" — are
	// always copied.
	CopyBuffers bool `json:"copy_buffers"`
}

// EMA keeps an exponential moving average ("shadow") of parameters and,
// optionally, buffers, as tf.train.ExponentialMovingAverage and timm's
// ModelEmaV2. The shadow starts as a copy of the current values; each
// Update, after an optimizer step, moves it towards them:
//
//	shadow ← shadow − (1 − dₙ)·(shadow − value)   (= dₙ·shadow + (1 − dₙ)·value)
//
// with dₙ = Decay, or min(Decay, (1 + n)/(10 + n)) at the n-th update with
// NumUpdatesWarmup. n counts Update calls including the current one, which
// is what TensorFlow sees when num_updates is the global step and the
// averages are updated after the train op, as in the MnasNet and
// EfficientNet TPU code. Each element is computed in float64 and stored in
// float32.
//
// Apply swaps the averages into the model for evaluation and Restore swaps
// the training values back. State's tensors carry the parameter and buffer
// names, so the averaged weights are also a model checkpoint.
//
// An EMA is not safe for concurrent use.
type EMA struct {
	cfg     EMAConfig
	entries []emaEntry
	index   map[string]int
	updates int
	applied bool
}

type emaEntry struct {
	name   string
	v      *autograd.Var  // the parameter, or nil for a buffer
	t      *tensor.Tensor // the buffer
	copy   bool           // copy instead of averaging
	shadow []float32
	backup []float32 // the training values while applied
}

func (e *emaEntry) value() *tensor.Tensor {
	if e.v != nil {
		return e.v.Value
	}
	return e.t
}

// NewEMA returns a moving average of params and buffers (either may be
// nil), starting at their current values. It panics if cfg.Decay is not in
// [0, 1], or if a name is empty or appears twice.
func NewEMA(params []nn.Param, buffers []nn.Buffer, cfg EMAConfig) *EMA {
	if !(cfg.Decay >= 0 && cfg.Decay <= 1) {
		panic(fmt.Sprintf("optim: ema: decay %v is not in [0, 1]", cfg.Decay))
	}
	e := &EMA{cfg: cfg, index: map[string]int{}}
	add := func(name string, en emaEntry) {
		if name == "" {
			panic("optim: ema: empty name")
		}
		if _, dup := e.index[name]; dup {
			panic(fmt.Sprintf("optim: ema: name %q appears twice", name))
		}
		en.name = name
		en.shadow = append([]float32(nil), en.value().Data()...)
		e.index[name] = len(e.entries)
		e.entries = append(e.entries, en)
	}
	for _, p := range params {
		add(p.Name, emaEntry{v: p.Var})
	}
	for _, b := range buffers {
		add(b.Name, emaEntry{t: b.Tensor, copy: cfg.CopyBuffers || strings.HasSuffix(b.Name, "num_batches_tracked")})
	}
	return e
}

// Updates returns the number of Update calls so far.
func (e *EMA) Updates() int { return e.updates }

// Decay returns the decay that the n-th update uses.
func (e *EMA) Decay(n int) float64 {
	d := e.cfg.Decay
	if e.cfg.NumUpdatesWarmup {
		d = math.Min(d, (1+float64(n))/(10+float64(n)))
	}
	return d
}

// Update moves the averages towards the current values. It panics while
// the averages are applied.
func (e *EMA) Update() {
	if e.applied {
		panic("optim: ema: Update while the averages are applied; call Restore first")
	}
	e.updates++
	w := 1 - e.Decay(e.updates)
	for i := range e.entries {
		en := &e.entries[i]
		v := en.value().Data()
		if len(v) != len(en.shadow) {
			panic(fmt.Sprintf("optim: ema: %q changed size from %d to %d elements", en.name, len(en.shadow), len(v)))
		}
		if en.copy {
			copy(en.shadow, v)
			continue
		}
		s := en.shadow
		for j, x := range v {
			sj := float64(s[j])
			s[j] = float32(sj - w*(sj-float64(x)))
		}
	}
}

// Apply puts the averages into the parameters and buffers, keeping their
// training values for Restore. It panics if the averages are applied
// already.
func (e *EMA) Apply() {
	if e.applied {
		panic("optim: ema: Apply twice")
	}
	for i := range e.entries {
		en := &e.entries[i]
		v := en.value().Data()
		if en.backup == nil {
			en.backup = make([]float32, len(v))
		}
		copy(en.backup, v)
		copy(v, en.shadow)
	}
	e.applied = true
}

// Restore puts back the values that Apply replaced. It panics if the
// averages are not applied.
func (e *EMA) Restore() {
	if !e.applied {
		panic("optim: ema: Restore without Apply")
	}
	for i := range e.entries {
		en := &e.entries[i]
		copy(en.value().Data(), en.backup)
	}
	e.applied = false
}

// Applied reports whether the averages are in the model.
func (e *EMA) Applied() bool { return e.applied }

// Metadata keys of an EMA's State.
const (
	metaEMAUpdates = "ema.updates"
	metaEMADecay   = "ema.decay"
)

// State returns a copy of the averages, named as the parameters and
// buffers, with the number of updates in the metadata ("ema.updates").
// Saved alone, it is a checkpoint of the averaged model.
func (e *EMA) State() State {
	ts := make([]safetensors.Tensor, len(e.entries))
	for i, en := range e.entries {
		ts[i] = safetensors.Tensor{
			Name:  en.name,
			Shape: append([]int(nil), en.value().Shape()...),
			Data:  append([]float32(nil), en.shadow...),
		}
	}
	return State{Tensors: ts, Metadata: map[string]string{
		metaEMAUpdates: strconv.Itoa(e.updates),
		metaEMADecay:   strconv.FormatFloat(e.cfg.Decay, 'g', -1, 64),
	}}
}

// LoadState replaces the averages and the update count by those of s,
// which must hold a tensor of the right shape for every parameter and
// buffer of the EMA and nothing else. It changes nothing if it returns an
// error, and fails while the averages are applied.
func (e *EMA) LoadState(s State) error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("optim: ema: load state: %s", fmt.Sprintf(format, args...))
	}
	if e.applied {
		return fail("the averages are applied; call Restore first")
	}
	n, err := strconv.Atoi(s.Metadata[metaEMAUpdates])
	if err != nil || n < 0 {
		return fail("invalid %s %q", metaEMAUpdates, s.Metadata[metaEMAUpdates])
	}
	found := make([][]float32, len(e.entries))
	have := make([]bool, len(e.entries))
	for _, t := range s.Tensors {
		i, ok := e.index[t.Name]
		if !ok {
			return fail("unexpected tensor %q", t.Name)
		}
		if have[i] {
			return fail("tensor %q appears twice", t.Name)
		}
		en := &e.entries[i]
		if !tensor.SameShape(t.Shape, en.value().Shape()) || len(t.Data) != len(en.shadow) {
			return fail("shape mismatch for %q: state %v, model %v", t.Name, t.Shape, en.value().Shape())
		}
		found[i], have[i] = t.Data, true
	}
	for i, ok := range have {
		if !ok {
			return fail("missing tensor %q", e.entries[i].name)
		}
	}
	for i, d := range found {
		copy(e.entries[i].shadow, d)
	}
	e.updates = n
	return nil
}
