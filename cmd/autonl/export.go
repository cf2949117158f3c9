package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/autonl-go/autonl/models"
	"github.com/autonl-go/autonl/onnx"
	"github.com/autonl-go/autonl/safetensors"
	"github.com/autonl-go/autonl/train"
)

func init() {
	commands["export"] = command{
		summary: "export a trained network to ONNX (for ONNX Runtime) or to a network file for PyTorch",
		run: func(args []string) error {
			return runExport(args, os.Stdout, os.Stderr)
		},
	}
}

// Metadata keys of exported files besides models.SpecKey: the input shape
// C×H×W, the normalization of the training data and the class names, each
// as JSON. python/autonl_torch.py and interop/ read them by these names.
const (
	metaInputShape = "autonl.input_shape"
	metaMean       = "autonl.mean"
	metaStd        = "autonl.std"
	metaClasses    = "autonl.classes"
)

// exportFormats are the values of -format.
var exportFormats = []string{"onnx", "safetensors"}

// exported is a network to export with what its files record.
type exported struct {
	net       *models.Net
	name      string    // what to call it in messages
	input     [3]int    // C, H, W
	mean, std []float32 // normalization of the training data, or nil
	classes   []string  // class names, or nil
	weights   string    // "weights", "EMA weights" or "random weights"
}

// runExport runs autonl export with args.
func runExport(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("export", "-checkpoint FILE [-format onnx|safetensors] -o FILE [flags]",
		"Rebuilds the network of a checkpoint and writes it as an ONNX model or as a network\n"+
			"file for PyTorch (python/autonl_torch.py). The file is written whole or not at all.")
	ckPath := fs.String("checkpoint", "", "`file` to export: a checkpoint of autonl train, or a network file (of -format safetensors, or saved by python/autonl_torch.py)")
	model := fs.String("model", "", "export this zoo network with random weights instead: "+strings.Join(zooNames(), ", "))
	format := fs.String("format", "onnx", "output format: onnx (ONNX opset 17, for ONNX Runtime) or safetensors (weights and network description, for python/autonl_torch.py)")
	out := fs.String("o", "", "output `file` (required)")
	useEMA := fs.Bool("ema", true, "export the checkpoint's EMA weights if it has them")
	normalize := fs.Bool("normalize", true, "onnx: put the training data's normalization into the graph, so that it takes images as the datasets give them; false: the model expects normalized input")
	batch := fs.Int("batch", 0, "onnx: fixed batch size of the graph (0: symbolic)")
	size := fs.Int("size", 224, "-model: side length of the input images")
	classes := fs.Int("classes", 1000, "-model: number of classes")
	width := fs.Float64("width", 1, "-model: width multiplier")
	seed := fs.Uint64("seed", 1, "-model: seed of the random weights")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	switch {
	case *ckPath == "" && *model == "":
		return usagef("-checkpoint is required: the file autonl train wrote (its -out directory's %s), or give -model", train.CheckpointFile)
	case *ckPath != "" && *model != "":
		return usagef("-checkpoint and -model exclude each other: give one")
	case !slices.Contains(exportFormats, *format):
		return usagef("-format %s: want one of %s", *format, strings.Join(exportFormats, ", "))
	case *out == "":
		return usagef("-o is required: the file to write")
	case *batch < 0:
		return usagef("-batch %d: want 0 (symbolic) or more", *batch)
	case *model != "" && !isZooName(*model):
		return usagef("-model %s: unknown network; the zoo has %s", *model, strings.Join(zooNames(), ", "))
	case *model != "" && *size < 1:
		return usagef("-size %d: want at least 1", *size)
	case *model != "" && *classes < 1:
		return usagef("-classes %d: want at least 1", *classes)
	case *model != "" && !(*width > 0):
		return usagef("-width %v: want a positive multiplier", *width)
	}
	if err := firstError(atMost("-batch", *batch, maxBatch), atMost("-size", *size, models.MaxInputSize),
		atMost("-classes", *classes, models.MaxClasses), atMost("-width", *width, models.MaxWidthMultiplier)); err != nil {
		return err
	}
	if info, err := os.Stat(*out); err == nil && info.IsDir() {
		return usagef("-o %s is a directory; give a file name", *out)
	}
	if info, err := os.Stat(filepath.Dir(*out)); err != nil || !info.IsDir() {
		return usagef("-o %s: directory %s does not exist", *out, filepath.Dir(*out))
	}

	var (
		e   exported
		err error
	)
	if *model != "" {
		e, err = zooForExport(*model, *size, *classes, *width, *seed)
	} else {
		if _, err := os.Stat(*ckPath); err != nil {
			return usagef("-checkpoint %s: no such file", *ckPath)
		}
		e, err = readForExport(*ckPath, *useEMA)
	}
	if err != nil {
		return err
	}

	meta, err := e.metadata()
	if err != nil {
		return err
	}
	input := fmt.Sprintf("N×%d×%d×%d", e.input[0], e.input[1], e.input[2])
	switch *format {
	case "onnx":
		opts := onnx.Config{Input: e.input, Batch: *batch, Metadata: meta}
		note := "normalized input"
		if *normalize && e.mean != nil {
			opts.Mean, opts.Std = e.mean, e.std
			note = "raw images, normalized in the graph"
		} else if e.mean == nil {
			note = "no normalization recorded: the input the network was trained on"
		}
		if *batch > 0 {
			input = fmt.Sprintf("%d×%d×%d×%d", *batch, e.input[0], e.input[1], e.input[2])
		}
		if err := onnx.WriteFile(*out, e.net, opts); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s: %s (%s), ONNX opset %d, input %s (%s), %d logits\n",
			*out, e.name, e.weights, onnx.Opset, input, note, e.net.Config.Classes)
	case "safetensors":
		if err := models.Save(*out, e.net, meta); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s: %s (%s) with its network description, input %s; load it with python/autonl_torch.py's load\n",
			*out, e.name, e.weights, input)
	}
	return nil
}

// readForExport rebuilds the network of a file: a network file (one with
// models.SpecKey metadata) or a checkpoint of autonl train, whose network
// it rebuilds as autonl eval does, with the EMA weights if ema is set and
// the checkpoint has them.
func readForExport(path string, ema bool) (exported, error) {
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return exported{}, err
	}
	if _, ok := f.Metadata[models.SpecKey]; ok {
		net, meta, err := models.Load(path)
		if err != nil {
			return exported{}, err
		}
		e := exported{net: net, name: net.Config.Name, weights: "weights"}
		for _, m := range []struct {
			key string
			v   any
		}{{metaInputShape, &e.input}, {metaMean, &e.mean}, {metaStd, &e.std}, {metaClasses, &e.classes}} {
			if s, ok := meta[m.key]; ok {
				if err := json.Unmarshal([]byte(s), m.v); err != nil {
					return exported{}, fmt.Errorf("%s: metadata %s: %v", path, m.key, err)
				}
			}
		}
		if e.input == [3]int{} {
			return exported{}, fmt.Errorf("%s: no %s metadata: the input size is unknown", path, metaInputShape)
		}
		return e, nil
	}
	ck, err := train.ReadCheckpoint(path)
	if err != nil {
		return exported{}, err
	}
	o, err := savedOptions(ck)
	if err != nil {
		return exported{}, err
	}
	built, err := buildModel(rand.New(rand.NewPCG(0, 0)), &o, o.Arch, memUse{batch: 1}) // weights come from the checkpoint
	if err != nil {
		return exported{}, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	usedEMA, err := ck.LoadModel(built.model, ema)
	if err != nil {
		return exported{}, err
	}
	e := exported{net: built.model.(*models.Net), name: built.name, input: o.Input, mean: o.Mean, std: o.Std, classes: o.Classes, weights: "weights"}
	if usedEMA {
		e.weights = "EMA weights"
	}
	return e, nil
}

// zooForExport builds a zoo network with random weights, as autonl train
// would build it for size×size RGB images in the given number of classes.
func zooForExport(name string, size, classes int, width float64, seed uint64) (exported, error) {
	o := defaultTrainOptions()
	o.Model, o.Width = name, width
	o.Input, o.Classes = [3]int{3, size, size}, make([]string, classes)
	built, err := buildModel(rand.New(rand.NewPCG(seed, 0)), &o, "", memUse{batch: 1})
	if err != nil {
		return exported{}, err
	}
	return exported{net: built.model.(*models.Net), name: built.name, input: o.Input, weights: "random weights"}, nil
}

// metadata returns what the exported files record besides the network:
// the input shape, the normalization and the class names, as JSON.
func (e exported) metadata() (map[string]string, error) {
	meta := map[string]string{}
	for _, m := range []struct {
		key string
		v   any
		set bool
	}{{metaInputShape, e.input, true}, {metaMean, e.mean, e.mean != nil}, {metaStd, e.std, e.mean != nil}, {metaClasses, e.classes, e.classes != nil}} {
		if !m.set {
			continue
		}
		b, err := json.Marshal(m.v)
		if err != nil {
			return nil, fmt.Errorf("encoding metadata %s: %v", m.key, err)
		}
		meta[m.key] = string(b)
	}
	return meta, nil
}
