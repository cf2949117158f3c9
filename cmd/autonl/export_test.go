package main

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/models"
	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/onnx"
	"github.com/autonl-go/autonl/tensor"
	"github.com/autonl-go/autonl/train"
)

func TestExportFlagErrors(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "m.onnx")
	var stdout, stderr bytes.Buffer
	export := func(args []string) error { return runExport(args, &stdout, &stderr) }
	requireUsageErrors(t, export, "", []usageCase{
		{[]string{"-o", out}, []string{"-checkpoint is required"}},
		{[]string{"-checkpoint", "x", "-model", "autonl-s", "-o", out}, []string{"-checkpoint and -model"}},
		{[]string{"-model", "autonl-s"}, []string{"-o is required"}},
		{[]string{"-model", "autonl-s", "-format", "tflite", "-o", out}, []string{"-format tflite", "onnx, safetensors"}},
		{[]string{"-model", "resnet", "-o", out}, []string{"-model resnet", "mobilenetv2"}},
		{[]string{"-model", "autonl-s", "-size", "0", "-o", out}, []string{"-size 0"}},
		{[]string{"-model", "autonl-s", "-batch", "-1", "-o", out}, []string{"-batch -1"}},
		{[]string{"-checkpoint", filepath.Join(dir, "none"), "-o", out}, []string{"-checkpoint", "no such file"}},
		{[]string{"-model", "autonl-s", "-o", filepath.Join(dir, "no", "m.onnx")}, []string{"directory", "does not exist"}},
		{[]string{"-model", "autonl-s", "-o", dir}, []string{"is a directory"}},
		{[]string{"-bogus"}, []string{"-bogus"}},
	})
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries)
}

// Files that cannot be exported fail with one line and leave no output.
func TestExportBadFiles(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "m.onnx")
	corrupt := filepath.Join(dir, "corrupt.safetensors")
	require.NoError(t, os.WriteFile(corrupt, []byte("not a safetensors file"), 0o644))
	truncated := filepath.Join(dir, "truncated.safetensors")
	net, err := models.Build(models.MustParseArch("r1_k3_s11_e1_i8_o8"), models.Config{Classes: 2}, rand.New(rand.NewPCG(1, 1)))
	require.NoError(t, err)
	require.NoError(t, models.Save(truncated, net, map[string]string{metaInputShape: "[3,8,8]"}))
	b, err := os.ReadFile(truncated)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(truncated, b[:len(b)-10], 0o644))
	plain := filepath.Join(dir, "plain.safetensors")
	require.NoError(t, nn.Save(plain, net, nil))
	// A network file whose description names an activation this program
	// does not have: an unknown layer type.
	gelu := filepath.Join(dir, "gelu.safetensors")
	spec, err := net.Spec()
	require.NoError(t, err)
	spec.Activation = "GELU"
	require.NoError(t, nn.Save(gelu, net, map[string]string{models.SpecKey: spec.JSON(), metaInputShape: "[3,8,8]"}))
	for _, tc := range []struct {
		file string
		want string
	}{
		{corrupt, "corrupt.safetensors"},
		{truncated, "truncated.safetensors"},
		{plain, "not a training checkpoint"},
		{gelu, `unknown activation "GELU"`},
	} {
		var stdout, stderr bytes.Buffer
		err := runExport([]string{"-checkpoint", tc.file, "-o", out}, &stdout, &stderr)
		require.Error(t, err, tc.file)
		var ue usageError
		assert.NotErrorAs(t, err, &ue, "not a usage error: exit status 1")
		assert.NotContains(t, err.Error(), "\n")
		assert.Contains(t, err.Error(), tc.want)
		t.Log(err)
		_, err = os.Stat(out)
		assert.True(t, os.IsNotExist(err), "no output file")
	}
}

// A checkpoint of a short training run exports to a network file that
// rebuilds the evaluated network (EMA weights) and to the ONNX model of
// that network with the training data's normalization; the network file
// exports to the same ONNX model.
func TestExportCheckpoint(t *testing.T) {
	dir := t.TempDir()
	run := filepath.Join(dir, "run")
	var stdout, stderr bytes.Buffer
	require.NoError(t, runTrain(context.Background(), []string{"-train-size", "64", "-test-size", "32", "-batch", "32",
		"-epochs", "1", "-size", "32", "-out", run, "-ema", "0.9"}, &stdout, &stderr))
	ckPath := filepath.Join(run, train.CheckpointFile)

	netFile := filepath.Join(dir, "net.safetensors")
	stdout.Reset()
	require.NoError(t, runExport([]string{"-checkpoint", ckPath, "-format", "safetensors", "-o", netFile}, &stdout, &stderr))
	assert.Contains(t, stdout.String(), "EMA weights")
	net, meta, err := models.Load(netFile)
	require.NoError(t, err)
	assert.Equal(t, "[3,32,32]", meta[metaInputShape])
	assert.Contains(t, meta[metaClasses], "same shape")

	// The network as autonl eval rebuilds it.
	ck, err := train.ReadCheckpoint(ckPath)
	require.NoError(t, err)
	o, err := savedOptions(ck)
	require.NoError(t, err)
	built, err := buildModel(rand.New(rand.NewPCG(0, 0)), &o, o.Arch, memUse{batch: 1})
	require.NoError(t, err)
	_, err = ck.LoadModel(built.model, true)
	require.NoError(t, err)
	nn.SetTraining(built.model, false)
	x := autograd.Const(tensor.Full(0.5, 2, 3, 32, 32))
	var want, got *tensor.Tensor
	autograd.NoGrad(func() {
		want = built.model.Forward(x).Value.Clone()
		got = net.Forward(x).Value.Clone()
	})
	assert.Equal(t, want.Data(), got.Data())

	onnxFile := filepath.Join(dir, "net.onnx")
	stdout.Reset()
	require.NoError(t, runExport([]string{"-checkpoint", ckPath, "-o", onnxFile}, &stdout, &stderr))
	assert.Contains(t, stdout.String(), "raw images, normalized in the graph")
	b, err := os.ReadFile(onnxFile)
	require.NoError(t, err)
	wantONNX, err := onnx.Encode(net, onnx.Config{Input: o.Input, Mean: o.Mean, Std: o.Std, Metadata: meta})
	require.NoError(t, err)
	assert.Equal(t, wantONNX, b)

	again := filepath.Join(dir, "again.onnx")
	require.NoError(t, runExport([]string{"-checkpoint", netFile, "-o", again}, &stdout, &stderr))
	b2, err := os.ReadFile(again)
	require.NoError(t, err)
	assert.Equal(t, b, b2, "checkpoint and network file export to the same model")
}
