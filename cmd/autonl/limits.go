package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/autonl-go/autonl/internal/atomicfile"
	"github.com/autonl-go/autonl/internal/sysmem"
	"github.com/autonl-go/autonl/models"
)

// Limits of the flags of autonl, besides the limits of a network that
// package models holds (models.MaxWidth and the others bound -width,
// -size, -input, -channels, -classes and -head, and every size in an arch
// file, a search space or a checkpoint's metadata). Each is far above
// what a run on one machine uses; the memory estimate made before a
// network or a dataset is built refuses what is within them and still
// does not fit (see docs/limits.md).
const (
	// maxBatch bounds -batch (ImageNet recipes use up to 4096 over many
	// machines).
	maxBatch = 1 << 16
	// maxEpochs bounds -epochs, -train-epochs and -warmup (ImageNet
	// recipes run 350 to 600 epochs).
	maxEpochs = 100_000
	// maxExamples bounds -train-size, -test-size, -val-size and eval's -n
	// (ImageNet-21k has 14 million images).
	maxExamples = 1 << 26
	// maxWorkers bounds -workers, the goroutines preparing batches.
	maxWorkers = 1024
	// maxCostDual bounds -cost-dual (e^100 per epoch: λ jumps to its
	// bound within a step of most data sets).
	maxCostDual = 100
	// maxRandom bounds -random, the candidates of the random search.
	maxRandom = 10_000
	// maxTarget bounds -target: 10^13 multiply-adds, 20 times the
	// largest ImageNet networks (EfficientNet-B7, 37 G).
	maxTarget = 1e13
	// maxArchBytes bounds the size of an -arch file: a network of
	// models.MaxLayers layers written one per line takes under 64 kB.
	maxArchBytes = 1 << 20
)

// checkFinite refuses infinite and NaN values of the float flags that fs
// parsed: a usage error naming the first such flag.
func checkFinite(fs *flag.FlagSet) error {
	var err error
	fs.Visit(func(f *flag.Flag) {
		g, ok := f.Value.(flag.Getter)
		if !ok || err != nil {
			return
		}
		if v, ok := g.Get().(float64); ok && (math.IsInf(v, 0) || math.IsNaN(v)) {
			err = usagef("-%s %v: want a finite number", f.Name, v)
		}
	})
	return err
}

// atMost returns a usage error naming flag if v is above limit.
func atMost[T int | int64 | float64](flag string, v, limit T) error {
	if v > limit {
		return usagef("%s %v: want at most %v", flag, v, limit)
	}
	return nil
}

// firstError returns the first non-nil error of errs.
func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// readArchFile reads an arch file of at most maxArchBytes and parses it.
// Errors are usage errors naming the flag and the file.
func readArchFile(flagName, path string) (string, []models.BlockSpec, error) {
	b, err := sysmem.ReadFile(path, maxArchBytes)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", nil, usagef("%s %s: no such file", flagName, path)
		}
		return "", nil, usagef("%s %s: %v", flagName, path, err)
	}
	blocks, err := models.ParseArch(string(b))
	if err != nil {
		return "", nil, usagef("%s %s: %v", flagName, path, err)
	}
	return string(b), blocks, nil
}

// checkMemory refuses, with an error naming what, a run whose network
// (footprint f, batches of batch images, training or not) and batches of
// images of shape input prepared ahead by workers goroutines would not
// fit in the memory this process may use.
func checkMemory(what string, f models.Footprint, batch int, training bool, input [3]int, workers int) error {
	image := int64(input[0]) * int64(input[1]) * int64(input[2])
	need := f.Bytes(batch, training) + 4*int64(workers+2)*int64(batch)*image
	verb := "evaluating"
	if training {
		verb = "training"
	}
	return sysmem.Check(need, fmt.Sprintf("%s: %s the network (%s parameters) on batches of %d %d×%d×%d images",
		what, verb, models.FormatCount(f.Params), batch, input[0], input[1], input[2]))
}

// staleAge is how long a temporary file of an atomic write must have been
// left untouched before a new run in its directory removes it as stale.
const staleAge = time.Minute

// removeStale removes the temporary files that interrupted atomic writes
// (a SIGKILL during a checkpoint save) left in dir.
// It reports each on w.
func removeStale(dir string, w io.Writer) error {
	if _, err := os.Stat(dir); err != nil {
		return nil
	}
	removed, err := atomicfile.RemoveStale(dir, staleAge)
	for _, r := range removed {
		fmt.Fprintf(w, "removed %s, left by an interrupted save\n", filepath.Join(dir, r))
	}
	return err
}
