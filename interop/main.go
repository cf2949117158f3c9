// Command interop writes and checks the files that compare autonl's
// networks with ONNX Runtime and PyTorch; interop/run.sh drives it (see
// interop/README.md). It is not part of the Go tests, which never need
// Python or Node.
//
//	go run ./interop write DIR       build the test networks, write for each NAME
//	                                 NAME.safetensors (weights and spec), NAME.onnx
//	                                 and NAME.io.safetensors (input and Go's logits)
//	go run ./interop io DIR NAME     write NAME.io.safetensors for DIR/NAME.safetensors
//	                                 (a file of autonl export -format safetensors)
//	go run ./interop compare DIR NAME  load NAME.torch.safetensors (written by
//	                                 PyTorch), run it on the input and compare with
//	                                 PyTorch's logits; exit status 1 above the tolerance
//
// The relative difference of two logit tensors a (ours) and b (theirs) is
// max|a − b| / max|b|; the tolerance is 1e-4.
package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/internal/testnets"
	"github.com/autonl-go/autonl/lightnl"
	"github.com/autonl-go/autonl/models"
	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/onnx"
	"github.com/autonl-go/autonl/safetensors"
	"github.com/autonl-go/autonl/tensor"
)

// Tolerance is the largest relative logit difference the checks accept.
const Tolerance = 1e-4

// Metadata keys of the network files, as autonl export -format
// safetensors writes them: the input shape C×H×W (JSON) and the
// normalization (JSON lists, absent if none).
const (
	metaInput = "autonl.input_shape"
	metaMean  = "autonl.mean"
	metaStd   = "autonl.std"
)

// testCase is a network to check and the input it takes.
type testCase struct {
	name      string
	build     func(rng *rand.Rand) (*models.Net, error)
	size      int
	mean, std []float32 // normalization, put into the ONNX graph
}

var cases = []testCase{
	{name: "mobilenetv2", size: 224, build: func(rng *rand.Rand) (*models.Net, error) {
		return models.New("mobilenetv2", rng, models.Config{})
	}},
	{name: "autonl-s", size: 224, build: func(rng *rand.Rand) (*models.Net, error) {
		return models.New("autonl-s", rng, models.Config{})
	}},
	{name: "searched", size: 64, mean: []float32{0.49, 0.48, 0.45}, std: []float32{0.25, 0.24, 0.26},
		build: func(rng *rand.Rand) (*models.Net, error) {
			return models.Build(models.MustParseArch(testnets.SearchedArch), models.Config{
				Name: "Searched", HeadWidth: 384, Classes: 10, Activation: models.Swish,
				BN: nn.BatchNormConfig{Momentum: 0.01, Eps: 1e-3}, Init: models.MnasNetInit,
			}, rng)
		}},
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "interop:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) < 2 {
		return fmt.Errorf("usage: interop write DIR | io DIR NAME | compare DIR NAME")
	}
	dir := args[1]
	switch {
	case args[0] == "write" && len(args) == 2:
		return writeCases(dir)
	case args[0] == "io" && len(args) == 3:
		return writeIO(dir, args[2], nil)
	case args[0] == "compare" && len(args) == 3:
		return compare(dir, args[2])
	}
	return fmt.Errorf("usage: interop write DIR | io DIR NAME | compare DIR NAME")
}

// writeCases builds every test network with weights that exercise every
// part (see randomize) and writes its files.
func writeCases(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for i, c := range cases {
		rng := rand.New(rand.NewPCG(uint64(i+1), 2020))
		net, err := c.build(rng)
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		input := [3]int{net.Config.InputChannels, c.size, c.size}
		raw := tensor.Uniform(rng, 0, 1, 2, input[0], input[1], input[2])
		randomize(net, rng, normalize(raw, c.mean, c.std))
		meta := map[string]string{metaInput: mustJSON(input)}
		if c.mean != nil {
			meta[metaMean], meta[metaStd] = mustJSON(c.mean), mustJSON(c.std)
		}
		if err := models.Save(filepath.Join(dir, c.name+".safetensors"), net, meta); err != nil {
			return err
		}
		err = onnx.WriteFile(filepath.Join(dir, c.name+".onnx"), net, onnx.Config{Input: input, Mean: c.mean, Std: c.std})
		if err != nil {
			return err
		}
		if err := writeIO(dir, c.name, raw); err != nil {
			return err
		}
	}
	return nil
}

// randomize gives every batch norm of net random γ and β, and running
// statistics that keep its activations at a sane scale on the images x:
// layer by layer in forward order, each batch norm takes the mean and
// variance of its input in evaluation mode (the upstream ones already set),
// a data-dependent initialization. The γ of LightNL blocks, which start at
// 0 and would hide the attention, are drawn from [0.2, 0.5): the attention
// is cubic in its input, so a block amplifies relative errors up to 3 times
// when its branch dominates, and seven such blocks (AutoNL-S) would make
// the float32 logits of any implementation differ from the exact ones by
// more than the checks' tolerance; with these γ they stay well below it
// (torch_check.py prints the distance to a float64 evaluation).
func randomize(net *models.Net, rng *rand.Rand, x *tensor.Tensor) {
	var bns []*nn.BatchNorm2d
	nn.Walk(net, func(_ string, m nn.Module) {
		if bn, ok := m.(*nn.BatchNorm2d); ok {
			bns = append(bns, bn)
		}
	})
	for _, bn := range bns {
		for i := range bn.Channels {
			bn.Weight.Value.Data()[i] = 0.5 + rng.Float32()
			bn.Bias.Value.Data()[i] = 0.1 * float32(rng.NormFloat64())
		}
	}
	nn.Walk(net, func(_ string, m nn.Module) {
		if b, ok := m.(*lightnl.Block); ok {
			for i := range b.Channels {
				b.BN.Weight.Value.Data()[i] = 0.2 + 0.3*rng.Float32()
			}
		}
	})
	nn.SetTraining(net, false)
	for _, bn := range bns {
		momentum := bn.Momentum
		bn.Momentum = 1
		nn.SetTraining(bn, true)
		autograd.NoGrad(func() { net.Forward(autograd.Const(x)) })
		nn.SetTraining(bn, false)
		bn.Momentum = momentum
		bn.NumBatchesTracked.Data()[0] = 17
	}
}

// writeIO writes DIR/NAME.io.safetensors for the network of
// DIR/NAME.safetensors: "raw" (the images raw, or two drawn in [0, 1) if
// raw is nil), "x" (them normalized as the file's metadata says: what the
// network sees) and "logits" (Go's, in evaluation mode).
func writeIO(dir, name string, raw *tensor.Tensor) error {
	net, meta, err := models.Load(filepath.Join(dir, name+".safetensors"))
	if err != nil {
		return err
	}
	var input [3]int
	if err := json.Unmarshal([]byte(meta[metaInput]), &input); err != nil {
		return fmt.Errorf("%s.safetensors: metadata %s: %v", name, metaInput, err)
	}
	var mean, std []float32
	if meta[metaMean] != "" {
		if err := json.Unmarshal([]byte(meta[metaMean]), &mean); err != nil {
			return fmt.Errorf("%s.safetensors: metadata %s: %v", name, metaMean, err)
		}
		if err := json.Unmarshal([]byte(meta[metaStd]), &std); err != nil {
			return fmt.Errorf("%s.safetensors: metadata %s: %v", name, metaStd, err)
		}
	}
	if raw == nil {
		raw = tensor.Uniform(rand.New(rand.NewPCG(7, 7)), 0, 1, 2, input[0], input[1], input[2])
	}
	x := normalize(raw, mean, std)
	var logits *tensor.Tensor
	autograd.NoGrad(func() { logits = net.Forward(autograd.Const(x)).Value.Clone() })
	ts := []safetensors.Tensor{
		{Name: "raw", Shape: raw.Shape(), Data: raw.Data()},
		{Name: "x", Shape: x.Shape(), Data: x.Data()},
		{Name: "logits", Shape: logits.Shape(), Data: logits.Data()},
	}
	fmt.Printf("%s: wrote %s.io.safetensors (input %v, logits %v)\n", name, name, x.Shape(), logits.Shape())
	return safetensors.WriteFile(filepath.Join(dir, name+".io.safetensors"), ts, map[string]string{"case": name})
}

// normalize returns a copy of the images raw (N×C×H×W), normalized per
// channel as data.Loader does, (v − mean[c])·(1/std[c]); raw itself if
// mean is nil.
func normalize(raw *tensor.Tensor, mean, std []float32) *tensor.Tensor {
	if mean == nil {
		return raw
	}
	x := raw.Clone()
	s := x.Shape()
	plane := s[2] * s[3]
	d := x.Data()
	for n := range s[0] {
		for c := range s[1] {
			m, inv := mean[c], 1/std[c]
			p := d[(n*s[1]+c)*plane : (n*s[1]+c+1)*plane]
			for k, v := range p {
				p[k] = (v - m) * inv
			}
		}
	}
	return x
}

// compare loads the network PyTorch wrote, DIR/NAME.torch.safetensors,
// runs it on the input of DIR/NAME.torch_io.safetensors and compares with
// PyTorch's logits there.
func compare(dir, name string) error {
	net, _, err := models.Load(filepath.Join(dir, name+".torch.safetensors"))
	if err != nil {
		return err
	}
	f, err := safetensors.ReadFile(filepath.Join(dir, name+".torch_io.safetensors"))
	if err != nil {
		return err
	}
	x, err := f.Tensor("x")
	if err != nil {
		return err
	}
	want, err := f.Tensor("logits")
	if err != nil {
		return err
	}
	var got *tensor.Tensor
	autograd.NoGrad(func() {
		got = net.Forward(autograd.Const(tensor.FromSlice(x.Data, x.Shape...))).Value
	})
	if !tensor.SameShape(got.Shape(), want.Shape) {
		return fmt.Errorf("%s: logits of shape %v, PyTorch's %v", name, got.Shape(), want.Shape)
	}
	d := testnets.RelDiff(got.Data(), want.Data)
	verdict := "ok"
	if !(d <= Tolerance) {
		verdict = "FAIL"
	}
	fmt.Printf("%-12s PyTorch → Go: max relative logit difference %.3g (tolerance %g) %s\n", name, d, Tolerance, verdict)
	if verdict != "ok" {
		return fmt.Errorf("%s: relative difference %.3g above %g", name, d, Tolerance)
	}
	return nil
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
