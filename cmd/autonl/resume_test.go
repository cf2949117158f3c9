package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/autonl-go/autonl/train"
)

// cancelAfter is a log writer that calls cancel once it has seen the text
// after and then the text on.
type cancelAfter struct {
	mu        sync.Mutex
	buf       bytes.Buffer
	after, on string
	cancel    func()
}

func (w *cancelAfter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if _, rest, ok := strings.Cut(w.buf.String(), w.after); ok && strings.Contains(rest, w.on) {
		w.cancel()
	}
	return len(p), nil
}

// resumeTrainingPhase interrupts the search of args (its training phase
// included) in out once the training phase runs, resumes it with only
// -resume and -out, and returns what the resumed run printed. It is
// called by TestSearchTrainEval, which compares the result with the
// uninterrupted search's.
func resumeTrainingPhase(t *testing.T, args []string, out string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Cancel 2 s into the training phase, in its first epoch: the
	// checkpoint holds a partial epoch.
	w := &cancelAfter{after: "training the searched network", on: "output: ", cancel: func() {
		time.AfterFunc(2*time.Second, cancel)
	}}
	var stderr bytes.Buffer
	err := runSearch(ctx, append(append([]string(nil), args...), "-out", out), w, &stderr)
	require.ErrorIs(t, err, context.Canceled, "interrupted in the training phase")
	assert.Contains(t, err.Error(), "rerun with -resume")
	ck, err := train.ReadCheckpoint(filepath.Join(out, "train", train.CheckpointFile))
	require.NoError(t, err)
	assert.Equal(t, 0, ck.Epoch, "interrupted in the first epoch")

	var stdout bytes.Buffer
	require.NoError(t, runSearch(context.Background(), []string{"-resume", "-out", out}, &stdout, &stderr))
	assert.Contains(t, stdout.String(), "resuming from")
	return stdout.String()
}
