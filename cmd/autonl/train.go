package main

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
	"runtime"
	"time"

	"github.com/autonl-go/autonl/data"
	"github.com/autonl-go/autonl/models"
	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/nn/optim"
	"github.com/autonl-go/autonl/train"
)

func init() {
	commands["train"] = command{
		summary: "train a network (zoo name or arch strings) on a dataset, with checkpoints and plots",
		run:     interruptible(runTrain),
	}
}

// runTrain runs autonl train with args, printing progress lines to stdout
// and the progress bar to stderr.
func runTrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o := ptr(defaultTrainOptions())
	if err := parseFlags(o.flags(), args, stderr); err != nil {
		return err
	}
	o, err := resumeTrainOptions(o, args, stdout, stderr)
	if err != nil {
		return err
	}
	return trainNetwork(ctx, o, stdout, stderr)
}

// trainNetwork trains the network of o, the options of a run of autonl
// train (resolved by resumeTrainOptions), in o.Out. It is the training of
// autonl train and of autonl search's training phase.
func trainNetwork(ctx context.Context, o *trainOptions, stdout, stderr io.Writer) error {
	if err := o.check(); err != nil {
		return err
	}
	ckPath := filepath.Join(o.Out, train.CheckpointFile)
	spec, err := parseDataSpec(o.Data)
	if err != nil {
		return err
	}
	if o.ImageSize, err = imageSizeFor(spec.kind, o.ImageSize); err != nil {
		return err
	}
	arch := o.Arch // resuming: the network of the run
	if !o.Resume {
		if arch, err = o.readArch(); err != nil {
			return err
		}
		if o.SearchedArch, err = o.readSearched(); err != nil {
			return err
		}
	}

	fmt.Fprintf(stdout, "loading data %s\n", o.Data)
	trainSet, testSet, err := loadData(spec, dataOptions{TrainSize: o.TrainSize, TestSize: o.TestSize, ImageSize: o.ImageSize, Gray: o.Gray, Seed: o.Seed})
	if err != nil {
		return err
	}
	c, h, w := trainSet.Shape()
	o.Input, o.Classes = [3]int{c, h, w}, trainSet.Classes()
	// Build the network first: it checks that the run fits in memory.
	src := rand.NewPCG(o.Seed, 0x6175746f6e6c) // "autonl"
	built, err := buildModel(rand.New(src), o, arch, memUse{o.Batch, true, o.Workers})
	if err != nil {
		return err
	}
	aug, err := augmentFor(o.Augment, spec.kind, h)
	if err != nil {
		return err
	}
	mean, std := data.ChannelStats(trainSet, 5000)
	o.Mean, o.Std = mean, std
	trainLoader, err := data.NewLoader(trainSet, data.LoaderConfig{
		BatchSize: o.Batch, Shuffle: true, DropLast: trainSet.Len() > o.Batch, Seed: o.Seed,
		Augment: aug, Mean: mean, Std: std, Workers: o.Workers,
	})
	if err != nil {
		return err
	}
	testLoader, err := data.NewLoader(testSet, data.LoaderConfig{BatchSize: max(o.Batch, 128), Mean: mean, Std: std, Workers: o.Workers})
	if err != nil {
		return err
	}

	model := built.model
	lr, wd, gamma := o.resolvedLR(), o.resolvedWD(), o.resolvedNLGamma()
	o.LR, o.WD, o.NLGamma = autoFloat{lr, true}, autoFloat{wd, true}, autoFloat{gamma, true}
	nonLocal := initLightNLGamma(model, float32(gamma))
	params := nn.NamedParams(model)
	opt, err := newOptimizer(o.Optimizer, params, lr, wd)
	if err != nil {
		return err
	}
	spe := trainLoader.NumBatches()
	sched := newSchedule(o.Schedule, lr, spe, o.Epochs, o.Warmup)
	var ema *optim.EMA
	if o.EMA > 0 {
		ema = optim.NewEMA(params, nn.NamedBuffers(model), optim.EMAConfig{Decay: o.EMA, NumUpdatesWarmup: true})
	}
	optsJSON, err := json.Marshal(o)
	if err != nil {
		return fmt.Errorf("encoding the options for the checkpoint: %v", err)
	}
	classesJSON, err := json.Marshal(o.Classes)
	if err != nil {
		return fmt.Errorf("encoding the class names for the checkpoint: %v", err)
	}
	tr, err := train.New(train.Config{
		Model: model, Train: trainLoader, Test: testLoader,
		Loss:      nn.CrossEntropyLoss{LabelSmoothing: float32(o.Smoothing)},
		Optimizer: opt, Schedule: sched, EMA: ema, ClipGradNorm: o.Clip,
		Epochs: o.Epochs, OutDir: o.Out,
		Log: stdout, Progress: stderr,
		RandSources: []train.RandSource{src},
		Metadata: map[string]string{
			metaOptions:      string(optsJSON),
			"autonl.arch":    o.Arch,
			"autonl.classes": string(classesJSON),
		},
	})
	if err != nil {
		return err
	}
	if o.Resume {
		if err := tr.Resume(ckPath); err != nil {
			return err
		}
	}
	if err := removeStale(o.Out, stderr); err != nil {
		return err
	}
	_, statErr := os.Stat(o.Out)
	created := errors.Is(statErr, os.ErrNotExist)
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return err
	}
	archPath := filepath.Join(o.Out, "arch.txt")
	if err := os.WriteFile(archPath, []byte(built.arch), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "data: %d training and %d test images of %d×%d×%d in %d classes\n", trainSet.Len(), testSet.Len(), c, h, w, len(o.Classes))
	fmt.Fprintf(stdout, "model: %s, %s MACs, %s parameters", built.name, models.FormatCount(built.macs), models.FormatCount(int64(nn.NumParams(model))))
	if nonLocal > 0 {
		fmt.Fprintf(stdout, ", %d LightNL blocks with initial γ %.3g", nonLocal, gamma)
	}
	fmt.Fprintln(stdout)
	fmt.Fprintf(stdout, "training: %d epochs of %d steps, batch %d, %s lr %.4g (%s, %.3g warm-up epochs), wd %.3g, smoothing %.3g, ema %.4g, seed %d, %d threads\n",
		o.Epochs, spe, o.Batch, o.Optimizer, lr, o.Schedule, o.Warmup, wd, o.Smoothing, o.EMA, o.Seed, runtime.GOMAXPROCS(0))
	fmt.Fprintf(stdout, "output: %s\n", o.Out)

	start := time.Now()
	res, err := tr.Run(ctx)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return fmt.Errorf("%w\nrerun with -resume (and the same -out) to continue", err)
		}
		if _, serr := os.Stat(ckPath); errors.Is(serr, os.ErrNotExist) {
			// A run that failed before its first checkpoint leaves no
			// outputs: arch.txt, and -out if this run made it.
			os.Remove(archPath)
			if created {
				os.Remove(o.Out) // only if empty
			}
		}
		return err
	}
	fmt.Fprintf(stdout, "finished %d epochs in %s (this session)\n", len(res.History), time.Since(start).Round(time.Second))
	if res.Final != nil {
		which := ""
		if ema != nil {
			which = " (EMA weights)"
		}
		fmt.Fprintf(stdout, "final test accuracy%s: %.2f%% (%d of %d; chance %.2f%%), loss %.4f\n",
			which, 100*res.Final.Accuracy(), res.Final.Correct, res.Final.Total, 100*chance(res.Final.Confusion), res.Final.Loss)
		fmt.Fprint(stdout, res.Final.Confusion.String())
	}
	return nil
}

func (o *trainOptions) resolvedLR() float64 { return o.LR.or(defaultLR(o.Optimizer, o.Batch)) }

// defaultLR returns the peak learning rate of optimizer for batch images a
// step when -lr is auto.
func defaultLR(optimizer string, batch int) float64 {
	switch optimizer {
	case "sgd":
		return 0.1 * float64(batch) / 128
	case "rmsprop-tf":
		return 0.016 * float64(batch) / 256
	default:
		return 0.006
	}
}

func (o *trainOptions) resolvedWD() float64 { return o.WD.or(defaultWD(o.Optimizer, o.Data)) }

// defaultWD returns the weight decay of optimizer on the data of -data
// when -wd is auto.
func defaultWD(optimizer, data string) float64 {
	switch optimizer {
	case "sgd":
		return 5e-4
	case "rmsprop-tf":
		return 1e-5
	case "adamw":
		if data == "embedded" {
			return embeddedWD
		}
		return 0.05
	default:
		return 0
	}
}

// embeddedWD is the weight decay of AdamW on the embedded data, where the
// networks start on a plateau at chance and decay shrinks the weak signal
// that leads off it (measurements: docs/lightnl-experiment.md).
const embeddedWD = 0.0

// resolvedNLGamma returns -nl-gamma, or its default for -data.
func (o *trainOptions) resolvedNLGamma() float64 {
	if o.Data == "embedded" {
		return o.NLGamma.or(embeddedNLGamma)
	}
	return o.NLGamma.or(0)
}

// embeddedNLGamma is the initial γ of the batch norm that ends each LightNL
// block on the embedded data. At 0, the released code's choice, no gradient
// reaches the block's attention until γ has grown, and only that path
// carries this data's label; 0.25 lets it train from the first step
// without the heavy-tailed attention outputs that 1 gave
// (docs/lightnl-experiment.md).
const embeddedNLGamma = 0.25

// newOptimizer returns the optimizer of -optimizer, with weight decay on
// the weights of convolutions and linear layers only.
func newOptimizer(kind string, params []nn.Param, lr, wd float64) (optim.Optimizer, error) {
	groups := optim.SplitDecay(params, nil)
	switch kind {
	case "sgd":
		return optim.NewSGD(groups, optim.SGDConfig{LR: lr, Momentum: 0.9, Nesterov: true, WeightDecay: wd}), nil
	case "rmsprop-tf":
		return optim.NewRMSPropTF(groups, optim.RMSPropTFConfig{LR: lr, Rho: 0.9, Momentum: 0.9, Eps: 1e-3, WeightDecay: wd}), nil
	case "adam":
		return optim.NewAdam(groups, optim.AdamConfig{LR: lr, WeightDecay: wd}), nil
	case "adamw":
		return optim.NewAdamW(groups, optim.AdamConfig{LR: lr, WeightDecay: wd}), nil
	}
	return nil, usagef("-optimizer %s: want sgd, rmsprop-tf, adam or adamw", kind)
}

// newSchedule returns the learning rate schedule of -schedule peaking at
// lr, with warmup epochs of linear warm-up from 0.
func newSchedule(kind string, lr float64, stepsPerEpoch, epochs int, warmup float64) optim.Schedule {
	ep := optim.PerEpoch(stepsPerEpoch)
	total := ep(float64(epochs))
	var s optim.Schedule
	switch kind {
	case "cosine":
		s = optim.Cosine(lr, total, 0)
	case "step":
		half, threeQ := math.Round(total/2), math.Round(3*total/4)
		s = optim.ScheduleFunc(func(step int) float64 {
			switch {
			case float64(step) >= threeQ:
				return lr * 0.01
			case float64(step) >= half:
				return lr * 0.1
			}
			return lr
		})
	case "exp":
		s = optim.ExponentialStaircase(lr, 0.97, ep(2.4), true)
	default:
		s = optim.Constant(lr)
	}
	if warmup > 0 {
		s = optim.LinearWarmup(ep(warmup), 0, s)
	}
	return s
}

// chance returns the accuracy of always predicting the most frequent class
// of the evaluated set.
func chance(c *train.Confusion) float64 {
	best := 0
	for _, row := range c.Counts {
		n := 0
		for _, v := range row {
			n += v
		}
		best = max(best, n)
	}
	if t := c.Total(); t > 0 {
		return float64(best) / float64(t)
	}
	return 0
}
