package train

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/autonl-go/autonl/data"
	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/nn/optim"
	"github.com/stretchr/testify/require"
)

// tinyNet returns a small convolutional classifier for c-channel images
// with a dropout layer drawing from rng.
func tinyNet(rng *rand.Rand, c, classes int) nn.Module {
	return nn.NewSequential(
		nn.NewConv2d(rng, c, 8, 3, nn.ConvConfig{Stride: 2, Padding: 1}),
		nn.NewBatchNorm2d(8, nn.BatchNormConfig{}),
		&nn.ReLU{},
		nn.NewConv2d(rng, 8, 8, 3, nn.ConvConfig{Stride: 2, Padding: 1, Groups: 8}),
		nn.NewBatchNorm2d(8, nn.BatchNormConfig{}),
		&nn.ReLU{},
		&nn.GlobalAvgPool2d{},
		&nn.Flatten{},
		nn.NewDropout(0.1, rng),
		nn.NewLinear(rng, 8, classes, true),
	)
}

// setup describes a small training run.
type setup struct {
	epochs int
	outDir string
	ema    bool
	seed   uint64
	onStep func(StepInfo)
	noTest bool
	trainN int
	batch  int
}

// newTrainer builds a fresh model, optimizer and loaders from s and
// returns the trainer, the model and the random source of its dropout.
func newTrainer(t testing.TB, s setup) (*Trainer, nn.Module) {
	t.Helper()
	if s.seed == 0 {
		s.seed = 1
	}
	if s.trainN == 0 {
		s.trainN = 48
	}
	if s.batch == 0 {
		s.batch = 16
	}
	cfg := data.DefaultSyntheticConfig()
	cfg.N, cfg.Size, cfg.Seed = s.trainN, 24, 7
	trainDS, testDS, err := data.SyntheticSplits(cfg, 20)
	require.NoError(t, err)
	trainL, err := data.NewLoader(trainDS, data.LoaderConfig{
		BatchSize: s.batch, Shuffle: true, Seed: s.seed, Workers: 2,
		Augment: data.Augment{Pad: 2, FlipH: true},
	})
	require.NoError(t, err)
	testL, err := data.NewLoader(testDS, data.LoaderConfig{BatchSize: 8})
	require.NoError(t, err)

	src := rand.NewPCG(s.seed, 99)
	model := tinyNet(rand.New(src), 3, len(trainDS.Classes()))
	params := nn.NamedParams(model)
	opt := optim.NewSGD(optim.SplitDecay(params, nil), optim.SGDConfig{LR: 0.1, Momentum: 0.9, Nesterov: true, WeightDecay: 1e-4})
	spe := trainL.NumBatches()
	c := Config{
		Model:        model,
		Train:        trainL,
		Test:         testL,
		Loss:         nn.CrossEntropyLoss{LabelSmoothing: 0.1},
		Optimizer:    opt,
		Schedule:     optim.LinearWarmup(float64(spe), 0.01, optim.Cosine(0.1, float64(3*spe), 0)),
		ClipGradNorm: 5,
		Epochs:       s.epochs,
		OutDir:       s.outDir,
		RandSources:  []RandSource{src},
		OnStep:       s.onStep,
		Metadata:     map[string]string{"model": "tiny"},
	}
	if s.noTest {
		c.Test = nil
	}
	if s.ema {
		c.EMA = optim.NewEMA(params, nn.NamedBuffers(model), optim.EMAConfig{Decay: 0.9, NumUpdatesWarmup: true})
	}
	tr, err := New(c)
	require.NoError(t, err)
	return tr, model
}

// requireSameState checks that two models hold bit-identical parameters
// and buffers.
func requireSameState(t *testing.T, want, got nn.Module) {
	t.Helper()
	w, g := nn.StateDict(want), nn.StateDict(got)
	require.Equal(t, len(w), len(g))
	for i := range w {
		require.Equal(t, w[i].Name, g[i].Name)
		require.Equal(t, w[i].Data, g[i].Data, "tensor %s differs", w[i].Name)
	}
}

func run(t *testing.T, tr *Trainer) Result {
	t.Helper()
	res, err := tr.Run(context.Background())
	require.NoError(t, err)
	return res
}
