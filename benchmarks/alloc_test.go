package benchmarks

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

// allocated returns the bytes the Go allocator has handed out so far.
func allocated() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.TotalAlloc
}

// trainStepAllocs returns the bytes allocated by the first training step
// of s and the mean over steps after warm-up (two more steps).
func trainStepAllocs(s *mnv2Step, steps int) (first, steady float64) {
	a0 := allocated()
	s.step()
	first = float64(allocated() - a0)
	s.step()
	s.step()
	a0 = allocated()
	for range steps {
		s.step()
	}
	return first, float64(allocated()-a0) / float64(steps)
}

// TestTrainStepAllocation checks that a MobileNetV2 training step in
// steady state (after two warm-up steps) allocates less than 5% of the
// bytes the first step allocates: activations, gradients and workspaces
// come back from the buffer pools. BenchmarkMobileNetV2's train cases
// report the same two figures at full size.
func TestTrainStepAllocation(t *testing.T) {
	s := newMNV2(t, mnv2Case{size: 32, batch: 4})
	first, steady := trainStepAllocs(s, 3)
	t.Logf("MobileNetV2 32×32 batch 4 training step: first %.0f B, steady state %.0f B per step (%.2f%%)", first, steady, 100*steady/first)
	require.Less(t, steady, 0.05*first, "steady-state allocation per step %.0f B, first step %.0f B", steady, first)
}
