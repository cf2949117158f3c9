package optim

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/safetensors"
	"github.com/autonl-go/autonl/tensor"
)

// Optimizer updates parameters from their gradients. SGD, RMSProp,
// RMSPropTF and Adam (which also implements AdamW) implement it.
//
// A training step is
//
//	opt.SetLR(schedule.LR(opt.Steps()))
//	opt.ZeroGrad()
//	loss := ...; loss.Backward()
//	opt.Step()
//
// Optimizers are not safe for concurrent use.
type Optimizer interface {
	// Step updates every parameter that has a gradient; parameters whose
	// Grad is nil are skipped and their state is left alone, as in
	// torch.optim. Step does not allocate.
	Step()
	// ZeroGrad drops the gradient of every parameter (sets Grad to nil,
	// PyTorch's set_to_none), so that the next Backward starts afresh. It
	// returns gradient storage to the tensor buffer pool (see
	// autograd.Var.ReleaseGrad): gradient tensors read before ZeroGrad
	// must not be used after it.
	ZeroGrad()
	// LR returns the learning rate. A group's effective learning rate is
	// LR times its LRScale.
	LR() float64
	// SetLR sets the learning rate for the next steps. It panics if lr is
	// negative or NaN.
	SetLR(lr float64)
	// Steps returns the number of Step calls so far (TensorFlow's
	// global_step), restored by LoadState: the step to pass to a Schedule.
	Steps() int
	// State returns a copy of the optimizer's state: its buffers, step
	// counts and learning rate. LoadState of that state into an optimizer
	// of the same kind over parameters of the same names and shapes, with
	// the parameter values restored as well, continues bit for bit as if
	// training had not been interrupted.
	State() State
	// LoadState replaces the optimizer's state by s. It validates s
	// completely first and changes nothing if it returns an error.
	LoadState(s State) error
}

// Group is a set of parameters that share hyperparameters. A nil override
// takes the optimizer's configuration; Go 1.26's new(expr) writes the
// others, as in Group{Params: ps, WeightDecay: new(0.0)}.
type Group struct {
	// Params are the parameters of the group. Their names must be
	// non-empty and unique across all groups; they name the optimizer's
	// state.
	Params []nn.Param
	// LRScale multiplies the optimizer's learning rate for this group
	// (nil: 1). PyTorch's per-group lr corresponds to LRScale = group lr /
	// base lr; schedules then scale every group alike, as PyTorch's
	// schedulers do.
	LRScale *float64
	// WeightDecay overrides the configured weight decay.
	WeightDecay *float64
	// Momentum overrides the configured momentum (SGD, RMSProp,
	// RMSPropTF) or β₁ (Adam, AdamW).
	Momentum *float64
}

// OneGroup returns params as the single group of an optimizer.
func OneGroup(params []nn.Param) []Group { return []Group{{Params: params}} }

// SplitDecay splits params into two groups, in their original order: those
// for which decay returns true, which take the configured weight decay, and
// the others, whose weight decay is zero. A nil decay selects parameters of
// two or more dimensions, the convolution and linear weights, and so
// exempts the 1-D ones, batch norm's γ and β and all biases, as in the
// MnasNet and AutoNL recipes. Both groups are returned even if one is empty.
func SplitDecay(params []nn.Param, decay func(nn.Param) bool) []Group {
	if decay == nil {
		decay = func(p nn.Param) bool { return p.Var.Value.NDim() > 1 }
	}
	var on, off []nn.Param
	for _, p := range params {
		if decay(p) {
			on = append(on, p)
		} else {
			off = append(off, p)
		}
	}
	return []Group{{Params: on}, {Params: off, WeightDecay: new(0.0)}}
}

// hyper holds the per-group hyperparameters after overrides.
type hyper struct {
	LRScale     float64 `json:"lr_scale"`
	WeightDecay float64 `json:"weight_decay"`
	Momentum    float64 `json:"momentum"`
}

// maxSlots is the largest number of state buffers per parameter.
const maxSlots = 3

// slot describes one state buffer kind of an optimizer.
type slot struct {
	name string  // suffix of the state tensor's name, such as "exp_avg"
	init float32 // initial value
}

// param is a parameter and its optimizer state.
type param struct {
	name  string
	v     *autograd.Var
	h     hyper
	steps int                 // updates applied to this parameter
	buf   [maxSlots][]float32 // state buffers, nil where unused
}

// core is the machinery the optimizers share: parameters, groups, learning
// rate, step counts and state (de)serialisation.
type core struct {
	kind   string
	slots  [maxSlots]slot
	lr     float64
	steps  int
	params []param
	index  map[string]int
	config string // JSON of the configuration, for the record
}

// newCore checks and records the groups. def holds the configured
// hyperparameters; uses reports which slots a parameter with hyperparameters
// h needs.
func newCore(kind string, lr float64, groups []Group, def hyper, slots [maxSlots]slot, uses func(h hyper) [maxSlots]bool, config any) core {
	checkLR(kind, lr)
	c := core{kind: kind, slots: slots, lr: lr, index: map[string]int{}}
	seen := map[*autograd.Var]string{}
	type groupRecord struct {
		Params []string `json:"params"`
		hyper
	}
	var records []groupRecord
	for gi, g := range groups {
		h := def
		if g.LRScale != nil {
			h.LRScale = *g.LRScale
		}
		if g.WeightDecay != nil {
			h.WeightDecay = *g.WeightDecay
		}
		if g.Momentum != nil {
			h.Momentum = *g.Momentum
		}
		if !(h.LRScale >= 0) || math.IsInf(h.LRScale, 0) {
			panic(fmt.Sprintf("optim: %s: group %d: invalid LRScale %v", kind, gi, h.LRScale))
		}
		if !(h.WeightDecay >= 0) {
			panic(fmt.Sprintf("optim: %s: group %d: invalid weight decay %v", kind, gi, h.WeightDecay))
		}
		if !(h.Momentum >= 0) {
			panic(fmt.Sprintf("optim: %s: group %d: invalid momentum %v", kind, gi, h.Momentum))
		}
		rec := groupRecord{hyper: h}
		use := uses(h)
		for _, p := range g.Params {
			if p.Name == "" {
				panic(fmt.Sprintf("optim: %s: group %d: parameter without a name", kind, gi))
			}
			if p.Var == nil || p.Var.Value == nil {
				panic(fmt.Sprintf("optim: %s: parameter %q has no value", kind, p.Name))
			}
			if _, dup := c.index[p.Name]; dup {
				panic(fmt.Sprintf("optim: %s: parameter name %q appears twice", kind, p.Name))
			}
			if other, dup := seen[p.Var]; dup {
				panic(fmt.Sprintf("optim: %s: parameters %q and %q are the same Var", kind, other, p.Name))
			}
			seen[p.Var] = p.Name
			q := param{name: p.Name, v: p.Var, h: h}
			n := p.Var.Value.Len()
			for s := range maxSlots {
				if use[s] {
					q.buf[s] = make([]float32, n)
				}
			}
			c.index[p.Name] = len(c.params)
			c.params = append(c.params, q)
			c.reset(len(c.params) - 1)
			rec.Params = append(rec.Params, p.Name)
		}
		records = append(records, rec)
	}
	b, err := json.Marshal(struct {
		Config any           `json:"config"`
		Groups []groupRecord `json:"groups"`
	}{config, records})
	if err != nil {
		panic("optim: " + err.Error())
	}
	c.config = string(b)
	return c
}

func checkLR(kind string, lr float64) {
	if !(lr >= 0) || math.IsInf(lr, 0) {
		panic(fmt.Sprintf("optim: %s: invalid learning rate %v", kind, lr))
	}
}

// reset puts parameter i back in its initial state.
func (c *core) reset(i int) {
	p := &c.params[i]
	p.steps = 0
	for s, b := range p.buf {
		v := c.slots[s].init
		for j := range b {
			b[j] = v
		}
	}
}

// ZeroGrad drops every parameter's gradient, returning the storage that
// Backward computed for it alone to the tensor buffer pool
// (autograd.Var.ReleaseGrad).
func (c *core) ZeroGrad() {
	for i := range c.params {
		c.params[i].v.ReleaseGrad()
	}
}

// LR returns the learning rate.
func (c *core) LR() float64 { return c.lr }

// SetLR sets the learning rate.
func (c *core) SetLR(lr float64) {
	checkLR(c.kind, lr)
	c.lr = lr
}

// Steps returns the number of Step calls so far.
func (c *core) Steps() int { return c.steps }

// eachWithGrad calls update for each parameter of c.params[lo:hi] that
// has a gradient, with its gradient g, its value w and its learning rate
// (LR times its group's LRScale), and then counts the parameter's step.
func (c *core) eachWithGrad(lo, hi int, update func(p *param, g, w []float32, lr float64)) {
	for i := lo; i < hi; i++ {
		p := &c.params[i]
		g, w := p.data()
		if g == nil {
			continue
		}
		update(p, g, w, c.lr*p.h.LRScale)
		p.steps++
	}
}

// data returns the data of p's gradient and value, or nil if p has no
// gradient. It panics if their sizes differ.
func (p *param) data() (g, w []float32) {
	if p.v.Grad == nil {
		return nil, nil
	}
	g, w = p.v.Grad.Data(), p.v.Value.Data()
	if len(g) != len(w) {
		panic(fmt.Sprintf("optim: parameter %q: gradient of shape %v for a value of shape %v", p.name, p.v.Grad.Shape(), p.v.Value.Shape()))
	}
	for _, b := range p.buf {
		if b != nil && len(b) != len(w) {
			panic(fmt.Sprintf("optim: parameter %q changed size from %d to %d elements", p.name, len(b), len(w)))
		}
	}
	return g, w
}

// Metadata keys of an optimizer's State.
const (
	metaKind       = "optim.kind"        // "sgd", "rmsprop", "rmsprop_tf", "adam", "adamw"
	metaSteps      = "optim.steps"       // Steps(), decimal
	metaLR         = "optim.lr"          // LR(), shortest decimal that parses back exactly
	metaParamSteps = "optim.param_steps" // JSON object: parameter name → its number of updates (> 0 only)
	metaConfig     = "optim.config"      // JSON of the configuration and groups, informative only
)

// State returns a copy of the optimizer's state. Its tensors are the
// buffers of every parameter updated at least once, named
// "<parameter name>.<buffer>" with the buffer names of torch.optim's state
// dicts (SGD: momentum_buffer; RMSProp: square_avg, momentum_buffer,
// grad_avg; Adam: exp_avg, exp_avg_sq, max_exp_avg_sq) or of TensorFlow's
// slots (RMSPropTF: rms, momentum, mg). Its metadata holds the kind of
// optimizer ("optim.kind"), Steps ("optim.steps"), LR ("optim.lr"), the
// number of updates of every parameter ("optim.param_steps", a JSON object;
// torch.optim's per-parameter "step") and the configuration
// ("optim.config", for the record).
func (c *core) State() State {
	steps := map[string]int{}
	var ts []safetensors.Tensor
	for _, p := range c.params {
		if p.steps == 0 {
			continue
		}
		steps[p.name] = p.steps
		for s, b := range p.buf {
			if b == nil {
				continue
			}
			ts = append(ts, safetensors.Tensor{
				Name:  p.name + "." + c.slots[s].name,
				Shape: append([]int(nil), p.v.Value.Shape()...),
				Data:  append([]float32(nil), b...),
			})
		}
	}
	js, err := json.Marshal(steps)
	if err != nil {
		panic("optim: " + err.Error())
	}
	return State{Tensors: ts, Metadata: map[string]string{
		metaKind:       c.kind,
		metaSteps:      strconv.Itoa(c.steps),
		metaLR:         strconv.FormatFloat(c.lr, 'g', -1, 64),
		metaParamSteps: string(js),
		metaConfig:     c.config,
	}}
}

// LoadState replaces the optimizer's state by s, which must come from an
// optimizer of the same kind over parameters of the same names and shapes
// (groups and hyperparameters may differ, as when fine-tuning). Parameters
// that s does not mention start afresh. The learning rate is restored too,
// as torch.optim's load_state_dict does.
func (c *core) LoadState(s State) error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("optim: %s: load state: %s", c.kind, fmt.Sprintf(format, args...))
	}
	if k := s.Metadata[metaKind]; k != c.kind {
		if k == "" {
			return fail("metadata has no %q: not an optimizer state", metaKind)
		}
		return fail("state of a %s optimizer", k)
	}
	steps, err := strconv.Atoi(s.Metadata[metaSteps])
	if err != nil || steps < 0 {
		return fail("invalid %s %q", metaSteps, s.Metadata[metaSteps])
	}
	lr, err := strconv.ParseFloat(s.Metadata[metaLR], 64)
	if err != nil || !(lr >= 0) || math.IsInf(lr, 0) {
		return fail("invalid %s %q", metaLR, s.Metadata[metaLR])
	}
	var ps map[string]int
	if err := json.Unmarshal([]byte(s.Metadata[metaParamSteps]), &ps); err != nil {
		return fail("invalid %s: %v", metaParamSteps, err)
	}
	pSteps := make([]int, len(c.params))
	for name, n := range ps {
		i, ok := c.index[name]
		if !ok {
			return fail("state of unknown parameter %q", name)
		}
		if n < 0 {
			return fail("parameter %q: negative step count %d", name, n)
		}
		pSteps[i] = n
	}
	// Every buffer of an updated parameter, and nothing else.
	type key struct{ p, s int }
	found := map[key][]float32{}
	for _, t := range s.Tensors {
		dot := strings.LastIndexByte(t.Name, '.')
		if dot < 0 {
			return fail("unexpected tensor %q", t.Name)
		}
		i, ok := c.index[t.Name[:dot]]
		if !ok {
			return fail("tensor %q: unknown parameter %q", t.Name, t.Name[:dot])
		}
		p := &c.params[i]
		sl := -1
		for j := range maxSlots {
			if p.buf[j] != nil && c.slots[j].name == t.Name[dot+1:] {
				sl = j
			}
		}
		if sl < 0 {
			return fail("unexpected tensor %q: parameter %q has no buffer %q with this configuration", t.Name, p.name, t.Name[dot+1:])
		}
		if pSteps[i] == 0 {
			return fail("tensor %q for parameter %q, which has no steps", t.Name, p.name)
		}
		if !tensor.SameShape(t.Shape, p.v.Value.Shape()) || len(t.Data) != p.v.Value.Len() {
			return fail("shape mismatch for %q: state %v, parameter %v", t.Name, t.Shape, p.v.Value.Shape())
		}
		if _, dup := found[key{i, sl}]; dup {
			return fail("tensor %q appears twice", t.Name)
		}
		found[key{i, sl}] = t.Data
	}
	for i := range c.params {
		p := &c.params[i]
		if pSteps[i] == 0 {
			continue
		}
		for j := range maxSlots {
			if _, ok := found[key{i, j}]; p.buf[j] != nil && !ok {
				return fail("missing tensor %q", p.name+"."+c.slots[j].name)
			}
		}
	}
	c.steps, c.lr = steps, lr
	for i := range c.params {
		c.reset(i)
		p := &c.params[i]
		p.steps = pSteps[i]
		for j := range maxSlots {
			if d, ok := found[key{i, j}]; ok {
				copy(p.buf[j], d)
			}
		}
	}
	return nil
}
