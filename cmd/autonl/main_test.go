package main

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/autonl-go/autonl/lightnl"
	"github.com/autonl-go/autonl/models"
	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/train"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// requireUsageError checks that err is a one-line usage error containing
// every part of want.
func requireUsageError(t *testing.T, err error, want ...string) {
	t.Helper()
	var ue usageError
	require.True(t, errors.As(err, &ue), "want a usage error, got %v", err)
	assert.NotContains(t, err.Error(), "\n", "one line")
	for _, w := range want {
		assert.Contains(t, err.Error(), w)
	}
}

// usageCase is a command line that a command must refuse with a usage
// error containing every part of want.
type usageCase struct {
	args []string
	want []string
}

// requireUsageErrors checks the usage error of run for each case. With
// out other than "", args that do not give -out get "-out out", so that no
// case writes to the default output directory.
func requireUsageErrors(t *testing.T, run func(args []string) error, out string, cases []usageCase) {
	t.Helper()
	for _, tc := range cases {
		args := tc.args
		if out != "" && !slices.Contains(args, "-out") {
			args = append(args, "-out", out)
		}
		requireUsageError(t, run(args), tc.want...)
	}
}

func TestDispatch(t *testing.T) {
	var stderr bytes.Buffer
	assert.Equal(t, 2, dispatch(nil, &stderr))
	assert.Contains(t, stderr.String(), "Usage: autonl <command>")
	assert.Contains(t, stderr.String(), "train")
	assert.Contains(t, stderr.String(), "eval")

	stderr.Reset()
	assert.Equal(t, 2, dispatch([]string{"nope"}, &stderr))
	assert.Equal(t, 1, strings.Count(stderr.String(), "\n"))
	assert.Contains(t, stderr.String(), `unknown command "nope"`)

	stderr.Reset()
	assert.Equal(t, 0, dispatch([]string{"-h"}, &stderr))

	commands["test-usage"] = command{run: func([]string) error { return usagef("-x 3: bad") }}
	commands["test-fail"] = command{run: func([]string) error { return errors.New("broken") }}
	commands["test-cancel"] = command{run: func([]string) error { return context.Canceled }}
	defer delete(commands, "test-usage")
	defer delete(commands, "test-fail")
	defer delete(commands, "test-cancel")
	stderr.Reset()
	assert.Equal(t, 2, dispatch([]string{"test-usage"}, &stderr))
	assert.Equal(t, "autonl test-usage: -x 3: bad\n", stderr.String())
	assert.Equal(t, 1, dispatch([]string{"test-fail"}, &stderr))
	assert.Equal(t, 130, dispatch([]string{"test-cancel"}, &stderr))
}

func TestTrainFlagErrors(t *testing.T) {
	dir := t.TempDir()
	badArch := filepath.Join(dir, "bad.arch")
	require.NoError(t, os.WriteFile(badArch, []byte("r1_k3_s11_e1_i16_o16\nr1_k4_s11_e1_i16_o16\n"), 0o644))
	used := filepath.Join(dir, "used")
	require.NoError(t, os.MkdirAll(used, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(used, train.CheckpointFile), nil, 0o644))
	out := filepath.Join(dir, "out")
	requireUsageErrors(t, commands["train"].run, out, []usageCase{
		{[]string{"-model", "resnet50"}, []string{"-model resnet50", "unknown network", "mobilenetv2"}},
		{[]string{"-data", "cifar10"}, []string{"-data cifar10", "missing directory"}},
		{[]string{"-data", "folder:"}, []string{"-data folder:", "missing directory"}},
		{[]string{"-data", "cifar10:" + filepath.Join(dir, "nowhere")}, []string{"-data cifar10:", "does not exist"}},
		{[]string{"-data", "imagenet"}, []string{"-data imagenet", "unknown kind", "embedded"}},
		{[]string{"-data", "embedded:x"}, []string{"-data embedded:x"}},
		{[]string{"-batch", "0"}, []string{"-batch 0"}},
		{[]string{"-epochs", "0"}, []string{"-epochs 0"}},
		{[]string{"-epochs", "many"}, []string{"-epochs"}},
		{[]string{"-lr", "-1"}, []string{"-lr -1"}},
		{[]string{"-lr", "fast"}, []string{"-lr", "auto"}},
		{[]string{"-optimizer", "lion"}, []string{"-optimizer lion"}},
		{[]string{"-schedule", "linear"}, []string{"-schedule linear"}},
		{[]string{"-augment", "rotate"}, []string{"-augment rotate"}},
		{[]string{"-smoothing", "1"}, []string{"-smoothing 1"}},
		{[]string{"-nl-gamma", "NaN"}, []string{"-nl-gamma NaN", "finite"}},
		{[]string{"-ema", "1.5"}, []string{"-ema 1.5"}},
		{[]string{"-width", "0"}, []string{"-width 0"}},
		{[]string{"-size", "-1"}, []string{"-size -1"}},
		{[]string{"-size", "16"}, []string{"-size 16", "embedded", "at least 24"}},
		{[]string{"-frobnicate"}, []string{"-frobnicate"}},
		{[]string{"extra"}, []string{`"extra"`}},
		{[]string{"-arch", filepath.Join(dir, "none.arch")}, []string{"-arch", "no such file"}},
		{[]string{"-arch", badArch}, []string{"-arch " + badArch}},
		{[]string{"-arch", badArch, "-model", "mobilenetv2"}, []string{"-model, -arch and -searched exclude each other"}},
		{[]string{"-searched", badArch, "-model", "mobilenetv2"}, []string{"-model, -arch and -searched exclude each other"}},
		{[]string{"-searched", filepath.Join(dir, "none.json")}, []string{"-searched", "no such file"}},
		{[]string{"-searched", badArch}, []string{"-searched " + badArch}},
		{[]string{"-resume", "-out", out}, []string{"-resume", "no checkpoint"}},
		{[]string{"-out", used}, []string{"-out " + used, "cannot be read"}},
	})
}

func TestEvalFlagErrors(t *testing.T) {
	dir := t.TempDir()
	requireUsageErrors(t, commands["eval"].run, "", []usageCase{
		{nil, []string{"-checkpoint is required"}},
		{[]string{"-checkpoint", filepath.Join(dir, "none")}, []string{"-checkpoint", "no such file"}},
		{[]string{"-checkpoint", "x", "-batch", "0"}, []string{"-batch 0"}},
		{[]string{"-checkpoint", "x", "-split", "val"}, []string{"-split val"}},
		{[]string{"-bogus"}, []string{"-bogus"}},
	})
}

// A short run on a little embedded data writes its outputs; eval rebuilds
// the network from the checkpoint and reproduces the final accuracy; an
// interrupted run resumes.
func TestTrainEvalResume(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	args := []string{"-train-size", "64", "-test-size", "32", "-batch", "32", "-epochs", "1", "-out", out, "-ema", "0.9"}
	var stdout, stderr bytes.Buffer
	require.NoError(t, runTrain(context.Background(), args, &stdout, &stderr))
	text := stdout.String()
	assert.Contains(t, text, "epoch 1/1")
	assert.Contains(t, text, "3 LightNL blocks with initial γ 0.25\n", "the embedded data's default")
	assert.Contains(t, text, "final test accuracy (EMA weights)")
	assert.Contains(t, text, "true \\ predicted")
	for _, f := range []string{train.CheckpointFile, train.MetricsFile, train.LossPlotFile, train.AccPlotFile, "arch.txt"} {
		_, err := os.Stat(filepath.Join(out, f))
		require.NoError(t, err, f)
	}
	arch, err := os.ReadFile(filepath.Join(out, "arch.txt"))
	require.NoError(t, err)
	blocks, err := models.ParseArch(string(arch))
	require.NoError(t, err)
	assert.Equal(t, models.MustParseArch(defaultArch), blocks)
	final := lineWith(text, "final test accuracy")
	_, pct, _ := strings.Cut(final, ": ") // "final test accuracy (EMA weights): 31.25% (10 of 32 ..."
	pct, _, _ = strings.Cut(pct, " ")
	require.True(t, strings.HasSuffix(pct, "%"), final)

	stdout.Reset()
	require.NoError(t, runEval(context.Background(), []string{"-checkpoint", filepath.Join(out, train.CheckpointFile)}, &stdout, &stderr))
	assert.Contains(t, stdout.String(), "EMA weights")
	assert.Contains(t, lineWith(stdout.String(), "accuracy:"), pct)
	assert.Contains(t, stdout.String(), "different shape")

	// A finished run is overwritten by a fresh one; an unfinished one is
	// not.
	stdout.Reset()
	require.NoError(t, runTrain(context.Background(), args, &stdout, &stderr))
	assert.Contains(t, stdout.String(), "starting afresh")
	assert.Contains(t, lineWith(stdout.String(), "final test accuracy"), pct, "the same run again")

	// Interrupt before the first step of epoch 2, then resume with only
	// -resume, -out and a new epoch count: the rest comes from the
	// checkpoint.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	stdout.Reset()
	err = runTrain(ctx, []string{"-resume", "-out", out, "-epochs", "2"}, &stdout, &stderr)
	require.ErrorIs(t, err, context.Canceled)
	assert.Contains(t, err.Error(), "-resume")
	ck, err := train.ReadCheckpoint(filepath.Join(out, train.CheckpointFile))
	require.NoError(t, err)
	assert.Equal(t, 1, ck.Epoch)
	requireUsageError(t, runTrain(context.Background(), args, &stdout, &stderr), "unfinished run", "-resume")

	stdout.Reset()
	require.NoError(t, runTrain(context.Background(), []string{"-resume", "-out", out, "-epochs", "2"}, &stdout, &stderr))
	assert.Contains(t, stdout.String(), "resuming from")
	assert.Contains(t, stdout.String(), "epoch 2/2")
	assert.NotContains(t, stdout.String(), "epoch 1/2 ")
	ck, err = train.ReadCheckpoint(filepath.Join(out, train.CheckpointFile))
	require.NoError(t, err)
	assert.Equal(t, 2, ck.Epoch)
	o, err := savedOptions(ck)
	require.NoError(t, err)
	assert.Equal(t, 64, o.TrainSize)
	assert.Equal(t, 0.9, o.EMA)
	assert.Equal(t, autoFloat{embeddedNLGamma, true}, o.NLGamma, "the resolved default, stored")
	assert.Equal(t, embeddedImageSize, o.ImageSize, "the default size, stored")
	assert.Equal(t, [3]int{3, embeddedImageSize, embeddedImageSize}, o.Input)
}

func TestInitLightNLGamma(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	net := nn.NewSequential(
		lightnl.New(rng, 8, lightnl.Config{}),
		nn.NewConv2d(rng, 8, 8, 1, nn.ConvConfig{}),
		nn.NewSequential(lightnl.New(rng, 8, lightnl.Config{Stride: 2})),
	)
	require.Equal(t, 2, initLightNLGamma(net, 0.5))
	nn.Walk(net, func(path string, m nn.Module) {
		if b, ok := m.(*lightnl.Block); ok {
			assert.Equal(t, []float32{0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5}, b.BN.Weight.Value.Data(), path)
			assert.Equal(t, make([]float32, 8), b.BN.Bias.Value.Data(), path)
		}
	})
	assert.Zero(t, initLightNLGamma(nn.NewSequential(nn.NewConv2d(rng, 3, 8, 1, nn.ConvConfig{})), 1))
}

func lineWith(text, s string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}

// A zoo network with a width multiplier trains, and eval rebuilds it
// from the checkpoint alone.
func TestTrainZooWidth(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	var stdout, stderr bytes.Buffer
	require.NoError(t, runTrain(context.Background(), []string{"-model", "MobileNetV2", "-width", "0.25", "-size", "40",
		"-train-size", "32", "-test-size", "16", "-batch", "16", "-epochs", "1", "-out", out}, &stdout, &stderr))
	assert.Contains(t, stdout.String(), "model: mobilenetv2")
	final := lineWith(stdout.String(), "final test accuracy")
	arch, err := os.ReadFile(filepath.Join(out, "arch.txt"))
	require.NoError(t, err)
	assert.Contains(t, string(arch), "3×40×40 input, stem stride 1")
	blocks, err := models.ParseArch(string(arch))
	require.NoError(t, err)
	assert.Equal(t, 8, blocks[0].In, "32·0.25 channels")

	stdout.Reset()
	require.NoError(t, runEval(context.Background(), []string{"-checkpoint", filepath.Join(out, train.CheckpointFile)}, &stdout, &stderr))
	_, pct, _ := strings.Cut(final, ": ")
	pct, _, _ = strings.Cut(pct, " ")
	assert.Contains(t, lineWith(stdout.String(), "accuracy:"), pct)
}
