package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/autonl-go/autonl/data"
	"github.com/autonl-go/autonl/internal/sysmem"
	"github.com/autonl-go/autonl/models"
	"github.com/autonl-go/autonl/nas"
	"github.com/autonl-go/autonl/train"
)

func init() {
	commands["search"] = command{
		summary: "search where LightNL blocks go and each layer's kernel and expansion under a MACs target, then train the result",
		run:     interruptible(runSearch),
	}
}

// metaSearch is the checkpoint metadata key holding the searchOptions of a
// run.
const metaSearch = "autonl.search"

// searchOptions are the settings of autonl search, as flags and as stored
// in its checkpoint (JSON).
type searchOptions struct {
	Preset     string    `json:"preset"`
	SpaceFile  string    `json:"space_file,omitempty"`
	Target     macs      `json:"target"`
	Width      float64   `json:"width"`
	Data       string    `json:"data"`
	TrainSize  int       `json:"train_size"`
	ValSize    int       `json:"val_size"`
	ImageSize  int       `json:"image_size"`
	Epochs     int       `json:"epochs"`
	Warmup     float64   `json:"warmup"`
	GateKeep   float64   `json:"gate_keep"`
	SearchKeep float64   `json:"search_keep"`
	Grow       autoFloat `json:"grow"`
	Batch      int       `json:"batch"`
	LR         float64   `json:"lr"`
	WD         autoFloat `json:"wd"`
	ArchLR     float64   `json:"arch_lr"`
	CostWeight float64   `json:"cost_weight"`
	CostRamp   float64   `json:"cost_ramp"`
	CostDual   float64   `json:"cost_dual"`
	NLGamma    autoFloat `json:"nl_gamma"`
	ArchData   int       `json:"arch_data"`
	CostOnly   bool      `json:"cost_only,omitempty"`
	Tolerance  float64   `json:"tolerance"`
	Smoothing  float64   `json:"smoothing"`
	runFlags
	// TrainEpochs, if positive, trains the derived network afterwards
	// with autonl train's recipe, in Out/train.
	TrainEpochs int `json:"train_epochs"`
	// Random, if positive, runs the random-search baseline with this many
	// candidates instead of the supernet search.
	Random int `json:"random,omitempty"`
}

// macs is a flag value for multiply-add counts: "350M", "7.6M", "1.2G" or a
// plain number; 0 means the preset's target.
type macs int64

func (m *macs) String() string {
	if m == nil || *m == 0 {
		return "preset"
	}
	return strconv.FormatInt(int64(*m), 10)
}

func (m *macs) Set(s string) error {
	v, err := parseMACs(s)
	if err != nil {
		return err
	}
	*m = macs(v)
	return nil
}

// parseMACs parses "350M", "7.6M", "1.2G", "900k" or a plain count.
func parseMACs(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := 1.0
	switch {
	case strings.HasSuffix(t, "G"):
		mult, t = 1e9, strings.TrimSuffix(t, "G")
	case strings.HasSuffix(t, "M"):
		mult, t = 1e6, strings.TrimSuffix(t, "M")
	case strings.HasSuffix(t, "k"), strings.HasSuffix(t, "K"):
		mult, t = 1e3, t[:len(t)-1]
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || !(v > 0) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("want a positive count such as 350M, 7.6M or 1.2G")
	}
	n := math.Round(v * mult)
	if !(n >= 1 && n <= maxTarget) {
		return 0, fmt.Errorf("%g multiply-adds: want 1 to %g, such as 350M, 7.6M or 1.2G", v*mult, float64(maxTarget))
	}
	return int64(n), nil
}

// defaultSearchOptions: a search on the embedded data in the small
// preset, then training the result, within 10 minutes on two cores.
func defaultSearchOptions() searchOptions {
	return searchOptions{
		Preset: "small", Width: 1, Data: "embedded",
		TrainSize: 20000, ValSize: 1000,
		Epochs: 4, Warmup: 2, GateKeep: 1, SearchKeep: nas.DefaultSearchKeep, Batch: 64,
		LR: nas.DefaultLR, ArchLR: nas.DefaultArchLR, CostWeight: nas.DefaultCostWeight, CostRamp: 0.5, CostDual: 10,
		Tolerance: nas.DefaultTolerance, Smoothing: 0.1,
		runFlags:    runFlags{Seed: 1, Workers: 2, Out: filepath.Join("runs", "search")},
		TrainEpochs: defaultEpochs,
	}
}

func (o *searchOptions) flags() *flag.FlagSet {
	fs := newFlagSet("search", "[flags]",
		"Trains a supernet whose gates decide each layer's kernel size, expansion, whether\n"+
			"it exists and whether a LightNL block (and which ratio and key stride) follows it,\n"+
			"under a MACs target; writes the derived network to -out/arch.txt after every epoch\n"+
			"and then trains it (-train-epochs). Ctrl-C saves a checkpoint; -resume continues it.\n"+
			"Without flags it searches the small space on the embedded data.")
	fs.StringVar(&o.Preset, "preset", o.Preset, "search space: "+strings.Join(nas.PresetNames(), " or "))
	fs.StringVar(&o.SpaceFile, "space", o.SpaceFile, "search space `file` (JSON, as runs/search/space.json) instead of -preset")
	fs.Var(&o.Target, "target", "MACs of the derived network, such as 7.6M or 350M (default: the preset's)")
	fs.Float64Var(&o.Width, "width", o.Width, "width multiplier of the space")
	fs.StringVar(&o.Data, "data", o.Data, "dataset: "+dataKinds+", or random (Gaussian images of the space's size, random labels)")
	fs.IntVar(&o.TrainSize, "train-size", o.TrainSize, "training examples of the search (0: all but -val-size)")
	fs.IntVar(&o.ValSize, "val-size", o.ValSize, "held-out training examples to evaluate the derived network on after every epoch")
	fs.IntVar(&o.ImageSize, "size", o.ImageSize, "image side length (0: the space's for embedded and random data, the data's otherwise)")
	fs.IntVar(&o.Epochs, "epochs", o.Epochs, "epochs of the search, warm-up included")
	fs.Float64Var(&o.Warmup, "warmup", o.Warmup, "at most this many epochs at the start train the weights only (gates open but for gate dropout, no cost term); the warm-up ends earlier once the supernet's validation accuracy has left chance and stopped rising")
	fs.Float64Var(&o.GateKeep, "gate-keep", o.GateKeep, "probability that a gate stays open in a warm-up step (gate dropout, Single-Path NAS's 0.6; 1: none, the default, since the batch norms' running statistics of random subnetworks put the warm-up's validation accuracy near chance)")
	fs.Float64Var(&o.SearchKeep, "search-keep", o.SearchKeep, "probability that a gate stays open in a search step after the warm-up (a closed gate still gets the loss's gradient, read with its decision closed; 1: none)")
	fs.Var(autoFlag{&o.Grow}, "grow", "at most this many epochs at the start of the warm-up train the shallowest, narrowest network of the space with every LightNL block before every gate opens; the growing ends earlier once that network's training accuracy is halfway from chance to 1 (auto: the whole warm-up on the embedded data, whose plateau holds the largest network at chance; 0 elsewhere)")
	fs.IntVar(&o.Batch, "batch", o.Batch, "images per step")
	fs.Float64Var(&o.LR, "lr", o.LR, "peak learning rate of the weights (AdamW, cosine)")
	fs.Var(autoFlag{&o.WD}, "wd", "weight decay of the weights, not applied to batch norm and biases (auto: 0.05, 0 on the embedded data as in autonl train)")
	fs.Float64Var(&o.ArchLR, "arch-lr", o.ArchLR, "learning rate of the gates' thresholds (SGD)")
	fs.Float64Var(&o.CostWeight, "cost-weight", o.CostWeight, "λ of the cost term λ·h(log(MACs/target)), h the Huber function with its knee at half -tolerance")
	fs.Float64Var(&o.CostDual, "cost-dual", o.CostDual, "rate per epoch at which λ rises (by up to e^rate per epoch) while the derived network is outside -tolerance of the target, and falls back to -cost-weight within it: dual ascent, so that the loss cannot hold the network off the target (0: none, λ stays at -cost-weight)")
	fs.Float64Var(&o.CostRamp, "cost-ramp", o.CostRamp, "epochs after the warm-up over which λ rises from 0 to -cost-weight, so that the loss sets the gates' margins first (0: none)")
	fs.Var(autoFlag{&o.NLGamma}, "nl-gamma", "initial γ of the batch norm that ends each LightNL block of the supernet, as autonl train's -nl-gamma (auto: 0.25 on every data set: with 0 the loss's gradient on every LightNL gate is 0 at the start)")
	fs.IntVar(&o.ArchData, "arch-data", o.ArchData, "hold this many training examples out for the architecture steps (two-level search, first order); 0: one-level, weights and gates on the same batches")
	fs.BoolVar(&o.CostOnly, "cost-only", o.CostOnly, "ablation: cut the classification loss's gradient to the gates, so that the cost term alone moves the thresholds")
	fs.Float64Var(&o.Tolerance, "tolerance", o.Tolerance, "relative distance from the target the derived network must keep")
	fs.Float64Var(&o.Smoothing, "smoothing", o.Smoothing, "label smoothing")
	o.runFlags.define(fs, "search", "the supernet, the data order and the gate dropout", "checkpoint, arch.txt, arch.json, decisions.csv, decisions.png, macs.png, metrics")
	fs.IntVar(&o.Random, "random", o.Random, "instead of searching, draw this many random networks within the target, train each on its share of the same budget (-epochs) and keep the best on the validation images (the baseline)")
	fs.IntVar(&o.TrainEpochs, "train-epochs", o.TrainEpochs, "then train the derived network from scratch for this many epochs with autonl train's recipe, in -out/train (0: do not)")
	return fs
}

func (o *searchOptions) totalEpochs() int { return o.Epochs }

func (o *searchOptions) check() error {
	switch {
	case o.Epochs < 1:
		return usagef("-epochs %d: want at least 1", o.Epochs)
	case !(o.Warmup >= 0) || (o.Random == 0 && o.Warmup >= float64(o.Epochs)):
		return usagef("-warmup %v: want 0 or more epochs, fewer than -epochs %d", o.Warmup, o.Epochs)
	case !(o.GateKeep > 0 && o.GateKeep <= 1):
		return usagef("-gate-keep %v: want a probability in (0, 1]", o.GateKeep)
	case !(o.SearchKeep > 0 && o.SearchKeep <= 1):
		return usagef("-search-keep %v: want a probability in (0, 1]", o.SearchKeep)
	case o.Grow.Set && !(o.Grow.V >= 0 && o.Grow.V <= o.Warmup):
		return usagef("-grow %v: want 0 or more epochs, at most -warmup %v", o.Grow.V, o.Warmup)
	case o.Batch < 1:
		return usagef("-batch %d: want at least 1", o.Batch)
	case !(o.LR > 0):
		return usagef("-lr %v: want a positive learning rate", o.LR)
	case o.WD.Set && !(o.WD.V >= 0):
		return usagef("-wd %v: want 0 or more", o.WD.V)
	case !(o.ArchLR > 0):
		return usagef("-arch-lr %v: want a positive learning rate", o.ArchLR)
	case !(o.CostWeight > 0):
		return usagef("-cost-weight %v: want a positive weight", o.CostWeight)
	case !(o.CostDual >= 0):
		return usagef("-cost-dual %v: want a rate of 0 or more", o.CostDual)
	case !(o.CostRamp >= 0):
		return usagef("-cost-ramp %v: want 0 or more epochs", o.CostRamp)
	case o.NLGamma.Set && (math.IsNaN(o.NLGamma.V) || math.IsInf(o.NLGamma.V, 0)):
		return usagef("-nl-gamma %v: want a finite value", o.NLGamma.V)
	case o.ArchData < 0:
		return usagef("-arch-data %d: want 0 (one-level) or a number of examples", o.ArchData)
	case !(o.Tolerance > 0 && o.Tolerance < 1):
		return usagef("-tolerance %v: want a fraction in (0, 1)", o.Tolerance)
	case !(o.Smoothing >= 0 && o.Smoothing < 1):
		return usagef("-smoothing %v: want a value in [0, 1)", o.Smoothing)
	case !(o.Width > 0) || math.IsInf(o.Width, 0):
		return usagef("-width %v: want a positive multiplier", o.Width)
	case o.TrainSize < 0:
		return usagef("-train-size %d: want 0 (all) or more", o.TrainSize)
	case o.ValSize < 0:
		return usagef("-val-size %d: want 0 or more", o.ValSize)
	case o.ImageSize < 0:
		return usagef("-size %d: want a positive side length, or 0 for the default", o.ImageSize)
	case o.Workers < 1:
		return usagef("-workers %d: want at least 1", o.Workers)
	case o.Random < 0:
		return usagef("-random %d: want 0 (search) or a number of candidates", o.Random)
	case o.Random > 0 && o.Resume:
		return usagef("-random and -resume exclude each other: a random search skips the candidates it finished when rerun with the same -out")
	case o.Random > 0 && o.ValSize == 0:
		return usagef("-random needs validation images (-val-size) to pick the best candidate")
	case o.TrainEpochs < 0:
		return usagef("-train-epochs %d: want 0 (no training) or more", o.TrainEpochs)
	case o.Out == "":
		return usagef("-out is empty: want a directory")
	}
	return firstError(
		atMost("-epochs", o.Epochs, maxEpochs), atMost("-warmup", o.Warmup, maxEpochs),
		atMost("-batch", o.Batch, maxBatch), atMost("-width", o.Width, models.MaxWidthMultiplier),
		atMost("-train-size", o.TrainSize, maxExamples), atMost("-val-size", o.ValSize, maxExamples),
		atMost("-size", o.ImageSize, models.MaxInputSize), atMost("-workers", o.Workers, maxWorkers),
		atMost("-random", o.Random, maxRandom), atMost("-train-epochs", o.TrainEpochs, maxEpochs),
		atMost("-target", int64(o.Target), maxTarget), atMost("-cost-ramp", o.CostRamp, maxEpochs), atMost("-cost-dual", o.CostDual, maxCostDual),
		atMost("-arch-data", o.ArchData, maxExamples),
	)
}

// space returns the search space of -preset or -space, with its default
// target, before the data adapts it.
func (o *searchOptions) space() (nas.Space, int64, error) {
	if o.SpaceFile != "" {
		s, err := nas.LoadSpace(o.SpaceFile)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nas.Space{}, 0, usagef("-space %s: no such file", o.SpaceFile)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, o.SpaceFile+": ") { // LoadSpace's errors name the file, or say why not
				msg = o.SpaceFile + ": " + msg
			}
			return nas.Space{}, 0, usagef("-space %s", msg)
		}
		return s, 0, nil
	}
	p, err := nas.LookupPreset(o.Preset)
	if err != nil {
		return nas.Space{}, 0, usagef("-preset %s: unknown; want %s", o.Preset, strings.Join(nas.PresetNames(), " or "))
	}
	return p.Space, p.Target, nil
}

// runSearch runs autonl search with args.
func runSearch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o := ptr(defaultSearchOptions())
	if err := parseFlags(o.flags(), args, stderr); err != nil {
		return err
	}
	ckPath := filepath.Join(o.Out, train.CheckpointFile)
	var saved *searchOptions
	o, err := resumeOptions(o, "search", func(ck *train.Checkpoint) (*searchOptions, error) {
		s, err := savedSearchOptions(ck)
		saved = ptr(s)
		return &s, err
	}, args, stdout, stderr)
	if err != nil {
		return err
	}
	if o.Resume && saved != nil {
		if err := o.sameSchedule(saved); err != nil {
			return err
		}
	}
	if err := o.check(); err != nil {
		return err
	}
	space, target, err := o.space()
	if err != nil {
		return err
	}
	explicit := o.Target > 0
	if explicit {
		target = int64(o.Target)
	}
	if target == 0 {
		return usagef("-target is required with -space: the MACs of the derived network, such as 7.6M")
	}
	o.Target = macs(target)
	space.WidthMultiplier *= o.Width

	trainSet, valSet, err := o.loadSearchData(&space)
	if err != nil {
		return err
	}
	var archSet data.Dataset
	if o.ArchData > 0 && o.Random == 0 {
		if o.ArchData >= trainSet.Len() {
			return usagef("-arch-data %d: the search's training set has only %d examples", o.ArchData, trainSet.Len())
		}
		archSet, trainSet = data.Split(trainSet, o.ArchData, o.Seed+1)
	}
	if err := space.Validate(); err != nil {
		return usagef("the search space does not fit the data: %v", err)
	}
	c, h, w := trainSet.Shape()
	if err := o.checkSpace(space, target, explicit, [3]int{c, h, w}); err != nil {
		return err
	}
	if err := removeStale(o.Out, stderr); err != nil {
		return err
	}
	mean, std := data.ChannelStats(trainSet, 5000)
	trainLoader, err := data.NewLoader(trainSet, data.LoaderConfig{
		BatchSize: o.Batch, Shuffle: true, DropLast: trainSet.Len() > o.Batch, Seed: o.Seed,
		Mean: mean, Std: std, Workers: o.Workers,
	})
	if err != nil {
		return err
	}
	var valLoader *data.Loader
	if valSet != nil && valSet.Len() > 0 {
		if valLoader, err = data.NewLoader(valSet, data.LoaderConfig{BatchSize: max(o.Batch, 128), Mean: mean, Std: std, Workers: o.Workers}); err != nil {
			return err
		}
	}
	if o.Random > 0 {
		start := time.Now()
		fmt.Fprintf(stdout, "data: %d training and %d validation images of %d×%d×%d in %d classes\n", trainSet.Len(), lenOf(valSet), c, h, w, space.Classes)
		fmt.Fprintf(stdout, "random search: %d networks within %.0f%% of %s MACs, each trained on %.3g epochs' share of %d images, seed %d\n",
			o.Random, 100*o.Tolerance, models.FormatCount(target), float64(o.Epochs)/float64(o.Random), trainSet.Len(), o.Seed)
		res, err := nas.RandomSearch(ctx, nas.RandomConfig{
			Space: space, Target: target, Tolerance: o.Tolerance, Train: trainLoader, Val: valLoader,
			Candidates: o.Random, Epochs: float64(o.Epochs), LR: o.LR, WeightDecay: o.weightDecay(), LabelSmoothing: o.Smoothing,
			Seed: o.Seed, OutDir: o.Out, Log: stdout, Progress: stderr,
		})
		if err != nil {
			return err
		}
		best := res.Candidates[res.Best]
		fmt.Fprintf(stdout, "random search in %s: candidate %d of %d, validation accuracy %.2f%%\n", time.Since(start).Round(time.Second), res.Best+1, o.Random, 100*best.ValAcc)
		return o.report(ctx, res.Derived, target, stdout, stderr)
	}
	optsJSON, err := json.Marshal(o)
	if err != nil {
		return fmt.Errorf("encoding the options for the checkpoint: %v", err)
	}
	var archLoader *data.Loader
	if archSet != nil {
		if archLoader, err = data.NewLoader(archSet, data.LoaderConfig{
			BatchSize: o.Batch, Shuffle: true, DropLast: archSet.Len() > o.Batch, Seed: o.Seed + 1,
			Mean: mean, Std: std, Workers: o.Workers,
		}); err != nil {
			return err
		}
	}
	search, err := nas.NewSearch(nas.SearchConfig{
		Space: space, Target: target, CostWeight: o.CostWeight, CostRamp: o.CostRamp, CostDual: o.CostDual, Tolerance: o.Tolerance,
		Train: trainLoader, Val: valLoader, ArchTrain: archLoader, Epochs: o.Epochs, WarmupEpochs: o.Warmup, GateKeep: o.GateKeep,
		SearchKeep: o.SearchKeep, GrowEpochs: o.grow(),
		LR: o.LR, LRWarmup: min(1, o.Warmup), WeightDecay: o.weightDecay(), ArchLR: o.ArchLR, LabelSmoothing: o.Smoothing,
		NonLocalGamma: o.nlGamma(), CostOnly: o.CostOnly,
		Seed: o.Seed, OutDir: o.Out, Log: stdout, Progress: stderr,
		Metadata: map[string]string{metaSearch: string(optsJSON)},
	})
	if err != nil {
		return err
	}
	if o.Resume {
		if err := search.Resume(ckPath); err != nil {
			return err
		}
	}
	net := search.Supernet()
	largest := net.MACs(net.Choices())
	fmt.Fprintf(stdout, "data: %d training and %d validation images of %d×%d×%d in %d classes\n", trainSet.Len(), lenOf(valSet), c, h, w, space.Classes)
	fmt.Fprintf(stdout, "space: %d searchable layers, %d gates; supernet %s MACs (the largest network), target %s\n",
		len(net.Layers), len(net.Thresholds()), models.FormatCount(largest), models.FormatCount(target))
	level := "one-level"
	if archLoader != nil {
		level = fmt.Sprintf("two-level, %d architecture examples", archSet.Len())
	}
	if o.CostOnly {
		level += ", cost only (ablation)"
	}
	dual := ""
	if o.CostDual > 0 {
		dual = fmt.Sprintf(" and raised by dual ascent at rate %.3g", o.CostDual)
	}
	fmt.Fprintf(stdout, "search: %d epochs of %d steps (warm-up at most %.3g, growing at most %.3g, gate keep %.3g, search keep %.3g), batch %d, lr %.3g, wd %.3g, arch lr %.3g, cost weight %.3g ramped over %.3g epochs%s, LightNL γ %.3g, %s, seed %d, %d threads\n",
		o.Epochs, trainLoader.NumBatches(), o.Warmup, o.grow(), o.GateKeep, o.SearchKeep, o.Batch, o.LR, o.weightDecay(), o.ArchLR, o.CostWeight, o.CostRamp, dual, o.nlGamma(), level, o.Seed, runtime.GOMAXPROCS(0))
	fmt.Fprintf(stdout, "output: %s\n", o.Out)
	start := time.Now()
	res, err := search.Run(ctx)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return fmt.Errorf("%w\nrerun with -resume (and the same -out) to continue", err)
		}
		return err
	}
	fmt.Fprintf(stdout, "searched in %s\n", time.Since(start).Round(time.Second))
	return o.report(ctx, res.Derived, target, stdout, stderr)
}

// sameSchedule returns a usage error naming the first flag that a
// resumed search changed from the checkpoint's saved options: a search
// resumed with another schedule, space, data or seed would continue
// another search than the one begun. -workers, -train-epochs and -out
// may change.
func (o *searchOptions) sameSchedule(saved *searchOptions) error {
	for _, f := range []struct {
		flag      string
		got, want any
	}{
		{"-preset", o.Preset, saved.Preset}, {"-space", o.SpaceFile, saved.SpaceFile},
		{"-target", o.Target, saved.Target}, {"-width", o.Width, saved.Width},
		{"-data", o.Data, saved.Data}, {"-train-size", o.TrainSize, saved.TrainSize},
		{"-val-size", o.ValSize, saved.ValSize}, {"-size", o.ImageSize, saved.ImageSize},
		{"-epochs", o.Epochs, saved.Epochs}, {"-warmup", o.Warmup, saved.Warmup},
		{"-gate-keep", o.GateKeep, saved.GateKeep}, {"-search-keep", o.SearchKeep, saved.SearchKeep},
		{"-grow", o.grow(), saved.grow()},
		{"-batch", o.Batch, saved.Batch},
		{"-lr", o.LR, saved.LR}, {"-wd", o.weightDecay(), saved.weightDecay()},
		{"-arch-lr", o.ArchLR, saved.ArchLR}, {"-cost-weight", o.CostWeight, saved.CostWeight},
		{"-cost-ramp", o.CostRamp, saved.CostRamp}, {"-cost-dual", o.CostDual, saved.CostDual}, {"-nl-gamma", o.nlGamma(), saved.nlGamma()},
		{"-arch-data", o.ArchData, saved.ArchData}, {"-cost-only", o.CostOnly, saved.CostOnly},
		{"-tolerance", o.Tolerance, saved.Tolerance}, {"-smoothing", o.Smoothing, saved.Smoothing},
		{"-seed", o.Seed, saved.Seed},
	} {
		if f.got != f.want {
			return usagef("-resume: %s %v differs from the checkpoint's %v: a resumed search keeps the settings it began with (drop the flag, or start afresh with another -out)", f.flag, f.got, f.want)
		}
	}
	return nil
}

// nlGamma returns -nl-gamma, or its default: embeddedNLGamma on every
// data set, since the search needs the loss's gradient on its LightNL
// gates from the start (autonl train's default is 0 off the embedded
// data, the released code's).
func (o *searchOptions) nlGamma() float64 { return o.NLGamma.or(embeddedNLGamma) }

// grow returns the epochs of -grow: auto is the warm-up on the embedded
// data, 0 on the others.
func (o *searchOptions) grow() float64 {
	if o.Data == "embedded" {
		return o.Grow.or(o.Warmup)
	}
	return o.Grow.or(0)
}

// checkSpace checks that an explicit target is within the MACs of the
// networks of the space, and that the search fits in memory.
func (o *searchOptions) checkSpace(space nas.Space, target int64, explicit bool, input [3]int) error {
	smallest, largest, err := space.MACsRange()
	if err != nil {
		return err
	}
	if explicit && (float64(target) < float64(smallest)*(1-o.Tolerance) || float64(target) > float64(largest)*(1+o.Tolerance)) {
		return usagef("-target %s: the networks of the search space cost %s to %s MACs on %d×%d×%d images",
			models.FormatCount(target), models.FormatCount(smallest), models.FormatCount(largest), input[0], input[1], input[2])
	}
	f, err := space.Footprint()
	if err != nil {
		return err
	}
	what := "the search space's supernet"
	if o.SpaceFile != "" {
		what = "-space " + o.SpaceFile
	}
	return checkMemory(what, f, o.Batch, true, input, o.Workers)
}

// weightDecay returns -wd, or autonl train's AdamW default for -data.
func (o *searchOptions) weightDecay() float64 { return o.WD.or(defaultWD("adamw", o.Data)) }

// report prints the derived network d and, with -train-epochs, trains it.
func (o *searchOptions) report(ctx context.Context, d nas.Derived, target int64, stdout, stderr io.Writer) error {
	fmt.Fprintf(stdout, "derived network: %s MACs (target %s, %+.1f%%), %s parameters, %d layers, %d LightNL blocks\n",
		models.FormatCount(d.Cost.Total.MACs), models.FormatCount(target),
		100*(float64(d.Cost.Total.MACs)/float64(target)-1), models.FormatCount(d.Cost.Total.Params), len(d.Blocks), countLightNL(d))
	fmt.Fprint(stdout, d.Arch())
	fmt.Fprintf(stdout, "wrote %s and %s\n", filepath.Join(o.Out, nas.ArchFile), filepath.Join(o.Out, nas.ArchJSONFile))
	if o.TrainEpochs == 0 {
		return nil
	}
	fmt.Fprintf(stdout, "\ntraining the searched network from scratch (autonl train -searched %s):\n", filepath.Join(o.Out, nas.ArchJSONFile))
	t := o.trainOptions()
	// Resuming the search resumes its training phase too, if it began.
	if _, err := os.Stat(filepath.Join(t.Out, train.CheckpointFile)); err == nil && o.Resume {
		t.Resume = true
	}
	t, err := resumeTrainOptions(t, nil, stdout, stderr)
	if err != nil {
		return err
	}
	return trainNetwork(ctx, t, stdout, stderr)
}

// trainOptions returns the options of the training phase: autonl train's
// recipe for the derived network in Out/arch.json, on the search's data,
// seed and workers, for TrainEpochs epochs, in Out/train.
func (o *searchOptions) trainOptions() *trainOptions {
	t := defaultTrainOptions()
	t.Searched = filepath.Join(o.Out, nas.ArchJSONFile)
	t.Data, t.ImageSize = o.Data, o.ImageSize
	t.Epochs, t.Seed, t.Workers = o.TrainEpochs, o.Seed, o.Workers
	t.Out = filepath.Join(o.Out, "train")
	return &t
}

// savedSearchOptions returns the options stored in a checkpoint by autonl
// search.
func savedSearchOptions(ck *train.Checkpoint) (searchOptions, error) {
	o := defaultSearchOptions()
	err := savedMetadata(ck, metaSearch, "search", &o, o.check)
	return o, err
}

func lenOf(ds data.Dataset) int {
	if ds == nil {
		return 0
	}
	return ds.Len()
}

func countLightNL(d nas.Derived) int {
	n := 0
	for _, b := range d.Blocks {
		if b.HasNonLocal() {
			n++
		}
	}
	return n
}

// loadSearchData loads the search's training and validation sets and
// fits the space to them: input size, channels and classes. The
// validation examples are held out of the training set (for the embedded
// data: generated at indices after the training examples, before those of
// autonl train's test set), so the search never sees a test example.
func (o *searchOptions) loadSearchData(space *nas.Space) (trainSet, valSet data.Dataset, err error) {
	if o.Data == "random" {
		size := space.InputSize
		if o.ImageSize > 0 {
			size = o.ImageSize
		}
		n := o.TrainSize
		if n == 0 {
			n = 4 * o.Batch
		}
		image := int64(space.InputChannels) * int64(size) * int64(size)
		if err := sysmem.Check(4*image*int64(n+o.ValSize), fmt.Sprintf("-data random: %d images of %d×%d×%d", n+o.ValSize, space.InputChannels, size, size)); err != nil {
			return nil, nil, err
		}
		trainSet, err = randomDataset(n, space.InputChannels, size, space.Classes, o.Seed)
		if err != nil {
			return nil, nil, err
		}
		if o.ValSize > 0 {
			if valSet, err = randomDataset(o.ValSize, space.InputChannels, size, space.Classes, o.Seed+1); err != nil {
				return nil, nil, err
			}
		}
		space.InputSize = size
		return trainSet, valSet, nil
	}
	spec, err := parseDataSpec(o.Data)
	if err != nil {
		return nil, nil, err
	}
	size := o.ImageSize
	if spec.kind == "embedded" && size == 0 {
		size = space.InputSize
	}
	if size, err = imageSizeFor(spec.kind, size); err != nil {
		return nil, nil, err
	}
	if spec.kind == "embedded" {
		n := o.TrainSize
		if n == 0 {
			n = embeddedTrain - o.ValSize
		}
		if n+o.ValSize > embeddedTrain {
			return nil, nil, usagef("-train-size %d and -val-size %d: the embedded search data must stay within autonl train's %d training images, before its test images", n, o.ValSize, embeddedTrain)
		}
		cfg := data.DefaultSyntheticConfig()
		cfg.N, cfg.Size = n, size
		tr, va, err := data.SyntheticSplits(cfg, o.ValSize)
		if err != nil {
			return nil, nil, err
		}
		trainSet, valSet = tr, va
	} else {
		all, _, err := loadData(spec, dataOptions{ImageSize: size, Seed: o.Seed})
		if err != nil {
			return nil, nil, err
		}
		if o.ValSize >= all.Len() {
			return nil, nil, usagef("-val-size %d: the training set has only %d examples", o.ValSize, all.Len())
		}
		valSet, trainSet = data.Split(all, o.ValSize, o.Seed)
		if o.TrainSize > 0 && o.TrainSize < trainSet.Len() {
			trainSet, _ = data.Split(trainSet, o.TrainSize, o.Seed)
		}
	}
	c, h, _ := trainSet.Shape()
	space.InputSize, space.InputChannels, space.Classes = h, c, len(trainSet.Classes())
	return trainSet, valSet, nil
}

// randomDataset returns n images of Gaussian noise of c×size×size with
// labels drawn uniformly from classes, deterministic by seed: data to run
// a search's mechanics on when there is no dataset at hand, such as the
// imagenet preset at 224×224.
func randomDataset(n, c, size, classes int, seed uint64) (data.Dataset, error) {
	if n < 1 {
		return nil, usagef("-train-size %d: want at least 1 random image", n)
	}
	rng := rand.New(rand.NewPCG(seed, 0x72616e64)) // "rand"
	pix := make([]float32, n*c*size*size)
	for i := range pix {
		pix[i] = float32(rng.NormFloat64())
	}
	labels := make([]int, n)
	names := make([]string, classes)
	for i := range labels {
		labels[i] = rng.IntN(classes)
	}
	for i := range names {
		names[i] = fmt.Sprintf("class %d", i)
	}
	return data.NewMemory(c, size, size, pix, labels, names)
}
