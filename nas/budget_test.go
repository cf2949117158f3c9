package nas

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/autonl-go/autonl/models"
)

// A gate can close when no gate nested under it is open, and open when
// every gate it nests under is open.
func TestCanCloseCanOpen(t *testing.T) {
	n, err := NewSupernet(tinySpace(), newRNG(1))
	require.NoError(t, err)
	l := n.Layers[1] // kernels 3, 5, 7; expansions 2, 3, 4; keep; LightNL with two ratio and two stride gates
	idx := map[string]int{}
	for i, g := range l.Gates {
		idx[g.Name] = i
	}
	bits := func(names ...string) uint {
		var b uint
		for _, nm := range names {
			i, ok := idx[nm]
			require.True(t, ok, nm)
			b |= 1 << i
		}
		return b
	}
	for _, tc := range []struct {
		open      uint
		gate      string
		close, op bool
	}{
		{bits("t_kernel5", "t_kernel7"), "t_kernel5", false, false},
		{bits("t_kernel5", "t_kernel7"), "t_kernel7", true, false},
		{bits("t_kernel5"), "t_kernel5", true, false},
		{0, "t_kernel7", true, false},
		{bits("t_kernel5"), "t_kernel7", true, true},
		{bits("t_nonlocal", "t_ratio0p25"), "t_nonlocal", false, false},
		{bits("t_nonlocal"), "t_nonlocal", true, false},
		{0, "t_ratio0p25", true, false},
		{bits("t_nonlocal"), "t_ratio0p25", true, true},
		{bits("t_nonlocal"), "t_ratio0p5", true, false},
		{bits("t_nonlocal", "t_stride2"), "t_stride1", true, true},
		{bits("t_nonlocal", "t_stride2", "t_stride1"), "t_stride2", false, false},
		{0, "t_keep", true, true},
	} {
		j := idx[tc.gate]
		if tc.open&(1<<j) != 0 {
			assert.Equal(t, tc.close, canClose(l.Gates, tc.open, j), "close %s with %b open", tc.gate, tc.open)
		} else {
			assert.Equal(t, tc.op, canOpen(l.Gates, tc.open, j), "open %s with %b open", tc.gate, tc.open)
		}
	}
}

// setMargins sets the thresholds of the LightNL gates of nonLocalSpace's
// two layers so that their margins are m0 and m1.
func setMargins(n *Supernet, m0, m1 float64) {
	for li, m := range []float64{m0, m1} {
		l := n.Layers[li]
		s := l.Statistics()
		l.Thresholds[0].Value.Data()[0] = float32(s[0] - m)
	}
}

// ProjectToBudget ranks gates by margin per multiply-add: of two blocks
// whose removal each lands within the tolerance, it closes the one that
// saves more MACs per unit of margin, not the one of smaller margin; it
// opens likewise; it swaps when no single step lands; and it leaves a
// network within the tolerance alone.
func TestProjectToBudget(t *testing.T) {
	n, err := NewSupernet(nonLocalSpace(), newRNG(1))
	require.NoError(t, err)
	nl := models.LightNLSpec{Ratio: 0.25, Stride: 1}
	plain := Choice{Kernel: 3, Expansion: 2, Keep: true}
	block := Choice{Kernel: 3, Expansion: 2, Keep: true, NonLocal: nl}
	both, none := []Choice{block, block}, []Choice{plain, plain}
	first, second := []Choice{block, plain}, []Choice{plain, block}
	full, c0, c1 := n.MACs(both), n.MACs(first), n.MACs(second)
	save0, save1 := full-c1, full-c0 // MACs of the first and second layer's block
	require.Greater(t, save1, 2*save0, "the second layer's block costs more")
	target := full - (save0+save1)/2
	const tol = 0.08
	require.InDelta(t, float64(target), float64(c0), tol*float64(target))
	require.InDelta(t, float64(target), float64(c1), tol*float64(target))
	require.Greater(t, float64(full), (1+tol)*float64(target))
	require.Less(t, float64(n.MACs(none)), (1-tol)*float64(target))

	// Margins 0.05 and 0.1: the first block has the smaller margin, the
	// second the smaller margin per MAC.
	setMargins(n, 0.05, 0.1)
	d, changed, err := ProjectToBudget(n, both, target, tol)
	require.NoError(t, err)
	assert.Equal(t, 1, changed)
	assert.Equal(t, first, d.Choices, "closes the block of least margin per MAC")

	// Closed with margins −0.05 and −0.1: the second has the larger
	// margin per MAC.
	setMargins(n, -0.05, -0.1)
	d, changed, err = ProjectToBudget(n, none, target, tol)
	require.NoError(t, err)
	assert.Equal(t, 1, changed)
	assert.Equal(t, second, d.Choices, "opens the block of largest margin per MAC")

	// Within the tolerance: nothing changes.
	d, changed, err = ProjectToBudget(n, second, target, tol)
	require.NoError(t, err)
	assert.Zero(t, changed)
	assert.Equal(t, second, d.Choices)

	// Only the second block fits a tight target: from the first block
	// alone, below it, no single opening lands; the projection swaps.
	setMargins(n, 0.05, -0.05)
	d, changed, err = ProjectToBudget(n, first, c1, 0.05)
	require.NoError(t, err)
	assert.Equal(t, 2, changed)
	assert.Equal(t, second, d.Choices)

	_, _, err = ProjectToBudget(n, both, n.MACs(none)/2, 0.05)
	assert.ErrorContains(t, err, "no network of the space costs at most")
}
