package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/autonl-go/autonl/models"
	"github.com/autonl-go/autonl/nas"
	"github.com/autonl-go/autonl/train"
)

func TestSearchFlagErrors(t *testing.T) {
	dir := t.TempDir()
	badSpace := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(badSpace, []byte(`{"input_size": 32, "kernel": [3]}`), 0o644))
	out := filepath.Join(dir, "out")
	requireUsageErrors(t, commands["search"].run, out, []usageCase{
		{[]string{"-preset", "cifar"}, []string{"-preset cifar", "imagenet or small"}},
		{[]string{"-target", "lots"}, []string{"-target", "350M"}},
		{[]string{"-target", "-5M"}, []string{"-target"}},
		{[]string{"-space", filepath.Join(dir, "none.json")}, []string{"-space", "no such file"}},
		{[]string{"-space", badSpace}, []string{"-space " + badSpace, `unknown field "kernel"`}},
		{[]string{"-epochs", "0"}, []string{"-epochs 0"}},
		{[]string{"-warmup", "2", "-epochs", "2"}, []string{"-warmup 2", "fewer than -epochs 2"}},
		{[]string{"-gate-keep", "0"}, []string{"-gate-keep 0"}},
		{[]string{"-search-keep", "1.5"}, []string{"-search-keep 1.5"}},
		{[]string{"-grow", "3"}, []string{"-grow 3", "at most -warmup 2"}},
		{[]string{"-grow", "-1"}, []string{"-grow -1"}},
		{[]string{"-arch-lr", "0"}, []string{"-arch-lr 0"}},
		{[]string{"-cost-weight", "-1"}, []string{"-cost-weight -1"}},
		{[]string{"-cost-ramp", "-1"}, []string{"-cost-ramp -1"}},
		{[]string{"-arch-data", "-1"}, []string{"-arch-data -1"}},
		{[]string{"-nl-gamma", "NaN"}, []string{"-nl-gamma NaN", "finite"}},
		{[]string{"-arch-data", "20000"}, []string{"-arch-data 20000", "only"}},
		{[]string{"-tolerance", "1"}, []string{"-tolerance 1"}},
		{[]string{"-random", "-1"}, []string{"-random -1"}},
		{[]string{"-random", "3", "-val-size", "0"}, []string{"-random needs validation images"}},
		{[]string{"-data", "imagenet"}, []string{"-data imagenet", "unknown kind"}},
		{[]string{"-size", "16"}, []string{"-size 16", "at least 24"}},
		{[]string{"-train-size", "39500", "-val-size", "1000"}, []string{"-train-size 39500", "before its test images"}},
		{[]string{"-resume"}, []string{"-resume", "no checkpoint"}},
		{[]string{"-train-epochs", "-1"}, []string{"-train-epochs -1"}},
		{[]string{"-nope"}, []string{"-nope"}},
	})
	for _, s := range []string{"350M", "7.6M", "1.2G", "900k", "12345"} {
		_, err := parseMACs(s)
		assert.NoError(t, err, s)
	}
}

// A short search on a little embedded data (24×24) writes its outputs and
// a network within the tolerance of the target, trains it, and eval
// rebuilds that network from the training checkpoint; a search
// interrupted in either phase resumes; the random baseline writes the same
// files.
func TestSearchTrainEval(t *testing.T) {
	out := filepath.Join(t.TempDir(), "search")
	args := []string{"-size", "24", "-train-size", "64", "-val-size", "32", "-batch", "32", "-epochs", "2", "-warmup", "1",
		"-target", "1.1M", "-arch-lr", "20", "-train-epochs", "1", "-out", out}
	var stdout, stderr bytes.Buffer
	require.NoError(t, runSearch(context.Background(), args, &stdout, &stderr))
	text := stdout.String()
	assert.Contains(t, text, "epoch 2/2")
	assert.Contains(t, text, "arch: ")
	for _, f := range []string{nas.ArchFile, nas.ArchJSONFile, nas.SpaceFile, nas.DecisionsFile, nas.DecisionsPlot, nas.MACsPlot,
		train.CheckpointFile, filepath.Join("train", train.CheckpointFile)} {
		_, err := os.Stat(filepath.Join(out, f))
		require.NoError(t, err, f)
	}
	a, err := nas.ReadArchitecture(filepath.Join(out, nas.ArchJSONFile))
	require.NoError(t, err)
	d, err := a.Derive()
	require.NoError(t, err)
	assert.InDelta(t, 1.1e6, float64(d.Cost.Total.MACs), 0.05*1.1e6)
	assert.Contains(t, text, "training the searched network")
	assert.Contains(t, lineWith(text, "model: searched network"), models.FormatCount(d.Cost.Total.MACs))
	final := lineWith(text, "final test accuracy")
	_, pct, _ := strings.Cut(final, ": ")
	pct, _, _ = strings.Cut(pct, " ")

	stdout.Reset()
	require.NoError(t, runEval(context.Background(), []string{"-checkpoint", filepath.Join(out, "train", train.CheckpointFile)}, &stdout, &stderr))
	assert.Contains(t, lineWith(stdout.String(), "accuracy:"), pct)

	// Interrupted in its training phase, the search resumes with -resume
	// and ends as the uninterrupted one.
	resumed := resumeTrainingPhase(t, args[:len(args)-2], filepath.Join(t.TempDir(), "interrupted"))
	assert.Equal(t, final, lineWith(resumed, "final test accuracy"))

	// Interrupted before its first step, the search resumes from its
	// checkpoint with only -resume and -out.
	again := filepath.Join(t.TempDir(), "again")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = runSearch(ctx, append(slices.Clone(args[:len(args)-2]), "-out", again, "-train-epochs", "0"), &stdout, &stderr)
	require.ErrorIs(t, err, context.Canceled)
	requireUsageError(t, runSearch(context.Background(), []string{"-out", again}, &stdout, &stderr), "unfinished search", "-resume")
	// A resumed search keeps its schedule: a changed flag is refused by
	// name.
	for _, tc := range [][]string{{"-epochs", "3"}, {"-warmup", "0.5"}, {"-arch-lr", "5"}, {"-cost-weight", "2"}, {"-gate-keep", "0.6"}, {"-search-keep", "0.5"}, {"-grow", "0"}, {"-nl-gamma", "1"}, {"-arch-data", "8"}} {
		err := runSearch(context.Background(), append([]string{"-resume", "-out", again}, tc...), &stdout, &stderr)
		requireUsageError(t, err, "-resume: "+tc[0]+" "+tc[1]+" differs from the checkpoint's", "keeps the settings it began with")
	}
	stdout.Reset()
	require.NoError(t, runSearch(context.Background(), []string{"-resume", "-out", again}, &stdout, &stderr))
	assert.Contains(t, stdout.String(), "epoch 2/2")
	b, err := os.ReadFile(filepath.Join(again, nas.ArchFile))
	require.NoError(t, err)
	assert.Equal(t, d.Arch(), string(b), "the resumed search derives what the straight one did")

	rnd := filepath.Join(t.TempDir(), "random")
	stdout.Reset()
	require.NoError(t, runSearch(context.Background(), []string{"-size", "24", "-train-size", "64", "-val-size", "32", "-batch", "32",
		"-epochs", "2", "-target", "1.1M", "-random", "2", "-train-epochs", "0", "-out", rnd}, &stdout, &stderr))
	assert.Equal(t, 2, strings.Count(stdout.String(), "\ncandidate "))
	_, err = nas.ReadArchitecture(filepath.Join(rnd, nas.ArchJSONFile))
	require.NoError(t, err)
}
