package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/autonl-go/autonl/train"
)

// runOptions are the options of a command that checkpoints its run in an
// output directory and resumes it (autonl train and autonl search), as
// flags and as stored in the checkpoint.
type runOptions interface {
	flags() *flag.FlagSet
	outDir() string
	resuming() bool
	// totalEpochs is the number of epochs of a finished run.
	totalEpochs() int
	// resumeIn marks options read from a checkpoint as resuming the run
	// in out.
	resumeIn(out string)
}

// runFlags are the settings that autonl train and autonl search share,
// whatever they train: the seed, the goroutines preparing batches, the
// output directory and whether the run resumes the one there. Embedded in
// both commands' options, they give the methods of runOptions but
// totalEpochs.
type runFlags struct {
	Seed    uint64 `json:"seed"`
	Workers int    `json:"workers"`
	Out     string `json:"out"`
	Resume  bool   `json:"-"`
}

// define defines the flags -seed, -workers, -out and -resume of fs bound
// to r's fields, for a run that the help calls what ("run" or "search"),
// whose seed seeds the things seeded and which writes outputs to -out.
func (r *runFlags) define(fs *flag.FlagSet, what, seeded, outputs string) {
	fs.Uint64Var(&r.Seed, "seed", r.Seed, "seed of "+seeded)
	fs.IntVar(&r.Workers, "workers", r.Workers, "goroutines preparing batches")
	fs.StringVar(&r.Out, "out", r.Out, "output `dir`ectory: "+outputs)
	fs.BoolVar(&r.Resume, "resume", r.Resume, "continue the "+what+" in -out from its checkpoint; flags not given are taken from it")
}

func (r *runFlags) outDir() string      { return r.Out }
func (r *runFlags) resuming() bool      { return r.Resume }
func (r *runFlags) resumeIn(out string) { r.Out, r.Resume = out, true }

func ptr[T any](v T) *T { return &v }

// resumeOptions returns the options of the run: o as the flags gave them,
// or with -resume the options stored in the checkpoint of o's output
// directory (read by load) with the flags given now applied over them.
// Without -resume it refuses an output directory whose checkpoint holds
// an unfinished run (see checkpointForRun).
func resumeOptions[O runOptions](o O, what string, load func(*train.Checkpoint) (O, error), args []string, stdout, stderr io.Writer) (O, error) {
	ck, err := checkpointForRun(o.outDir(), o.resuming(), what, stdout, func(ck *train.Checkpoint) bool {
		saved, err := load(ck)
		return err == nil && ck.Epoch >= saved.totalEpochs() && ck.Batch == 0
	})
	if err != nil || ck == nil {
		return o, err
	}
	saved, err := load(ck)
	if err != nil {
		return o, err
	}
	saved.resumeIn(o.outDir())
	if err := parseFlags(saved.flags(), args, stderr); err != nil {
		return o, err
	}
	return saved, nil
}

// checkpointForRun returns, with resume, the checkpoint in the output
// directory out to continue (a usage error if there is none). Without
// resume it returns nil, after refusing to start afresh over a
// checkpoint that cannot be read or whose run (a what, such as "run" or
// "search") is not finished: an interrupted run is worth resuming.
func checkpointForRun(out string, resume bool, what string, stdout io.Writer, finished func(*train.Checkpoint) bool) (*train.Checkpoint, error) {
	path := filepath.Join(out, train.CheckpointFile)
	if resume {
		ck, err := train.ReadCheckpoint(path)
		if errors.Is(err, os.ErrNotExist) {
			return nil, usagef("-resume: no checkpoint %s to resume (is -out right?)", path)
		}
		return ck, err
	}
	if _, err := os.Stat(path); err != nil {
		return nil, nil
	}
	old, err := train.ReadCheckpoint(path)
	if err != nil {
		return nil, usagef("-out %s holds a checkpoint that cannot be read (%v): remove it or choose another -out", out, err)
	}
	if !finished(old) {
		return nil, usagef("-out %s holds the checkpoint of an unfinished %s (%d epochs done): add -resume to continue it, or remove it or choose another -out to start afresh", out, what, old.Epoch)
	}
	fmt.Fprintf(stdout, "note: starting afresh over the finished %s in %s\n", what, out)
	return nil, nil
}

// resumeTrainOptions returns the options of a run of autonl train whose
// flags gave o (args): see resumeOptions.
func resumeTrainOptions(o *trainOptions, args []string, stdout, stderr io.Writer) (*trainOptions, error) {
	return resumeOptions(o, "run", func(ck *train.Checkpoint) (*trainOptions, error) {
		saved, err := savedOptions(ck)
		return &saved, err
	}, args, stdout, stderr)
}

// savedOptions returns the options stored in a checkpoint by autonl train.
func savedOptions(ck *train.Checkpoint) (trainOptions, error) {
	o := defaultTrainOptions()
	err := savedMetadata(ck, metaOptions, "train", &o, o.checkSaved)
	return o, err
}

// savedMetadata decodes the JSON of metadata key of ck, written by autonl
// command, into v, and validates the result with check.
func savedMetadata(ck *train.Checkpoint, key, command string, v any, check func() error) error {
	s, ok := ck.Metadata[key]
	if !ok {
		return fmt.Errorf("checkpoint %s was not written by autonl %s (no %s metadata)", ck.Path, command, key)
	}
	if err := json.Unmarshal([]byte(s), v); err != nil {
		return fmt.Errorf("checkpoint %s: metadata %s: %v", ck.Path, key, err)
	}
	if err := check(); err != nil {
		return fmt.Errorf("checkpoint %s: metadata %s: %v", ck.Path, key, err)
	}
	return nil
}
