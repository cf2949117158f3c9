package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/autonl-go/autonl/models"
	"github.com/autonl-go/autonl/nas"
)

// metaOptions is the checkpoint metadata key holding the trainOptions of a
// run, from which autonl eval and autonl train -resume rebuild it.
const metaOptions = "autonl.train"

// trainOptions are the settings of a training run, as flags and as stored
// in its checkpoint (JSON).
type trainOptions struct {
	Model    string `json:"model,omitempty"`
	ArchFile string `json:"arch_file,omitempty"`
	Arch     string `json:"arch,omitempty"` // the arch strings the model was built from (not for -model)
	Searched string `json:"searched,omitempty"`
	// SearchedArch is the arch.json of -searched, kept so that the network
	// can be rebuilt without the file.
	SearchedArch json.RawMessage `json:"searched_arch,omitempty"`
	Width        float64         `json:"width"`
	Head         int             `json:"head"`
	Data         string          `json:"data"`
	TrainSize    int             `json:"train_size"`
	TestSize     int             `json:"test_size"`
	ImageSize    int             `json:"image_size"`
	Gray         bool            `json:"gray"`
	Augment      string          `json:"augment"`
	Epochs       int             `json:"epochs"`
	Batch        int             `json:"batch"`
	LR           autoFloat       `json:"lr"`
	Schedule     string          `json:"schedule"`
	Warmup       float64         `json:"warmup"`
	Optimizer    string          `json:"optimizer"`
	WD           autoFloat       `json:"wd"`
	NLGamma      autoFloat       `json:"nl_gamma"`
	Smoothing    float64         `json:"smoothing"`
	EMA          float64         `json:"ema"`
	Clip         float64         `json:"clip"`
	runFlags

	// Filled in from the data when the model is built.
	Input   [3]int    `json:"input"` // C, H, W
	Classes []string  `json:"classes"`
	Mean    []float32 `json:"mean,omitempty"` // normalization by channel
	Std     []float32 `json:"std,omitempty"`
}

// defaultEpochs is the number of epochs of the default run.
const defaultEpochs = 4

// Defaults of autonl train: a small MBConv network with LightNL blocks on
// the embedded data (64×64), sized to finish in under 10 minutes on two
// cores.
func defaultTrainOptions() trainOptions {
	return trainOptions{
		Width:     1,
		Data:      "embedded",
		Augment:   "auto",
		Epochs:    defaultEpochs,
		Batch:     64,
		Schedule:  "cosine",
		Warmup:    1,
		Optimizer: "adamw",
		Smoothing: 0.1,
		runFlags:  runFlags{Seed: 1, Workers: 2, Out: filepath.Join("runs", "train")},
	}
}

// flags returns the flag set of autonl train bound to o's fields.
func (o *trainOptions) flags() *flag.FlagSet {
	fs := newFlagSet("train", "[flags]",
		"Trains a network and writes a checkpoint, metrics.csv, loss.png, accuracy.png and\n"+
			"arch.txt to -out after every epoch. Ctrl-C saves a checkpoint; -resume continues it.\n"+
			"Without flags it trains a small LightNL network on the embedded data.")
	fs.StringVar(&o.Model, "model", o.Model, "zoo network: "+strings.Join(zooNames(), ", ")+" (default: the embedded LightNL network)")
	fs.StringVar(&o.ArchFile, "arch", o.ArchFile, "`file` of arch strings, one block per line, instead of -model")
	fs.StringVar(&o.Searched, "searched", o.Searched, "the arch.json `file` of autonl search: its network, with the stem, head and activation of its space")
	fs.Float64Var(&o.Width, "width", o.Width, "width multiplier of the network")
	fs.IntVar(&o.Head, "head", o.Head, "channels of the head's 1×1 conv of -arch networks (0: 4× the last block's; 128 for the default network)")
	fs.StringVar(&o.Data, "data", o.Data, "dataset: "+dataKinds)
	fs.IntVar(&o.TrainSize, "train-size", o.TrainSize, fmt.Sprintf("use this many training examples (0: all; embedded: %d)", embeddedTrain))
	fs.IntVar(&o.TestSize, "test-size", o.TestSize, fmt.Sprintf("use this many test examples (0: all; embedded: %d)", embeddedTest))
	fs.IntVar(&o.ImageSize, "size", o.ImageSize, fmt.Sprintf("side length of the embedded images, and of folder images after resizing (0: %d for embedded, %d for folders; mnist, fashion-mnist and cifar10 keep their own)", embeddedImageSize, folderImageSize))
	fs.BoolVar(&o.Gray, "gray", o.Gray, "load folder images as one grey channel")
	fs.StringVar(&o.Augment, "augment", o.Augment, "augmentation: auto, none, crop, flip or crop+flip (auto: none for embedded, crop for mnist, crop+flip otherwise)")
	fs.IntVar(&o.Epochs, "epochs", o.Epochs, "epochs to train, in total when resuming")
	fs.IntVar(&o.Batch, "batch", o.Batch, "images per step")
	fs.Var(autoFlag{&o.LR}, "lr", "peak learning rate (auto: 0.1·batch/128 for sgd, 0.016·batch/256 for rmsprop-tf, 0.006 for adam and adamw)")
	fs.StringVar(&o.Schedule, "schedule", o.Schedule, "learning-rate schedule after warm-up: cosine, step (×0.1 at 1/2 and 3/4), exp (×0.97 every 2.4 epochs) or const")
	fs.Float64Var(&o.Warmup, "warmup", o.Warmup, "epochs of linear warm-up from 0")
	fs.StringVar(&o.Optimizer, "optimizer", o.Optimizer, "optimizer: adamw, adam, sgd (Nesterov momentum 0.9) or rmsprop-tf")
	fs.Var(autoFlag{&o.WD}, "wd", "weight decay, not applied to batch norm and biases (auto: 5e-4 for sgd, 1e-5 for rmsprop-tf, 0 for adam, 0.05 for adamw, 0 for adamw on the embedded data)")
	fs.Var(autoFlag{&o.NLGamma}, "nl-gamma", "initial γ of the batch norm that ends each LightNL block (auto: 0.25 on the embedded data, 0 otherwise, the released code's nl_zero_init)")
	fs.Float64Var(&o.Smoothing, "smoothing", o.Smoothing, "label smoothing")
	fs.Float64Var(&o.EMA, "ema", o.EMA, "decay of an exponential moving average of the weights, used for testing (0: none)")
	fs.Float64Var(&o.Clip, "clip", o.Clip, "clip the gradients' global norm to this (0: no clipping)")
	o.runFlags.define(fs, "run", "the initialization, data order and augmentation", "checkpoint, metrics.csv, loss.png, accuracy.png, arch.txt")
	return fs
}

func (o *trainOptions) totalEpochs() int { return o.Epochs }

// check validates the options that need no data; errors are usage errors
// naming the flag.
func (o *trainOptions) check() error {
	switch {
	case o.Model != "" && o.ArchFile != "", o.Model != "" && o.Searched != "", o.ArchFile != "" && o.Searched != "":
		return usagef("-model, -arch and -searched exclude each other: give one")
	case o.Epochs < 1:
		return usagef("-epochs %d: want at least 1", o.Epochs)
	case o.Batch < 1:
		return usagef("-batch %d: want at least 1", o.Batch)
	case o.LR.Set && !(o.LR.V > 0 && o.LR.V <= math.MaxFloat64):
		return usagef("-lr %v: want a positive finite learning rate", o.LR.V)
	case o.WD.Set && !(o.WD.V >= 0 && o.WD.V <= math.MaxFloat64):
		return usagef("-wd %v: want a finite value of 0 or more", o.WD.V)
	case o.NLGamma.Set && (math.IsNaN(o.NLGamma.V) || math.IsInf(o.NLGamma.V, 0)):
		return usagef("-nl-gamma %v: want a finite value", o.NLGamma.V)
	case !(o.Width > 0) || math.IsInf(o.Width, 0):
		return usagef("-width %v: want a positive multiplier", o.Width)
	case o.Head < 0:
		return usagef("-head %d: want 0 (auto) or more", o.Head)
	case !(o.Warmup >= 0):
		return usagef("-warmup %v: want 0 or more epochs", o.Warmup)
	case !(o.Clip <= math.MaxFloat64):
		return usagef("-clip %v: want a finite norm", o.Clip)
	case !(o.Smoothing >= 0 && o.Smoothing < 1):
		return usagef("-smoothing %v: want a value in [0, 1)", o.Smoothing)
	case !(o.EMA >= 0 && o.EMA < 1):
		return usagef("-ema %v: want a decay in [0, 1), 0 for none", o.EMA)
	case !(o.Clip >= 0):
		return usagef("-clip %v: want 0 (none) or more", o.Clip)
	case o.TrainSize < 0:
		return usagef("-train-size %d: want 0 (all) or more", o.TrainSize)
	case o.TestSize < 0:
		return usagef("-test-size %d: want 0 (all) or more", o.TestSize)
	case o.ImageSize < 0:
		return usagef("-size %d: want a positive side length, or 0 for the data's default", o.ImageSize)
	case o.Workers < 1:
		return usagef("-workers %d: want at least 1", o.Workers)
	case o.Out == "":
		return usagef("-out is empty: want a directory")
	}
	if err := firstError(
		atMost("-epochs", o.Epochs, maxEpochs), atMost("-batch", o.Batch, maxBatch),
		atMost("-warmup", o.Warmup, maxEpochs), atMost("-width", o.Width, models.MaxWidthMultiplier),
		atMost("-head", o.Head, models.MaxWidth), atMost("-train-size", o.TrainSize, maxExamples),
		atMost("-test-size", o.TestSize, maxExamples), atMost("-size", o.ImageSize, models.MaxInputSize),
		atMost("-workers", o.Workers, maxWorkers),
	); err != nil {
		return err
	}
	if o.Model != "" && !isZooName(o.Model) {
		return usagef("-model %s: unknown network; want one of %s", o.Model, strings.Join(zooNames(), ", "))
	}
	switch o.Optimizer {
	case "sgd", "rmsprop-tf", "adam", "adamw":
	default:
		return usagef("-optimizer %s: want sgd, rmsprop-tf, adam or adamw", o.Optimizer)
	}
	switch o.Schedule {
	case "cosine", "step", "exp", "const":
	default:
		return usagef("-schedule %s: want cosine, step, exp or const", o.Schedule)
	}
	if _, err := augmentFor(o.Augment, "embedded", 32); err != nil {
		return err
	}
	return nil
}

// checkSaved checks options read from a checkpoint's metadata: what check
// checks, and the fields filled in from the data.
func (o *trainOptions) checkSaved() error {
	if err := o.check(); err != nil {
		return err
	}
	c, h, w := o.Input[0], o.Input[1], o.Input[2]
	switch {
	case c < 1 || c > models.MaxWidth || h < 1 || h > models.MaxInputSize || w < 1 || w > models.MaxInputSize:
		return fmt.Errorf("input %v: want 1 to %d channels of 1 to %d pixels a side", o.Input, models.MaxWidth, models.MaxInputSize)
	case len(o.Classes) < 1 || len(o.Classes) > models.MaxClasses:
		return fmt.Errorf("classes: %d names, want 1 to %d", len(o.Classes), models.MaxClasses)
	case o.Mean != nil && (len(o.Mean) != c || len(o.Std) != c):
		return fmt.Errorf("mean and std: %d and %d values for %d channels", len(o.Mean), len(o.Std), c)
	case len(o.Arch) > maxArchBytes:
		return fmt.Errorf("arch: %d bytes, want at most %d", len(o.Arch), maxArchBytes)
	case len(o.SearchedArch) > nas.MaxSpaceBytes:
		return fmt.Errorf("searched_arch: %d bytes, want at most %d", len(o.SearchedArch), nas.MaxSpaceBytes)
	}
	if o.Arch != "" {
		if _, err := models.ParseArch(o.Arch); err != nil {
			return fmt.Errorf("arch: %v", err)
		}
	}
	if o.SearchedArch != nil {
		if _, err := nas.ParseArchitecture(o.SearchedArch); err != nil {
			return fmt.Errorf("searched_arch: %v", err)
		}
	}
	return nil
}

// readArch returns the arch strings of -arch, checked, or "" without it.
func (o *trainOptions) readArch() (string, error) {
	if o.ArchFile == "" {
		return "", nil
	}
	text, _, err := readArchFile("-arch", o.ArchFile)
	return text, err
}

// readSearched returns the checked contents of -searched, or nil without
// it.
func (o *trainOptions) readSearched() (json.RawMessage, error) {
	if o.Searched == "" {
		return nil, nil
	}
	if _, err := nas.ReadArchitecture(o.Searched); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, usagef("-searched %s: no such file", o.Searched)
		}
		return nil, usagef("-searched %s: %v", o.Searched, err)
	}
	b, err := os.ReadFile(o.Searched)
	if err != nil {
		return nil, err
	}
	return json.RawMessage(b), nil
}

// autoFloat is a float flag whose default depends on other flags: "auto"
// until set.
type autoFloat struct {
	V   float64
	Set bool
}

// or returns the value set, or auto if there is none.
func (a autoFloat) or(auto float64) float64 {
	if a.Set {
		return a.V
	}
	return auto
}

func (a *autoFloat) String() string {
	if a == nil || !a.Set {
		return "auto"
	}
	return strconv.FormatFloat(a.V, 'g', -1, 64)
}

func (a *autoFloat) set(s string) error {
	if s == "auto" {
		*a = autoFloat{}
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return errors.New("want a number or auto")
	}
	*a = autoFloat{V: v, Set: true}
	return nil
}

// autoFlag adapts *autoFloat to flag.Getter.
type autoFlag struct{ *autoFloat }

func (f autoFlag) Set(s string) error { return f.set(s) }

// Get returns the value, or nil for auto.
func (f autoFlag) Get() any {
	if !f.autoFloat.Set {
		return nil
	}
	return f.V
}

func (a autoFloat) MarshalJSON() ([]byte, error) {
	if !a.Set {
		return []byte(`"auto"`), nil
	}
	return json.Marshal(a.V)
}

func (a *autoFloat) UnmarshalJSON(b []byte) error {
	if string(b) == `"auto"` {
		*a = autoFloat{}
		return nil
	}
	var v float64
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*a = autoFloat{V: v, Set: true}
	return nil
}
