package train_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/autonl-go/autonl/data"
	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/nn/optim"
	"github.com/autonl-go/autonl/train"
)

// Train a small network for two short epochs on the embedded synthetic data
// and read back what the run wrote.
func Example() {
	cfg := data.DefaultSyntheticConfig()
	cfg.N, cfg.Size = 64, 24
	trainSet, testSet, err := data.SyntheticSplits(cfg, 32)
	if err != nil {
		panic(err)
	}
	trainLoader, _ := data.NewLoader(trainSet, data.LoaderConfig{BatchSize: 16, Shuffle: true, Seed: 1})
	testLoader, _ := data.NewLoader(testSet, data.LoaderConfig{BatchSize: 16})

	rng := rand.New(rand.NewPCG(1, 2))
	model := nn.NewSequential(
		nn.NewConv2d(rng, 3, 8, 3, nn.ConvConfig{Stride: 2, Padding: 1}),
		nn.NewBatchNorm2d(8, nn.BatchNormConfig{}),
		&nn.ReLU{},
		&nn.GlobalAvgPool2d{},
		&nn.Flatten{},
		nn.NewLinear(rng, 8, len(trainSet.Classes()), true),
	)
	opt := optim.NewSGD(optim.OneGroup(nn.NamedParams(model)), optim.SGDConfig{LR: 0.05, Momentum: 0.9})

	out, _ := os.MkdirTemp("", "train-example")
	defer os.RemoveAll(out)
	tr, err := train.New(train.Config{
		Model: model, Train: trainLoader, Test: testLoader,
		Loss:      nn.CrossEntropyLoss{LabelSmoothing: 0.1},
		Optimizer: opt,
		Schedule:  optim.Cosine(0.05, float64(2*trainLoader.NumBatches()), 0),
		Epochs:    2,
		OutDir:    out,
	})
	if err != nil {
		panic(err)
	}
	res, err := tr.Run(context.Background())
	if err != nil {
		panic(err)
	}
	fmt.Println("epochs:", len(res.History), "steps:", res.History[1].Step)
	fmt.Println("test examples:", res.Final.Total, "in", len(res.Final.Confusion.Classes), "classes")
	for _, name := range []string{train.CheckpointFile, train.MetricsFile, train.LossPlotFile, train.AccPlotFile} {
		_, err := os.Stat(filepath.Join(out, name))
		fmt.Println(name, err == nil)
	}
	ck, _ := train.ReadCheckpoint(filepath.Join(out, train.CheckpointFile))
	fmt.Println("checkpoint after epoch", ck.Epoch)
	// Output:
	// epochs: 2 steps: 8
	// test examples: 32 in 2 classes
	// checkpoint.safetensors true
	// metrics.csv true
	// loss.png true
	// accuracy.png true
	// checkpoint after epoch 2
}
