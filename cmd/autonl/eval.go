package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"

	"github.com/autonl-go/autonl/data"
	"github.com/autonl-go/autonl/train"
)

func init() {
	commands["eval"] = command{
		summary: "evaluate a checkpoint of autonl train on a dataset: accuracy and confusion matrix",
		run:     interruptible(runEval),
	}
}

// runEval runs autonl eval with args.
func runEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("eval", "-checkpoint FILE [flags]",
		"Rebuilds the network of a checkpoint of autonl train, evaluates it on a dataset\n"+
			"and prints the accuracy, the loss and the confusion matrix.")
	ckPath := fs.String("checkpoint", "", "checkpoint `file` written by autonl train (required)")
	dataFlag := fs.String("data", "", "dataset to evaluate: "+dataKinds+" (default: the one the checkpoint was trained on)")
	split := fs.String("split", "test", "which part of the dataset: test or train")
	size := fs.Int("n", 0, "evaluate this many examples (0: all; embedded: the training run's test size)")
	batch := fs.Int("batch", 256, "images per batch")
	useEMA := fs.Bool("ema", true, "use the checkpoint's EMA weights if it has them")
	workers := fs.Int("workers", 2, "goroutines preparing batches")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	switch {
	case *ckPath == "":
		return usagef("-checkpoint is required: the file autonl train wrote (its -out directory's %s)", train.CheckpointFile)
	case *batch < 1:
		return usagef("-batch %d: want at least 1", *batch)
	case *split != "test" && *split != "train":
		return usagef("-split %s: want test or train", *split)
	case *size < 0:
		return usagef("-n %d: want 0 (all) or more", *size)
	case *workers < 1:
		return usagef("-workers %d: want at least 1", *workers)
	}
	if err := firstError(atMost("-n", *size, maxExamples), atMost("-batch", *batch, maxBatch), atMost("-workers", *workers, maxWorkers)); err != nil {
		return err
	}
	if _, err := os.Stat(*ckPath); err != nil {
		return usagef("-checkpoint %s: no such file", *ckPath)
	}
	ck, err := train.ReadCheckpoint(*ckPath)
	if err != nil {
		return err
	}
	o, err := savedOptions(ck)
	if err != nil {
		return err
	}
	dataSpecText := o.Data
	if *dataFlag != "" {
		dataSpecText = *dataFlag
	}
	spec, err := parseDataSpec(dataSpecText)
	if err != nil {
		return err
	}
	dopts := dataOptions{ImageSize: o.ImageSize, Gray: o.Gray, Seed: o.Seed}
	if spec.kind == "embedded" {
		dopts.TrainSize, dopts.TestSize = o.TrainSize, o.TestSize
	}
	if *size > 0 {
		if *split == "test" {
			dopts.TestSize = *size
		} else {
			dopts.TrainSize = *size
		}
	}
	trainSet, testSet, err := loadData(spec, dopts)
	if err != nil {
		return err
	}
	ds := testSet
	if *split == "train" {
		ds = trainSet
	}
	c, h, w := ds.Shape()
	if [3]int{c, h, w} != o.Input || len(ds.Classes()) != len(o.Classes) {
		return fmt.Errorf("-data %s has %d×%d×%d images in %d classes; the checkpoint's network takes %d×%d×%d images in %d classes",
			dataSpecText, c, h, w, len(ds.Classes()), o.Input[0], o.Input[1], o.Input[2], len(o.Classes))
	}
	built, err := buildModel(rand.New(rand.NewPCG(0, 0)), &o, o.Arch, memUse{*batch, false, *workers}) // weights come from the checkpoint
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", *ckPath, err)
	}
	usedEMA, err := ck.LoadModel(built.model, *useEMA)
	if err != nil {
		return err
	}
	// Normalize as training did, with the training set's statistics.
	loader, err := data.NewLoader(ds, data.LoaderConfig{BatchSize: *batch, Mean: o.Mean, Std: o.Std, Workers: *workers})
	if err != nil {
		return err
	}
	res, err := train.Evaluate(ctx, built.model, loader, nil)
	if err != nil {
		return err
	}
	weights := "weights"
	if usedEMA {
		weights = "EMA weights"
	}
	epochs := fmt.Sprintf("%d epochs", ck.Epoch)
	if ck.Batch > 0 {
		epochs += fmt.Sprintf(" and %d batches", ck.Batch)
	}
	fmt.Fprintf(stdout, "checkpoint: %s (%s, %s, trained %s)\n", *ckPath, built.name, weights, epochs)
	fmt.Fprintf(stdout, "data: %s, %s split, %d images\n", dataSpecText, *split, res.Total)
	fmt.Fprintf(stdout, "accuracy: %.2f%% (%d of %d; chance %.2f%%)\n", 100*res.Accuracy(), res.Correct, res.Total, 100*chance(res.Confusion))
	fmt.Fprintf(stdout, "loss: %.4f\n", res.Loss)
	fmt.Fprintf(stdout, "confusion matrix (rows: true class, columns: predicted class):\n%s", res.Confusion)
	return nil
}
