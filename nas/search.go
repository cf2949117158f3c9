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
	"slices"
	"strconv"
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
	DefaultArchLR     = 3.0
	DefaultLR         = 0.006
	DefaultTolerance  = 0.05
	DefaultSearchKeep = 1.0
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
	// and h the Huber function with its knee at half the Tolerance (see
	// CostTerm); 0 means DefaultCostWeight.
	CostWeight float64
	// CostDual is the rate, per epoch, of the dual ascent on the cost
	// weight: after the cost ramp, every architecture step multiplies λ
	// by exp(CostDual·v/n), with n the steps per epoch and v the
	// distance of the derived network's MACs C from the target T beyond
	// the tolerance, v = clamp((|C/T − 1| − Tolerance)/Tolerance, −1, 1),
	// and never below CostWeight. Outside the tolerance λ grows (by up to
	// e^CostDual per epoch), so that the loss's pull on the gates cannot
	// hold the network at a distance from the target where the two
	// balance; within it λ decays back to CostWeight. λ stays at most
	// 1000·CostWeight. 0 means none: λ stays at CostWeight.
	CostDual float64
	// Tolerance is the relative distance from the target within which
	// the derived network is accepted; a search that ends outside it
	// projects the network onto the budget (see ProjectToBudget). 0 means
	// DefaultTolerance (5%).
	Tolerance float64
	// Train supplies the training batches; Val, if set, held-out data
	// evaluated with the derived network (the supernet with its gates)
	// after every epoch.
	Train, Val *data.Loader
	// Epochs is the number of epochs in all, WarmupEpochs at most how
	// many of them, at the start, train the weights with the architecture
	// frozen (all gates open, no cost term, thresholds not updated), as
	// Single-Path NAS does. With Val, the warm-up ends earlier, at the
	// end of the first epoch whose validation accuracy has left chance
	// (LeftChance) and stopped rising (it lies within one binomial
	// standard deviation of the best of the earlier epochs, or below, or
	// all but one validation example are right):
	// deciding gates by the loss of a network that has not learnt yet what
	// its blocks can give would decide them by noise, or by the cost.
	Epochs       int
	WarmupEpochs float64
	// GateKeep, in (0, 1], is the probability that a gate stays open in a
	// warm-up step (gate dropout, Single-Path NAS's 0.6); 0 means 1 (no
	// dropout).
	GateKeep float64
	// SearchKeep, in (0, 1], is the probability that a gate stays open in
	// a step after the warm-up ([Supernet.SetSearchDropout]): a gate
	// closed by it still gets the loss's gradient, read with its decision
	// closed; 0 means DefaultSearchKeep. Both dropouts are followed by a
	// recalibration of the batch norms before the epoch's evaluation.
	SearchKeep float64
	// GrowEpochs, at most WarmupEpochs, is at most how many epochs at the
	// start of the warm-up train the shallowest, narrowest network of the
	// space with every LightNL block (Supernet.growNetwork) before the
	// rest of the warm-up opens every gate: on a task with a plateau, such
	// as the embedded data, the largest network can sit at chance for
	// longer than the whole search, while it leaves the plateau within the
	// warm-up when it starts from that network's weights (see
	// docs/search.md). The growing ends earlier, after the first step at
	// which that network's training accuracy over the last 32 batches
	// (growWindow) is at least halfway from chance to 1, (1 + 1/k)/2 for k
	// classes: how many steps it needs to leave the plateau varies from
	// seed to seed by more than an epoch.
	GrowEpochs float64
	// LR is the peak learning rate of AdamW on the weights (linear
	// warm-up over LRWarmup epochs from 0, then cosine to 0); 0 means
	// DefaultLR. WeightDecay is its decoupled weight decay, not applied
	// to batch norm parameters and biases.
	LR, LRWarmup, WeightDecay float64
	// ArchLR is the learning rate of the thresholds' optimizer, SGD
	// without momentum, constant after the warm-up epochs and cosine to 0
	// over the last half of the search; 0 means DefaultArchLR.
	ArchLR float64
	// CostRamp is the number of epochs after the warm-up over which the
	// cost weight rises linearly from 0 to CostWeight, so that the
	// classification loss sets the gates' margins before the cost term
	// weighs in; 0 means none (the full weight at once).
	CostRamp float64
	// NonLocalGamma is the initial γ of the batch norm that ends each
	// LightNL block of the supernet (Supernet.SetNonLocalGamma); 0 keeps
	// the identity start, under which the loss's gradient on every
	// LightNL gate is 0 until γ has grown.
	NonLocalGamma float64
	// ArchTrain, if set, makes the search two-level (first-order, as
	// DARTS's first-order variant): each step trains the weights on a
	// batch of Train with the classification loss alone, then the
	// architecture (thresholds and the gates' own statistics) on a batch
	// of ArchTrain, held out of Train, with the loss and the cost term.
	// Without it the search is one-level: one batch of Train moves both.
	ArchTrain *data.Loader
	// CostOnly cuts the classification loss's gradient to the gates (the
	// ablation of a search whose decisions only the cost term makes): the
	// gates enter the forward pass as constants, so the thresholds move
	// by the cost term alone.
	CostOnly bool
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
	// CostWeight is λ at the end of the epoch (see CostDual).
	CostWeight float64 `json:"cost_weight,omitempty"`
	// Choices are the layers' configurations, Margins every gate's s − t
	// (by layer, in the order of the layer's Gates).
	Choices []Choice    `json:"configs"`
	Margins [][]float64 `json:"margins"`
	// GradLoss and GradCost are, per gate (by layer, as Margins), the
	// mean gradient on its threshold over the epoch's architecture steps
	// from the classification loss and from the cost term (nil in
	// warm-up). PushLoss and PushCost are what those gradients did to the
	// margin over the epoch, Σ lr·∂/∂t (the margin s − t grows by
	// lr·∂L/∂t in a step of SGD); PushLoss includes, for a gate with a
	// statistic of its own, that statistic's change.
	GradLoss [][]float64 `json:"grad_loss,omitempty"`
	GradCost [][]float64 `json:"grad_cost,omitempty"`
	PushLoss [][]float64 `json:"push_loss,omitempty"`
	PushCost [][]float64 `json:"push_cost,omitempty"`
	// Trace samples every gate's margin during the epoch, at most
	// traceSamples times, for DecisionsPlot.
	Trace []MarginSample `json:"trace,omitempty"`
	// Warmup is true for an epoch that ended in the warm-up.
	Warmup bool `json:"warmup,omitempty"`
}

// MarginSample is every gate's margin s − t after a step.
type MarginSample struct {
	Step    int         `json:"step"`
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
	// Drivers says what decided each gate (see Drive).
	Drivers []GateDrive
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
	grow    int // steps at the start that train growNetwork
	// growAcc holds growNetwork's training accuracy in the last (at most
	// growWindow) growing steps.
	growAcc []float64

	history []EpochRecord
	// ep holds the running sums of the epoch in progress.
	ep epochSums
	// archIt iterates ArchTrain; archCount counts the batches taken.
	archIt    *data.Batches
	archCount int
	// dual is log(λ/λ₀), λ₀ the ramped cost weight (see CostDual), and
	// lastCostRatio C/T of the last cost term.
	dual          float64
	lastCostRatio float64
	// stepHook, if set, is called after every step (for tests).
	stepHook func(train.StepInfo)
}

// epochSums are the sums over the steps of the epoch in progress, kept in
// the checkpoint so that a resumed search records what an uninterrupted
// one does.
type epochSums struct {
	PenaltySum   float64        `json:"penalty_sum"`
	PenaltySteps int            `json:"penalty_steps"`
	ArchSteps    int            `json:"arch_steps"`
	GradLoss     [][]float64    `json:"grad_loss,omitempty"`
	GradCost     [][]float64    `json:"grad_cost,omitempty"`
	PushLoss     [][]float64    `json:"push_loss,omitempty"`
	PushCost     [][]float64    `json:"push_cost,omitempty"`
	Trace        []MarginSample `json:"trace,omitempty"`
}

// traceSamples is the most margin samples an epoch records.
const traceSamples = 64

// Checkpoint metadata keys of the search's records and of the running sum
// of the cost term over the interrupted epoch's steps.
const (
	metaHistory  = "nas.history"
	metaPenalty  = "nas.epoch"
	metaWarm     = "nas.warm"
	metaGrow     = "nas.grow"
	metaArch     = "nas.arch_batches"
	metaSchedule = "nas.schedule"
	metaDual     = "nas.dual"
)

// schedule is the part of a SearchConfig that a resumed search must share
// with the one that wrote the checkpoint (besides the space and the
// target): changing any of them would continue another search than the
// one begun. The JSON names are those that Resume's errors give.
type schedule struct {
	Epochs         int     `json:"epochs"`
	WarmupEpochs   float64 `json:"warmup_epochs"`
	GateKeep       float64 `json:"gate_keep"`
	SearchKeep     float64 `json:"search_keep"`
	GrowEpochs     float64 `json:"grow_epochs"`
	LR             float64 `json:"lr"`
	LRWarmup       float64 `json:"lr_warmup"`
	WeightDecay    float64 `json:"weight_decay"`
	ArchLR         float64 `json:"arch_lr"`
	CostWeight     float64 `json:"cost_weight"`
	CostRamp       float64 `json:"cost_ramp"`
	CostDual       float64 `json:"cost_dual"`
	Tolerance      float64 `json:"tolerance"`
	NonLocalGamma  float64 `json:"nonlocal_gamma"`
	LabelSmoothing float64 `json:"label_smoothing"`
	TwoLevel       bool    `json:"two_level"`
	CostOnly       bool    `json:"cost_only"`
	Seed           uint64  `json:"seed"`
}

func (c SearchConfig) schedule() schedule {
	return schedule{c.Epochs, c.WarmupEpochs, c.GateKeep, c.SearchKeep, c.GrowEpochs, c.LR, c.LRWarmup, c.WeightDecay, c.ArchLR,
		c.CostWeight, c.CostRamp, c.CostDual, c.Tolerance, c.NonLocalGamma, c.LabelSmoothing, c.ArchTrain != nil, c.CostOnly, c.Seed}
}

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
	case !(cfg.GrowEpochs >= 0 && cfg.GrowEpochs <= cfg.WarmupEpochs):
		return nil, fmt.Errorf("nas: NewSearch: %v growing epochs; want 0 or more, at most the %v warm-up epochs", cfg.GrowEpochs, cfg.WarmupEpochs)
	case !(cfg.SearchKeep >= 0 && cfg.SearchKeep <= 1):
		return nil, fmt.Errorf("nas: NewSearch: search keep probability %v; want a value in (0, 1]", cfg.SearchKeep)
	case !(cfg.CostWeight >= 0) || !(cfg.ArchLR >= 0) || !(cfg.LR >= 0) || !(cfg.WeightDecay >= 0) || !(cfg.LRWarmup >= 0) || !(cfg.CostRamp >= 0):
		return nil, errors.New("nas: NewSearch: negative cost weight, learning rate, warm-up, cost ramp or weight decay")
	case !(cfg.CostDual >= 0) || math.IsInf(cfg.CostDual, 0):
		return nil, fmt.Errorf("nas: NewSearch: cost dual rate %v; want a finite rate of 0 or more", cfg.CostDual)
	case math.IsNaN(cfg.NonLocalGamma) || math.IsInf(cfg.NonLocalGamma, 0):
		return nil, fmt.Errorf("nas: NewSearch: LightNL γ %v; want a finite value", cfg.NonLocalGamma)
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
	def(&cfg.SearchKeep, DefaultSearchKeep)
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
	if cfg.ArchTrain != nil {
		ac, ah, aw := cfg.ArchTrain.Dataset().Shape()
		if ac != c || ah != h || aw != w || len(cfg.ArchTrain.Dataset().Classes()) != sp.Classes {
			return nil, fmt.Errorf("nas: NewSearch: the architecture data has %d×%d×%d images in %d classes, the training data %d×%d×%d in %d",
				ac, ah, aw, len(cfg.ArchTrain.Dataset().Classes()), c, h, w, sp.Classes)
		}
	}
	net, err := NewSupernet(cfg.Space, rng)
	if err != nil {
		return nil, err
	}
	net.SetNonLocalGamma(float32(cfg.NonLocalGamma))
	net.setCostOnly(cfg.CostOnly)
	spe := cfg.Train.NumBatches()
	ep := optim.PerEpoch(spe)
	total := ep(float64(cfg.Epochs))
	s := &Search{cfg: cfg, net: net, gateRNG: rng, warm: int(math.Round(ep(cfg.WarmupEpochs))), grow: int(math.Round(ep(cfg.GrowEpochs)))}
	stat := net.StatisticWeights()
	weights := optim.NewAdamW(optim.SplitDecay(net.Weights(), func(p nn.Param) bool {
		return p.Var.Value.NDim() > 1 && !stat[p.Var]
	}), optim.AdamConfig{LR: cfg.LR, WeightDecay: cfg.WeightDecay})
	arch := optim.NewSGD(optim.OneGroup(net.Architecture()), optim.SGDConfig{LR: cfg.ArchLR})
	// The architecture: frozen in warm-up, constant for the first half of
	// the rest, cosine to 0 over the second half. The warm-up may end
	// early (see onEpoch), so the schedule reads s.warm when it runs.
	archSched := optim.ScheduleFunc(func(step int) float64 {
		warm := float64(s.warm)
		half := warm + (total-warm)/2
		switch k := float64(step); {
		case k < warm:
			return 0
		case k < half:
			return cfg.ArchLR
		default:
			return cfg.ArchLR * 0.5 * (1 + math.Cos(math.Pi*(k-half)/(total-half)))
		}
	})
	s.opt = &searchOptimizer{weights: weights, arch: arch, archSched: archSched, search: s}
	var sched optim.Schedule = optim.Cosine(cfg.LR, total, 0)
	if cfg.LRWarmup > 0 {
		sched = optim.LinearWarmup(ep(cfg.LRWarmup), 0, sched)
	}
	spaceJSON := cfg.Space.JSON()
	sched0, _ := json.Marshal(cfg.schedule())
	meta := map[string]string{"nas.space": string(spaceJSON), "nas.target": fmt.Sprint(cfg.Target), metaSchedule: string(sched0)}
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
	if err := checkSchedule(ck.Metadata[metaSchedule], s.cfg.schedule()); err != nil {
		return fmt.Errorf("nas: Resume: %s was written by a search with %v", path, err)
	}
	var h []EpochRecord
	if err := json.Unmarshal([]byte(ck.Metadata[metaHistory]), &h); err != nil {
		return fmt.Errorf("nas: Resume: %s: metadata %s: %v", path, metaHistory, err)
	}
	var p epochSums
	if err := json.Unmarshal([]byte(ck.Metadata[metaPenalty]), &p); err != nil {
		return fmt.Errorf("nas: Resume: %s: metadata %s: %v", path, metaPenalty, err)
	}
	var warm, archCount int
	if _, err := fmt.Sscan(ck.Metadata[metaWarm], &warm); err != nil {
		return fmt.Errorf("nas: Resume: %s: metadata %s: %v", path, metaWarm, err)
	}
	if _, err := fmt.Sscan(ck.Metadata[metaArch], &archCount); err != nil {
		return fmt.Errorf("nas: Resume: %s: metadata %s: %v", path, metaArch, err)
	}
	dual, err := strconv.ParseFloat(ck.Metadata[metaDual], 64)
	if err != nil || !(dual >= 0 && dual <= maxDual) {
		return fmt.Errorf("nas: Resume: %s: metadata %s: %q is not a number in [0, %.4g]", path, metaDual, ck.Metadata[metaDual], maxDual)
	}
	g := growState{Steps: s.grow}
	if v, ok := ck.Metadata[metaGrow]; ok {
		// Checkpoints of searches whose growing could not end early
		// have none.
		if err := json.Unmarshal([]byte(v), &g); err != nil || g.Steps < 0 || g.Steps > s.grow || len(g.Acc) > growWindow {
			return fmt.Errorf("nas: Resume: %s: metadata %s: %q is not a growing state of at most %d steps", path, metaGrow, v, s.grow)
		}
	}
	if err := s.trainer.Resume(path); err != nil {
		return err
	}
	s.history, s.ep, s.warm, s.archCount, s.dual = h, p, warm, archCount, dual
	s.grow, s.growAcc = g.Steps, g.Acc
	return nil
}

// growState is the growing's part of a checkpoint: its length in steps,
// and growAcc.
type growState struct {
	Steps int       `json:"steps"`
	Acc   []float64 `json:"acc,omitempty"`
}

// checkSchedule compares the schedule stored in a checkpoint (JSON) with
// want and names the first setting that differs.
func checkSchedule(stored string, want schedule) error {
	var got map[string]any
	if err := json.Unmarshal([]byte(stored), &got); err != nil {
		return fmt.Errorf("no readable schedule (metadata %s: %v)", metaSchedule, err)
	}
	b, _ := json.Marshal(want)
	var w map[string]any
	json.Unmarshal(b, &w)
	keys := make([]string, 0, len(w))
	for k := range w {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if g, ok := got[k]; !ok || g != w[k] {
			return fmt.Errorf("%s %v, not %v: a resumed search must keep the schedule it began with", k, g, w[k])
		}
	}
	return nil
}

// Run searches until the configured epochs are complete, then derives the
// network (projected onto the budget if it ended outside the tolerance)
// and, with an OutDir, writes it. Interrupted (ctx cancelled), it writes a
// checkpoint and returns an error wrapping ctx's error, as train.Trainer
// does.
func (s *Search) Run(ctx context.Context) (SearchResult, error) {
	s.applyDropout()
	tres, err := s.trainer.Run(ctx)
	if s.archIt != nil {
		s.archIt.Close()
		s.archIt = nil
	}
	res := SearchResult{History: s.history, Final: tres.Final}
	if err != nil {
		return res, err
	}
	cs := s.net.Choices()
	res.Derived, res.Projected, err = ProjectToBudget(s.net, cs, s.cfg.Target, s.cfg.Tolerance)
	if err != nil {
		return res, err
	}
	if res.Projected > 0 {
		fmt.Fprintf(s.cfg.Log, "the search ended at %s MACs, %+.1f%% from the target: projected onto the budget by changing %d decisions\n",
			humanMACs(s.net.MACs(cs)), 100*(float64(s.net.MACs(cs))/float64(s.cfg.Target)-1), res.Projected)
	} else {
		fmt.Fprintf(s.cfg.Log, "the search ended at %s MACs, %+.1f%% from the target: no projection needed\n",
			humanMACs(s.net.MACs(cs)), 100*(float64(s.net.MACs(cs))/float64(s.cfg.Target)-1))
	}
	res.Drivers = Drivers(s.net, s.history)
	fmt.Fprint(s.cfg.Log, DriversSummary(s.net, res.Drivers))
	if s.cfg.OutDir != "" {
		if err := s.writeArch(res.Derived); err != nil {
			return res, err
		}
	}
	return res, nil
}

// regularizer is the train.Config.Regularizer: the cost term after the
// warm-up, 0 before, and 0 on the weights' batches of a two-level search
// (the architecture step adds its own).
func (s *Search) regularizer() *autograd.Var {
	if s.opt.Steps() < s.warm || s.cfg.ArchTrain != nil {
		return autograd.Const(tensor.Zeros(1))
	}
	s.retainCostGrads()
	return s.costTerm()
}

// costTerm returns the cost term of the last forward pass, with the cost
// weight of the step (see costWeight).
func (s *Search) costTerm() *autograd.Var {
	c := s.net.Cost()
	s.lastCostRatio = float64(c.Value.Data()[0]) / float64(s.cfg.Target)
	return CostTerm(c, s.cfg.Target, s.costWeight(s.opt.Steps()), s.cfg.Tolerance/2)
}

// costWeight returns λ at a step: CostWeight, ramped up linearly from 0
// over the CostRamp epochs after the warm-up, times the dual ascent's
// factor (see CostDual).
func (s *Search) costWeight(step int) float64 {
	w := s.cfg.CostWeight * math.Exp(s.dual)
	if ramp, k := s.costRamp(), float64(step-s.warm); ramp > 0 && k < ramp {
		return w * max(k+1, 0) / ramp
	}
	return w
}

// costRamp returns the length of the cost weight's ramp in steps.
func (s *Search) costRamp() float64 {
	return s.cfg.CostRamp * float64(s.cfg.Train.NumBatches())
}

// ascendDual takes the step of dual ascent on the cost weight (see
// CostDual) that follows the architecture step of the given step, with
// the cost of that step's cost term.
func (s *Search) ascendDual(step int) {
	if s.cfg.CostDual == 0 || float64(step-s.warm) < s.costRamp() {
		return
	}
	tol := s.cfg.Tolerance
	v := max(-1, min(1, (math.Abs(s.lastCostRatio-1)-tol)/tol))
	s.dual = max(0, min(maxDual, s.dual+s.cfg.CostDual*v/float64(s.cfg.Train.NumBatches())))
}

// maxDual bounds the dual ascent's factor on the cost weight, e^maxDual.
var maxDual = math.Log(1000)

// LeftChance reports whether an accuracy acc measured on n examples of a
// task of the given number of classes lies above chance by more than
// three binomial standard deviations, 1/k + 3·√((1/k)(1 − 1/k)/n): the
// test by which a search's warm-up ends.
func LeftChance(acc float64, n, classes int) bool {
	p := 1 / float64(classes)
	return n > 0 && acc > p+3*math.Sqrt(p*(1-p)/float64(n))
}

// archStep is the architecture's step of a two-level search: the
// classification loss and the cost term on the next batch of ArchTrain,
// with the gradient kept for the architecture's parameters alone.
func (s *Search) archStep(lr float64) {
	b := s.nextArchBatch()
	for _, p := range s.net.Architecture() {
		p.Var.ZeroGrad()
	}
	logits := s.net.Forward(autograd.Const(b.Images))
	loss := nn.CrossEntropyLoss{LabelSmoothing: float32(s.cfg.LabelSmoothing)}.Forward(logits, b.Labels)
	r := s.costTerm()
	s.ep.PenaltySum += float64(r.Value.Data()[0])
	s.retainCostGrads()
	total := autograd.Add(loss, autograd.Reshape(r, loss.Shape()...))
	total.Backward()
	// The weights' gradients of this batch are dropped by the next
	// ZeroGrad; only the architecture steps on them.
	s.recordGrads(lr)
	total.ReleaseGraph()
	tensor.Release(b.Images)
}

// nextArchBatch returns batch archCount of ArchTrain's passes (pass k in
// the loader's order of epoch k), so that a resumed search draws what an
// uninterrupted one does.
func (s *Search) nextArchBatch() data.Batch {
	l := s.cfg.ArchTrain
	nb := l.NumBatches()
	for {
		if s.archIt == nil {
			s.archIt = l.Epoch(context.Background(), s.archCount/nb)
			for range s.archCount % nb {
				if !s.archIt.Next() {
					break
				}
				tensor.Release(s.archIt.Batch().Images)
			}
		}
		if s.archIt.Next() {
			s.archCount++
			return s.archIt.Batch()
		}
		if err := s.archIt.Err(); err != nil {
			panic(fmt.Sprintf("nas: architecture data: %v", err))
		}
		s.archIt.Close()
		s.archIt = nil
		if s.archCount%nb != 0 {
			s.archCount += nb - s.archCount%nb
		}
	}
}

// retainCostGrads keeps the gradient of the gates as the cost sees them,
// for recordGrads.
func (s *Search) retainCostGrads() {
	for _, l := range s.net.Layers {
		for _, d := range l.lastCost {
			d.RetainGrad()
		}
	}
}

// recordGrads adds the architecture step's gradients to the epoch's sums:
// per gate, the threshold's gradient from the cost term, −σ'(s − t)·∂R/∂d
// with ∂R/∂d the gradient of the cost-side gate, and from the loss, the
// rest of the threshold's gradient; and what each does to the margin in
// this step of SGD with learning rate lr. In a cost-only search the
// loss's part is 0 by construction.
func (s *Search) recordGrads(lr float64) {
	e := &s.ep
	if e.GradLoss == nil {
		for _, l := range s.net.Layers {
			n := len(l.Gates)
			e.GradLoss, e.GradCost = append(e.GradLoss, make([]float64, n)), append(e.GradCost, make([]float64, n))
			e.PushLoss, e.PushCost = append(e.PushLoss, make([]float64, n)), append(e.PushCost, make([]float64, n))
		}
	}
	for li, l := range s.net.Layers {
		for i, t := range l.Thresholds {
			var gt, gd float64
			if t.Grad != nil {
				gt = float64(t.Grad.Data()[0])
			}
			if d := l.lastCost[i]; d.Grad != nil {
				gd = float64(d.Grad.Data()[0])
			}
			m := l.lastMargin[i]
			sig := 1 / (1 + math.Exp(-m))
			cost := -sig * (1 - sig) * gd
			loss := gt - cost
			e.GradLoss[li][i] += loss
			e.GradCost[li][i] += cost
			e.PushLoss[li][i] += lr * loss
			e.PushCost[li][i] += lr * cost
			if st := l.Stats[i]; st != nil && st.Grad != nil {
				e.PushLoss[li][i] -= lr * float64(st.Grad.Data()[0])
			}
		}
	}
	e.ArchSteps++
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
// target instead of swinging across it with each decision. The search
// puts the knee at half its tolerance: with the knee at the tolerance the
// push had faded to a fraction where the loss's pull held the network,
// and searches ended just outside the tolerance, needing the projection.
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
	if s.cfg.ArchTrain == nil {
		s.ep.PenaltySum += st.Regularizer
	}
	s.ep.PenaltySteps++
	if spe := s.cfg.Train.NumBatches(); st.Batch%max(1, spe/traceSamples) == 0 || st.Batch == spe-1 {
		s.ep.Trace = append(s.ep.Trace, MarginSample{Step: st.Step, Margins: s.margins()})
	}
	if st.Step-1 < s.grow {
		s.growStep(st)
	}
	s.applyDropout()
	// Recalibrate after an epoch that dropped gates in its last step or
	// grew in its first.
	if spe := s.cfg.Train.NumBatches(); st.Batch == spe-1 && (s.keep(st.Step-1) < 1 || st.Step-spe < s.grow) {
		s.recalibrate(st.Epoch)
		s.applyDropout()
	}
	if s.stepHook != nil {
		s.stepHook(st)
	}
}

// growWindow is the number of growing steps over which the growing
// network's training accuracy is averaged to decide whether the growing
// can end (see SearchConfig.GrowEpochs).
var growWindow = 32

// growStep records the accuracy of a growing step and ends the growing
// once growNetwork has learnt (see SearchConfig.GrowEpochs).
func (s *Search) growStep(st train.StepInfo) {
	s.growAcc = append(s.growAcc, st.Accuracy)
	if len(s.growAcc) > growWindow {
		s.growAcc = s.growAcc[len(s.growAcc)-growWindow:]
	}
	if len(s.growAcc) < growWindow || st.Step >= s.grow {
		return
	}
	var sum float64
	for _, a := range s.growAcc {
		sum += a
	}
	acc, k := sum/float64(len(s.growAcc)), float64(s.cfg.Space.Classes)
	if acc < (1+1/k)/2 {
		return
	}
	fmt.Fprintf(s.cfg.Log, "  growing: the shallowest network's training accuracy over its last %d steps reached %.2f%% after %d steps (at most %d); every gate opens\n",
		growWindow, 100*acc, st.Step, s.grow)
	s.grow = st.Step
}

// recalibrateBatches is the number of training batches over which
// recalibrate averages the batch statistics.
const recalibrateBatches = 16

// recalibrate re-estimates the running statistics of every batch norm of
// the supernet for the network its gates select, without gate dropout: the
// cumulative average (PyTorch's momentum None) of the batch statistics of
// the first recalibrateBatches batches of epoch's order of the training
// data, in a forward pass without gradients in which only the batch norms
// are in training mode. After steps with gate dropout the running
// statistics average random subnetworks, and after the growing steps they
// are growNetwork's, whose activations differ from the full
// network's, so that without this the network evaluated after the epoch
// reads near chance while it trains well (as one-shot searches such as
// SPOS recalibrate batch norm before evaluating a subnetwork).
func (s *Search) recalibrate(epoch int) {
	var bns []*nn.BatchNorm2d
	nn.Walk(s.net, func(_ string, m nn.Module) {
		if bn, ok := m.(*nn.BatchNorm2d); ok {
			bns = append(bns, bn)
		}
	})
	restore := nn.EvalMode(s.net)
	momentum := make([]float64, len(bns))
	for i, bn := range bns {
		nn.SetTraining(bn, true)
		momentum[i] = bn.Momentum
	}
	defer func() {
		for i, bn := range bns {
			bn.Momentum = momentum[i]
		}
		restore()
	}()
	s.net.SetGateDropout(s.gateRNG, 1)
	it := s.cfg.Train.Epoch(context.Background(), epoch)
	defer it.Close()
	for k := 1; k <= recalibrateBatches && it.Next(); k++ {
		for _, bn := range bns {
			bn.Momentum = 1 / float64(k)
		}
		images := it.Batch().Images
		autograd.NoGrad(func() { s.net.Forward(autograd.Const(images)) })
		tensor.Release(images)
	}
	if err := it.Err(); err != nil {
		panic(fmt.Sprintf("nas: recalibrating batch norm: %v", err))
	}
}

// keep returns the probability that a gate stays open in the given step
// (counted from 0).
func (s *Search) keep(step int) float64 {
	if step < s.warm {
		return s.cfg.GateKeep
	}
	return s.cfg.SearchKeep
}

// applyDropout sets the gates of the next step: growNetwork's during the
// growing steps (GrowEpochs), then the warm-up's gate dropout (GateKeep)
// during the warm-up steps and the search's (SearchKeep) after them.
func (s *Search) applyDropout() {
	step := s.opt.Steps()
	switch {
	case step < s.grow:
		if err := s.net.SetChoices(s.net.growNetwork()); err != nil {
			panic(fmt.Sprintf("nas: the growing network: %v", err)) // configOf gives a configuration
		}
	case step == s.grow:
		s.net.ClearChoices()
	}
	if step < s.warm {
		s.net.SetGateDropout(s.gateRNG, s.keep(step))
	} else {
		s.net.SetSearchDropout(s.gateRNG, s.keep(step))
	}
}

func (s *Search) margins() [][]float64 {
	var out [][]float64
	for _, l := range s.net.Layers {
		out = append(out, l.Margins())
	}
	return out
}

func (s *Search) onEpoch(m train.EpochMetrics) error {
	cs := s.net.Choices()
	e := s.ep
	r := EpochRecord{EpochMetrics: m, MACs: s.net.MACs(cs), Choices: cs, Margins: s.margins(),
		PushLoss: e.PushLoss, PushCost: e.PushCost, Trace: e.Trace, Warmup: s.opt.Steps() <= s.warm,
		CostWeight: s.costWeight(s.opt.Steps())}
	if e.PenaltySteps > 0 {
		r.Penalty = e.PenaltySum / float64(e.PenaltySteps)
	}
	if e.ArchSteps > 0 {
		scale := func(g [][]float64) [][]float64 {
			for _, row := range g {
				for i := range row {
					row[i] /= float64(e.ArchSteps)
				}
			}
			return g
		}
		r.GradLoss, r.GradCost = scale(e.GradLoss), scale(e.GradCost)
	}
	s.ep = epochSums{}
	s.history = append(s.history, r)
	if r.Warmup && s.cfg.Val != nil && s.opt.Steps() < s.warm && s.opt.Steps() >= s.grow {
		n := s.cfg.Val.Dataset().Len()
		best := math.Inf(-1)
		for _, h := range s.history[:len(s.history)-1] {
			best = max(best, h.TestAcc)
		}
		sd := math.Sqrt(m.TestAcc * (1 - m.TestAcc) / float64(n))
		if LeftChance(m.TestAcc, n, s.cfg.Space.Classes) && (m.TestAcc <= best+sd || 1-m.TestAcc <= 1/float64(n)) {
			s.warm = s.opt.Steps()
			fmt.Fprintf(s.cfg.Log, "  warm-up: the supernet's validation accuracy %.2f%% left chance and stopped rising; the architecture search begins\n", 100*m.TestAcc)
			s.applyDropout()
		}
	}
	if r.Warmup && s.opt.Steps() == s.warm && s.cfg.Val != nil && !LeftChance(m.TestAcc, s.cfg.Val.Dataset().Len(), s.cfg.Space.Classes) {
		fmt.Fprintf(s.cfg.Log, "  warm-up: ended after its %v epochs with the supernet's validation accuracy %.2f%% still at chance\n", s.cfg.WarmupEpochs, 100*m.TestAcc)
	}
	fmt.Fprintf(s.cfg.Log, "  arch: %s MACs (target %s, %+.1f%%, λ %.3g), %d layers, %d LightNL: %s\n",
		humanMACs(r.MACs), humanMACs(s.cfg.Target), 100*(float64(r.MACs)/float64(s.cfg.Target)-1), r.CostWeight,
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
	p, _ := json.Marshal(s.ep)
	g, _ := json.Marshal(growState{s.grow, s.growAcc})
	return map[string]string{metaHistory: string(h), metaPenalty: string(p), metaGrow: string(g),
		metaWarm: fmt.Sprint(s.warm), metaArch: fmt.Sprint(s.archCount), metaDual: strconv.FormatFloat(s.dual, 'g', -1, 64)}
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
	if err := WriteArchitecture(filepath.Join(dir, ArchJSONFile), Architecture{Space: s, Choices: d.Choices}); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, ProfileFile), []byte(d.Cost.Table())); err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, SpaceFile), s.JSON())
}

func countKept(cs []Choice) int {
	n := 0
	for _, c := range cs {
		if c.Keep {
			n++
		}
	}
	return n
}

func countNonLocal(cs []Choice) int {
	n := 0
	for _, c := range cs {
		if c.Keep && c.NonLocal.Ratio != 0 {
			n++
		}
	}
	return n
}

// summary lists the configurations in one line, "|" between stages.
func summary(cs []Choice) string {
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
	search        *Search
}

// Step steps the weights and, after the warm-up, the architecture: on the
// same batch's gradients (one-level), or on those of a batch of
// ArchTrain (two-level, see Search.archStep).
func (o *searchOptimizer) Step() {
	lr := o.archSched.LR(o.weights.Steps())
	if lr > 0 && o.search.cfg.ArchTrain == nil {
		o.search.recordGrads(lr)
	}
	o.weights.Step()
	if lr > 0 {
		if o.search.cfg.ArchTrain != nil {
			o.search.archStep(lr)
		}
		o.arch.SetLR(lr)
		o.arch.Step()
		o.search.ascendDual(o.weights.Steps() - 1)
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
