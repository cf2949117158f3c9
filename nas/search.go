package nas

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/data"
	"github.com/autonl-go/autonl/internal/atomicfile"
	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/nn/optim"
	"github.com/autonl-go/autonl/tensor"
	"github.com/autonl-go/autonl/train"
)

// Names of the files a search writes into SearchConfig.OutDir, besides
// the train package's checkpoint, metrics.csv, loss.png and accuracy.png.
const (
	ArchFile      = "arch.txt"      // the derived network as arch strings
	ArchJSONFile  = "arch.json"     // the space and layer configurations (ReadArchitecture)
	ProfileFile   = "profile.txt"   // the derived network's MACs and parameters, layer by layer
	SpaceFile     = "space.json"    // the search space
	DecisionsFile = "decisions.csv" // per epoch: MACs and every gate's decision and margin
	DecisionsPlot = "decisions.png" // the decisions over the epochs
	MACsPlot      = "macs.png"      // the derived network's MACs over the epochs, and the target
)

// Defaults of SearchConfig's zero fields.
const (
	DefaultCostWeight = 1.0
	DefaultArchLR     = 1.0
	DefaultLR         = 0.006
	DefaultTolerance  = 0.05
)

// SearchConfig configures a search. Space, Target, Train and Epochs are
// required; zero values of the other fields take the defaults given.
type SearchConfig struct {
	// Space is the search space; Target the MACs the derived network
	// should have.
	Space  Space
	Target int64
	// CostWeight is λ in the loss CE + λ·h(log(C/T)), where C is the
	// MACs of the network the gates derive (Supernet.Cost), T the target
	// and h the Huber function with knee Tolerance (see CostTerm); 0
	// means DefaultCostWeight.
	CostWeight float64
	// Tolerance is the relative distance from the target within which
	// the derived network is accepted; a search that ends outside it
	// projects the network onto the budget (see ProjectToBudget). 0 means
	// DefaultTolerance (5%).
	Tolerance float64
	// Train supplies the training batches; Val, if set, held-out data
	// evaluated with the derived network (the supernet with its gates)
	// after every epoch.
	Train, Val *data.Loader
	// Epochs is the number of epochs in all, WarmupEpochs how many of
	// them, at the start, train the weights with the architecture frozen
	// (all gates open, no cost term, thresholds not updated), as
	// Single-Path NAS does.
	Epochs       int
	WarmupEpochs float64
	// GateKeep, in (0, 1], is the probability that a gate stays open in a
	// warm-up step (gate dropout, Single-Path NAS's 0.6); 0 means 1 (no
	// dropout).
	GateKeep float64
	// LR is the peak learning rate of AdamW on the weights (linear
	// warm-up over LRWarmup epochs from 0, then cosine to 0); 0 means
	// DefaultLR. WeightDecay is its decoupled weight decay, not applied
	// to batch norm parameters and biases.
	LR, LRWarmup, WeightDecay float64
	// ArchLR is the learning rate of the thresholds' optimizer, SGD
	// without momentum, constant after the warm-up epochs and cosine to 0
	// over the last half of the search; 0 means DefaultArchLR.
	ArchLR float64
	// LabelSmoothing of the cross-entropy.
	LabelSmoothing float64
	// Seed seeds the supernet's weights, its dropout and the gate
	// dropout.
	Seed uint64
	// OutDir, if set, receives the checkpoint and the outputs (see
	// ArchFile and friends) after every epoch.
	OutDir string
	// Log receives a line per epoch; Progress a progress bar (see
	// train.Config).
	Log, Progress io.Writer
	// Metadata is stored in the checkpoint besides the search's own.
	Metadata map[string]string
}

// EpochRecord is what a search records at the end of every epoch.
type EpochRecord struct {
	train.EpochMetrics
	// MACs is the cost of the network the gates derive, Penalty the mean
	// cost term λ·h(log(C/T)) over the epoch's steps (0 in warm-up).
	MACs    int64   `json:"macs"`
	Penalty float64 `json:"penalty"`
	// Configs are the layers' configurations, Margins every gate's s − t
	// (by layer, in the order of the layer's Gates).
	Configs []Config    `json:"configs"`
	Margins [][]float64 `json:"margins"`
}

// SearchResult is what Search.Run returns.
type SearchResult struct {
	// History holds a record per completed epoch.
	History []EpochRecord
	// Derived is the searched network, within the tolerance of the
	// target; Projected counts the decisions ProjectToBudget changed to
	// get it there (0 if the search ended within the tolerance).
	Derived   Derived
	Projected int
	// Final is the last evaluation of Val, or nil without one.
	Final *train.EvalResult
}

// Search trains a supernet's weights and thresholds together, in a
// train.Trainer: checkpoints after every epoch and on interruption, exact
// resumption, metrics and plots. Make one with NewSearch.
type Search struct {
	cfg     SearchConfig
	net     *Supernet
	trainer *train.Trainer
	opt     *searchOptimizer
	gateRNG *rand.Rand
	warm    int // warm-up steps

	history      []EpochRecord
	penaltySum   float64
	penaltySteps int
	// stepHook, if set, is called after every step (for tests).
	stepHook func(train.StepInfo)
}

// Checkpoint metadata keys of the search's records and of the running sum
// of the cost term over the interrupted epoch's steps.
const (
	metaHistory = "nas.history"
	metaPenalty = "nas.penalty"
)

// NewSearch checks cfg and builds the supernet and the trainer.
func NewSearch(cfg SearchConfig) (*Search, error) {
	switch {
	case cfg.Train == nil:
		return nil, errors.New("nas: NewSearch: no training data")
	case cfg.Target < 1:
		return nil, fmt.Errorf("nas: NewSearch: MACs target %d; want a positive number", cfg.Target)
	case cfg.Epochs < 1:
		return nil, fmt.Errorf("nas: NewSearch: %d epochs; want at least 1", cfg.Epochs)
	case !(cfg.WarmupEpochs >= 0 && cfg.WarmupEpochs < float64(cfg.Epochs)):
		return nil, fmt.Errorf("nas: NewSearch: %v warm-up epochs of %d; want 0 or more, fewer than the epochs", cfg.WarmupEpochs, cfg.Epochs)
	case !(cfg.GateKeep >= 0 && cfg.GateKeep <= 1):
		return nil, fmt.Errorf("nas: NewSearch: gate keep probability %v; want a value in (0, 1]", cfg.GateKeep)
	case !(cfg.CostWeight >= 0) || !(cfg.ArchLR >= 0) || !(cfg.LR >= 0) || !(cfg.WeightDecay >= 0) || !(cfg.LRWarmup >= 0):
		return nil, errors.New("nas: NewSearch: negative cost weight, learning rate, warm-up or weight decay")
	case !(cfg.Tolerance >= 0 && cfg.Tolerance < 1):
		return nil, fmt.Errorf("nas: NewSearch: tolerance %v; want a value in [0, 1)", cfg.Tolerance)
	}
	def := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	def(&cfg.CostWeight, DefaultCostWeight)
	def(&cfg.ArchLR, DefaultArchLR)
	def(&cfg.LR, DefaultLR)
	def(&cfg.Tolerance, DefaultTolerance)
	def(&cfg.GateKeep, 1)
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	c, h, w := cfg.Train.Dataset().Shape()
	sp := cfg.Space
	if c != sp.InputChannels || h != sp.InputSize || w != sp.InputSize || len(cfg.Train.Dataset().Classes()) != sp.Classes {
		return nil, fmt.Errorf("nas: NewSearch: the data has %d×%d×%d images in %d classes, the space wants %d×%d×%d in %d",
			c, h, w, len(cfg.Train.Dataset().Classes()), sp.InputChannels, sp.InputSize, sp.InputSize, sp.Classes)
	}

	src := rand.NewPCG(cfg.Seed, 0x6e6173) // "nas"
	rng := rand.New(src)
	net, err := NewSupernet(cfg.Space, rng)
	if err != nil {
		return nil, err
	}
	spe := cfg.Train.NumBatches()
	ep := optim.PerEpoch(spe)
	total := ep(float64(cfg.Epochs))
	s := &Search{cfg: cfg, net: net, gateRNG: rng, warm: int(math.Round(ep(cfg.WarmupEpochs)))}
	weights := optim.NewAdamW(optim.SplitDecay(net.Weights(), nil), optim.AdamConfig{LR: cfg.LR, WeightDecay: cfg.WeightDecay})
	arch := optim.NewSGD(optim.OneGroup(net.Thresholds()), optim.SGDConfig{LR: cfg.ArchLR})
	// The thresholds: frozen in warm-up, constant for the first half of
	// the rest, cosine to 0 over the second half.
	warm := float64(s.warm)
	half := warm + (total-warm)/2
	archSched := optim.ScheduleFunc(func(step int) float64 {
		switch k := float64(step); {
		case k < warm:
			return 0
		case k < half:
			return cfg.ArchLR
		default:
			return cfg.ArchLR * 0.5 * (1 + math.Cos(math.Pi*(k-half)/(total-half)))
		}
	})
	s.opt = &searchOptimizer{weights: weights, arch: arch, archSched: archSched}
	var sched optim.Schedule = optim.Cosine(cfg.LR, total, 0)
	if cfg.LRWarmup > 0 {
		sched = optim.LinearWarmup(ep(cfg.LRWarmup), 0, sched)
	}
	spaceJSON := cfg.Space.JSON()
	meta := map[string]string{"nas.space": string(spaceJSON), "nas.target": fmt.Sprint(cfg.Target)}
	for k, v := range cfg.Metadata {
		meta[k] = v
	}
	s.trainer, err = train.New(train.Config{
		Model: net, Train: cfg.Train, Test: cfg.Val,
		Loss:      nn.CrossEntropyLoss{LabelSmoothing: float32(cfg.LabelSmoothing)},
		Optimizer: s.opt, Schedule: sched,
		Epochs: cfg.Epochs, OutDir: cfg.OutDir, Log: cfg.Log, Progress: cfg.Progress,
		RandSources:        []train.RandSource{src},
		Metadata:           meta,
		Regularizer:        s.regularizer,
		OnStep:             s.onStep,
		OnEpoch:            s.onEpoch,
		CheckpointMetadata: s.checkpointMetadata,
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Supernet returns the supernet being searched.
func (s *Search) Supernet() *Supernet { return s.net }

// CheckpointPath returns where the search writes its checkpoint, or "".
func (s *Search) CheckpointPath() string { return s.trainer.CheckpointPath() }

// Resume continues the search from the checkpoint at path, written by a
// search of the same configuration.
func (s *Search) Resume(path string) error {
	ck, err := train.ReadCheckpoint(path)
	if err != nil {
		return err
	}
	if got, want := ck.Metadata["nas.space"], string(s.cfg.Space.JSON()); got != want {
		return fmt.Errorf("nas: Resume: %s was written by a search of another space", path)
	}
	if got, want := ck.Metadata["nas.target"], fmt.Sprint(s.cfg.Target); got != want {
		return fmt.Errorf("nas: Resume: %s was written by a search with MACs target %s, not %s", path, got, want)
	}
	var h []EpochRecord
	if err := json.Unmarshal([]byte(ck.Metadata[metaHistory]), &h); err != nil {
		return fmt.Errorf("nas: Resume: %s: metadata %s: %v", path, metaHistory, err)
	}
	var p [2]float64
	if err := json.Unmarshal([]byte(ck.Metadata[metaPenalty]), &p); err != nil {
		return fmt.Errorf("nas: Resume: %s: metadata %s: %v", path, metaPenalty, err)
	}
	if err := s.trainer.Resume(path); err != nil {
		return err
	}
	s.history, s.penaltySum, s.penaltySteps = h, p[0], int(p[1])
	return nil
}

// Run searches until the configured epochs are complete, then derives the
// network (projected onto the budget if it ended outside the tolerance)
// and, with an OutDir, writes it. Interrupted (ctx cancelled), it writes a
// checkpoint and returns an error wrapping ctx's error, as train.Trainer
// does.
func (s *Search) Run(ctx context.Context) (SearchResult, error) {
	s.applyWarmupDropout()
	tres, err := s.trainer.Run(ctx)
	res := SearchResult{History: s.history, Final: tres.Final}
	if err != nil {
		return res, err
	}
	cs := s.net.Configs()
	res.Derived, res.Projected, err = ProjectToBudget(s.net, cs, s.cfg.Target, s.cfg.Tolerance)
	if err != nil {
		return res, err
	}
	if res.Projected > 0 {
		fmt.Fprintf(s.cfg.Log, "the search ended at %s MACs, %+.1f%% from the target: projected onto the budget by changing %d decisions\n",
			humanMACs(s.net.MACs(cs)), 100*(float64(s.net.MACs(cs))/float64(s.cfg.Target)-1), res.Projected)
	}
	if s.cfg.OutDir != "" {
		if err := s.writeArch(res.Derived); err != nil {
			return res, err
		}
	}
	return res, nil
}

// regularizer is the train.Config.Regularizer: the cost term after the
// warm-up, 0 before.
func (s *Search) regularizer() *autograd.Var {
	if s.opt.Steps() < s.warm {
		return autograd.Const(tensor.Zeros(1))
	}
	return CostTerm(s.net.Cost(), s.cfg.Target, s.cfg.CostWeight, s.cfg.Tolerance)
}

// CostTerm returns the search's cost term for the cost Var c (MACs, one
// element) and target T, λ·h(x) with x = log(c/T) and h the Huber
// function with knee δ:
//
//	h(x) = x²/(2δ)      for |x| ≤ δ
//	h(x) = |x| − δ/2    otherwise
//
// Far from the target its gradient, λ·sign(x)/c per MAC, closes (above)
// or opens (below) gates at a pace that does not depend on the distance;
// within δ it fades in proportion to x, so that the gates settle near the
// target instead of swinging across it with each decision.
func CostTerm(c *autograd.Var, target int64, lambda, delta float64) *autograd.Var {
	x := autograd.Log(autograd.MulScalar(c, float32(1/float64(target))))
	var h *autograd.Var
	if v := float64(x.Value.Data()[0]); math.Abs(v) <= delta {
		h = autograd.MulScalar(autograd.Mul(x, x), float32(0.5/delta))
	} else {
		h = autograd.AddScalar(autograd.Abs(x), float32(-delta/2))
	}
	return autograd.MulScalar(h, float32(lambda))
}

func (s *Search) onStep(st train.StepInfo) {
	s.penaltySum += st.Regularizer
	s.penaltySteps++
	s.applyWarmupDropout()
	if s.stepHook != nil {
		s.stepHook(st)
	}
}

// applyWarmupDropout turns gate dropout on during the warm-up steps and off
// after them.
func (s *Search) applyWarmupDropout() {
	keep := 1.0
	if s.opt.Steps() < s.warm {
		keep = s.cfg.GateKeep
	}
	s.net.SetGateDropout(s.gateRNG, keep)
}

func (s *Search) onEpoch(m train.EpochMetrics) error {
	cs := s.net.Configs()
	r := EpochRecord{EpochMetrics: m, MACs: s.net.MACs(cs), Configs: cs}
	if s.penaltySteps > 0 {
		r.Penalty = s.penaltySum / float64(s.penaltySteps)
	}
	s.penaltySum, s.penaltySteps = 0, 0
	for _, l := range s.net.Layers {
		r.Margins = append(r.Margins, l.Margins())
	}
	s.history = append(s.history, r)
	fmt.Fprintf(s.cfg.Log, "  arch: %s MACs (target %s, %+.1f%%), %d layers, %d LightNL: %s\n",
		humanMACs(r.MACs), humanMACs(s.cfg.Target), 100*(float64(r.MACs)/float64(s.cfg.Target)-1),
		countKept(cs), countNonLocal(cs), summary(cs))
	if s.cfg.OutDir == "" {
		return nil
	}
	if err := WriteDecisionsCSV(filepath.Join(s.cfg.OutDir, DecisionsFile), s.net, s.history); err != nil {
		return err
	}
	if err := WriteDecisionPlots(s.cfg.OutDir, s.net, s.history, s.cfg.Target); err != nil {
		return err
	}
	d, err := s.net.Derive(cs)
	if err != nil {
		return err
	}
	return s.writeArch(d)
}

func (s *Search) checkpointMetadata() map[string]string {
	h, _ := json.Marshal(s.history)
	p, _ := json.Marshal([2]float64{s.penaltySum, float64(s.penaltySteps)})
	return map[string]string{metaHistory: string(h), metaPenalty: string(p)}
}

// writeArch writes the derived network d into the output directory.
func (s *Search) writeArch(d Derived) error {
	return writeDerived(s.cfg.OutDir, s.cfg.Space, d)
}

// writeDerived writes the derived network d of space s into dir: as arch
// strings, as JSON with the space, and its profile; and the space.
func writeDerived(dir string, s Space, d Derived) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("nas: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, ArchFile), []byte(d.Arch())); err != nil {
		return err
	}
	if err := WriteArchitecture(filepath.Join(dir, ArchJSONFile), Architecture{Space: s, Configs: d.Configs}); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, ProfileFile), []byte(d.Cost.Table())); err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, SpaceFile), s.JSON())
}

func countKept(cs []Config) int {
	n := 0
	for _, c := range cs {
		if c.Keep {
			n++
		}
	}
	return n
}

func countNonLocal(cs []Config) int {
	n := 0
	for _, c := range cs {
		if c.Keep && c.NonLocal.Ratio != 0 {
			n++
		}
	}
	return n
}

// summary lists the configurations in one line, "|" between stages.
func summary(cs []Config) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.String()
	}
	return strings.Join(parts, " ")
}

// humanMACs formats n in millions or billions.
func humanMACs(n int64) string {
	if n >= 1e9 {
		return fmt.Sprintf("%.2fG", float64(n)/1e9)
	}
	return fmt.Sprintf("%.2fM", float64(n)/1e6)
}

// searchOptimizer steps the weights' optimizer and, with its own schedule
// of the step count, the thresholds'. It implements optim.Optimizer for
// the trainer: LR and SetLR are the weights'.
type searchOptimizer struct {
	weights, arch optim.Optimizer
	archSched     optim.Schedule
}

func (o *searchOptimizer) Step() {
	lr := o.archSched.LR(o.weights.Steps())
	o.weights.Step()
	if lr > 0 {
		o.arch.SetLR(lr)
		o.arch.Step()
	}
}

func (o *searchOptimizer) ZeroGrad() {
	o.weights.ZeroGrad()
	o.arch.ZeroGrad()
}

func (o *searchOptimizer) LR() float64      { return o.weights.LR() }
func (o *searchOptimizer) SetLR(lr float64) { o.weights.SetLR(lr) }
func (o *searchOptimizer) Steps() int       { return o.weights.Steps() }
func (o *searchOptimizer) State() optim.State {
	st, err := optim.Merge(o.weights.State().Prefix("weights."), o.arch.State().Prefix("arch."))
	if err != nil {
		panic(fmt.Sprintf("nas: optimizer state: %v", err)) // the prefixes keep the names apart
	}
	return st
}

func (o *searchOptimizer) LoadState(s optim.State) error {
	w, a := s.Select("weights."), s.Select("arch.")
	// Validate both before changing either: load into the arch optimizer
	// last, after the weights' succeeded, and restore on failure.
	before := o.weights.State()
	if err := o.weights.LoadState(w); err != nil {
		return err
	}
	if err := o.arch.LoadState(a); err != nil {
		if rerr := o.weights.LoadState(before); rerr != nil {
			return fmt.Errorf("%v (and restoring the weights' optimizer failed: %v)", err, rerr)
		}
		return err
	}
	return nil
}
