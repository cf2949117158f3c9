package nn_test

// Comparisons of a whole model with PyTorch. testdata/gen/gen_nn.py builds
// a small torch.nn.Sequential, writes its state dict to
// testdata/nn_state.safetensors and its outputs, gradients and updated
// running statistics to testdata/nn_ref.safetensors; these tests build the
// same structure with package nn, load the state dict and compare. Run with
// -v to see the worst relative errors.

import (
	"flag"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/internal/testref"
	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/safetensors"
	"github.com/autonl-go/autonl/tensor"
)

var writeForPyTorch = flag.String("write", "", "TestWriteForPyTorch: also save its checkpoint to this path, for testdata/gen/gen_nn.py --check")

// refModel builds the structure of build() in testdata/gen/gen_nn.py.
func refModel(rng *rand.Rand) *nn.Sequential {
	return nn.NewSequential(
		nn.NewConv2d(rng, 4, 8, 3, nn.ConvConfig{Padding: 1, Groups: 2, Bias: true}),
		nn.NewReLU6(),
		nn.NewBatchNorm2d(8, nn.BatchNormConfig{}),
		nn.NewConv2d(rng, 8, 8, 3, nn.ConvConfig{Stride: 2, Padding: 1, Groups: 8}),
		nn.NewBatchNorm2d(8, nn.BatchNormConfig{Eps: 1e-3, Momentum: 0.01}),
		nn.NewHardSwish(),
		nn.NewSqueezeExcite(rng, 8, 4, nil, nil),
		nn.NewDropout(0.2, rng),
		nn.NewConv2d(rng, 8, 12, 1, nn.ConvConfig{}),
		nn.NewBatchNorm2d(12, nn.BatchNormConfig{}),
		nn.NewSwish(),
		&nn.AvgPool2d{Kernel: 3, Stride: 1, Padding: 1},
		&nn.GlobalAvgPool2d{},
		&nn.Flatten{},
		nn.NewLinear(rng, 12, 5, true),
	)
}

const refDropout = 7 // index of the Dropout in refModel

func statePath(t *testing.T) string {
	return filepath.Join(testref.TestdataDir(t), "nn_state.safetensors")
}

func TestReferenceModel(t *testing.T) {
	ref := testref.Load(t, "nn_ref.safetensors")
	c := ref.Case(t, "model")
	var params struct {
		LabelSmoothing float32  `json:"label_smoothing"`
		Dropout        float64  `json:"dropout"`
		Repr           string   `json:"repr"`
		Keys           []string `json:"keys"`
	}
	c.Params(&params)
	chk := testref.NewChecker(t, "nn model")

	m := refModel(rand.New(rand.NewPCG(1, 2)))
	require.Equal(t, params.Repr, nn.Repr(m), "Repr differs from what PyTorch prints")
	var keys []string
	for _, ts := range nn.StateDict(m) {
		keys = append(keys, ts.Name)
	}
	require.Equal(t, params.Keys, keys, "StateDict order differs from PyTorch's state_dict")

	// Load PyTorch's state dict strictly; num_batches_tracked is I64 there.
	res, err := nn.Load(statePath(t), m, true)
	require.NoError(t, err)
	assert.Empty(t, res.Missing)
	assert.Empty(t, res.Unexpected)
	assert.Equal(t, "testdata/gen/gen_nn.py", res.Metadata["generator"])
	for _, b := range nn.NamedBuffers(m) {
		if strings.HasSuffix(b.Name, "num_batches_tracked") {
			assert.Equal(t, float32(17), b.Tensor.Item(), b.Name)
		}
	}

	// Saved back, the file holds the reference state dict exactly, in
	// float32 (num_batches_tracked included).
	out := filepath.Join(t.TempDir(), "back.safetensors")
	require.NoError(t, nn.Save(out, m, map[string]string{"from": "go"}))
	back, err := safetensors.ReadFile(out)
	require.NoError(t, err)
	orig, err := safetensors.ReadFile(statePath(t))
	require.NoError(t, err)
	require.Equal(t, orig.Names(), back.Names())
	for _, name := range orig.Names() {
		info, _ := orig.Info(name)
		got, err := back.Tensor(name)
		require.NoError(t, err)
		if info.DType == safetensors.I64 {
			assert.Equal(t, []float32{17}, got.Data, name)
			assert.Empty(t, got.Shape, name)
			continue
		}
		want, err := orig.Tensor(name)
		require.NoError(t, err)
		assert.Equal(t, want, got, name)
	}

	x := c.Tensor("x")
	labels := c.Ints("labels")

	// Evaluation mode: running statistics, dropout off.
	nn.SetTraining(m, false)
	autograd.NoGrad(func() {
		chk.Check(t, c.Name, "y_eval", m.Forward(autograd.Const(x)).Value, c.Tensor("y_eval"))
	})

	// Training mode with dropout p=0: batch statistics, gradients of a
	// smoothed cross-entropy, running statistics updated once.
	nn.SetTraining(m, true)
	m.At(refDropout).(*nn.Dropout).P = 0
	y := m.Forward(autograd.Const(x))
	chk.Check(t, c.Name, "y_train", y.Value, c.Tensor("y_train"))
	loss := nn.CrossEntropyLoss{LabelSmoothing: params.LabelSmoothing}.Forward(y, labels)
	chk.Check(t, c.Name, "loss", loss.Value, c.Tensor("loss"))
	loss.Backward()
	for _, p := range nn.NamedParams(m) {
		chk.Check(t, c.Name, "grad "+p.Name, p.Var.Grad, c.Tensor("grad/"+p.Name))
	}
	for _, b := range nn.NamedBuffers(m) {
		chk.Check(t, c.Name, "after "+b.Name, b.Tensor, c.Tensor("after/"+b.Name))
	}
}

// TestWriteForPyTorch saves a model initialized by nn, with moved running
// statistics, and its eval-mode output for the reference input in the
// metadata, and checks that it loads back. With -write=FILE it also writes
// FILE, for the check in PyTorch:
//
//	go test ./nn -run TestWriteForPyTorch -args -write=/tmp/x.safetensors
//	/usr/bin/python3 testdata/gen/gen_nn.py --check /tmp/x.safetensors
func TestWriteForPyTorch(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	m := refModel(rng)
	for range 2 {
		m.Forward(autograd.Const(tensor.Normal(rng, 0.5, 2, 4, 4, 9, 9)))
	}
	nn.SetTraining(m, false)
	x := testref.Load(t, "nn_ref.safetensors").Case(t, "model").Tensor("x")
	var y *tensor.Tensor
	autograd.NoGrad(func() { y = m.Forward(autograd.Const(x)).Value })

	meta := testref.OutputMetadata(y, "testdata/nn_ref.safetensors: model/x")
	paths := []string{filepath.Join(t.TempDir(), "go.safetensors")}
	if *writeForPyTorch != "" {
		paths = append(paths, *writeForPyTorch)
	}
	for _, path := range paths {
		require.NoError(t, nn.Save(path, m, meta))

		m2 := refModel(rand.New(rand.NewPCG(99, 99)))
		res, err := nn.Load(path, m2, true)
		require.NoError(t, err)
		assert.Equal(t, meta, res.Metadata)
		nn.SetTraining(m2, false)
		autograd.NoGrad(func() {
			assert.Equal(t, y.Data(), m2.Forward(autograd.Const(x)).Value.Data())
		})
		for i, b := range nn.NamedBuffers(m2) {
			assert.Equal(t, nn.NamedBuffers(m)[i].Tensor.Data(), b.Tensor.Data(), b.Name)
		}
		if path == *writeForPyTorch {
			t.Logf("wrote %s; check it with /usr/bin/python3 testdata/gen/gen_nn.py --check %s", path, path)
		}
	}
}
