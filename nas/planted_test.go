package nas

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/autonl-go/autonl/data"
	"github.com/autonl-go/autonl/models"
)

// Planted tasks: tiny generated data sets on which the right decision is
// known and the cheap one is wrong, so that a search that follows the
// cost term, or chance, fails them.
//
// Each image holds dot pairs: two bright pixels five apart, horizontal or
// vertical. Seeing a pair's orientation takes a window of six pixels, a
// receptive field of 7; every dot lies far enough from the border that no
// such window sees the padding, so features of translation-equivariant
// layers cannot tell where a dot is, and the global average pool before
// the classifier adds up features of windows that see one pair at most.

// dotPair draws a pair of dots of random orientation into the size×size
// image pix with its first dot at a random position of the box
// [lo, hi)² such that both dots lie in it, and returns whether it is
// horizontal.
func dotPair(rng *rand.Rand, pix []float32, size, lo, hi int) bool {
	const d = 5
	horiz := rng.IntN(2) == 0
	dx, dy := 0, d
	if horiz {
		dx, dy = d, 0
	}
	x := lo + rng.IntN(hi-lo-dx)
	y := lo + rng.IntN(hi-lo-dy)
	pix[y*size+x] = 1
	pix[(y+dy)*size+x+dx] = 1
	return horiz
}

// plantedData returns n images of one channel and their labels, drawn by
// draw from seed.
func plantedData(t testing.TB, n, size int, seed uint64, draw func(rng *rand.Rand, pix []float32) int) *data.Memory {
	rng := rand.New(rand.NewPCG(seed, 0x706c616e74)) // "plant"
	pix := make([]float32, n*size*size)
	labels := make([]int, n)
	for i := range labels {
		labels[i] = draw(rng, pix[i*size*size:(i+1)*size*size])
	}
	m, err := data.NewMemory(1, size, size, pix, labels, []string{"a", "b"})
	require.NoError(t, err)
	return m
}

// kernelTask: one pair in a 20×20 image, label its orientation, dots at
// least 5 pixels from the border. The stem (3×3) and a 3×3 depthwise
// kernel see 5×5 windows, which hold one dot of a pair at most, so a
// network with the small kernel stays at chance; the 7×7 kernel sees 9×9.
func kernelTask(t testing.TB, n int, seed uint64) *data.Memory {
	return plantedData(t, n, 20, seed, func(rng *rand.Rand, pix []float32) int {
		if dotPair(rng, pix, 20, 5, 15) {
			return 1
		}
		return 0
	})
}

// kernelSpace: stem 8 → one layer, kernel 3 or 7, expansion 4 or 5 →
// head 16. The larger kernel is the task, and the decision that saves
// the most MACs (640k against 208k for the extra expansion): a search led
// by the cost term closes it first. The target is the k7, e4 network's
// MACs, which no other configuration comes within 5% of.
func kernelSpace() Space {
	s := plantedSpace(20, Stage{Width: 8, Repeats: 1, Stride: 1})
	s.Kernels, s.Expansions = []int{3, 7}, []float64{4, 5}
	return s
}

// nonLocalTask: a pair in the box [4, 11)² of a 28×28 image and, in two
// images of three, a second one in [17, 24)²; the label of a single pair
// is its orientation, of two pairs whether their orientations agree.
// Seeing an orientation takes a receptive field of 7, and no window
// smaller than 14 sees both pairs. For two pairs the label is the
// exclusive or of their orientations, which a sum of per-window features
// followed by a linear classifier cannot compute: a network without a
// LightNL block, or with one after the first layer (receptive field 5,
// it sees single dots), solves the single pairs and guesses the others
// (67% accuracy); a LightNL block after the second layer (receptive field
// 7, it sees orientations) pairs them. The single pairs teach the second
// layer orientations, which the exclusive or alone would not.
func nonLocalTask(t testing.TB, n int, seed uint64) *data.Memory {
	return plantedData(t, n, 28, seed, func(rng *rand.Rand, pix []float32) int {
		a := dotPair(rng, pix, 28, 4, 11)
		if rng.IntN(3) == 0 {
			if a {
				return 1
			}
			return 0
		}
		if a == dotPair(rng, pix, 28, 17, 24) {
			return 1
		}
		return 0
	})
}

// nonLocalSpace: stem 8 → layer 1 (8 wide, k3) → layer 2 (16 wide, k3),
// each with an optional LightNL block (ratio 0.25, stride 1) → head 16.
// The second layer's block costs more than the first's; the target is
// the network with the second layer's block alone, and no other
// configuration comes within 5% of it.
func nonLocalSpace() Space {
	s := plantedSpace(28, Stage{Width: 8, Repeats: 1, Stride: 1}, Stage{Width: 16, Repeats: 1, Stride: 1})
	s.Kernels, s.Expansions = []int{3}, []float64{2}
	s.NonLocalRatios, s.NonLocalStrides = []float64{0.25}, []int{1}
	return s
}

// nonLocalEvenSpace is nonLocalSpace with a second layer as wide as the
// first: its two LightNL blocks cost the same, so the cost term cannot
// tell them apart, and the target (one block) admits either.
func nonLocalEvenSpace() Space {
	s := nonLocalSpace()
	s.Stages[1].Width = s.Stages[0].Width
	return s
}

// nonLocalWant is the right network of nonLocalSpace and
// nonLocalEvenSpace: the LightNL block after the second layer alone.
var nonLocalWant = []Choice{{Kernel: 3, Expansion: 2, Keep: true}, {Kernel: 3, Expansion: 2, Keep: true, NonLocal: models.LightNLSpec{Ratio: 0.25, Stride: 1}}}

// plantedSpace returns what the planted spaces share, for stages on
// size×size images of one channel and two classes: stem 8 at stride 1,
// head 16, ReLU; the caller adds the candidates.
func plantedSpace(size int, stages ...Stage) Space {
	return Space{
		InputSize: size, InputChannels: 1, Classes: 2,
		StemWidth: 8, StemStride: 1, HeadWidth: 16, WidthMultiplier: 1,
		Activation: models.ReLU, Stages: stages,
	}
}

// plantedSearch searches space on task data with the default recipe of
// the search and returns the result and the log.
func plantedSearch(t *testing.T, space Space, want []Choice, task func(testing.TB, int, uint64) *data.Memory, seed uint64, edit func(*SearchConfig)) (SearchResult, *Supernet, string) {
	t.Helper()
	tr, err := data.NewLoader(task(t, 1024, 2*seed), data.LoaderConfig{BatchSize: 32, Shuffle: true, Seed: seed, DropLast: true})
	require.NoError(t, err)
	val, err := data.NewLoader(task(t, 256, 2*seed+1), data.LoaderConfig{BatchSize: 128})
	require.NoError(t, err)
	probe, err := NewSupernet(space, newRNG(1))
	require.NoError(t, err)
	var log strings.Builder
	cfg := SearchConfig{
		Space: space, Target: probe.MACs(want), Train: tr, Val: val,
		Epochs: 10, WarmupEpochs: 5, GateKeep: 0.6, LR: 0.01, NonLocalGamma: 0.25, CostRamp: 1, CostDual: 10,
		Seed: seed, Log: &log,
	}
	if edit != nil {
		edit(&cfg)
	}
	s, err := NewSearch(cfg)
	require.NoError(t, err)
	res, err := s.Run(context.Background())
	require.NoError(t, err, log.String())
	return res, s.Supernet(), log.String()
}

// plantedSeeds returns the seeds the planted tests run: 1, 2 and 3, or 1
// with -short.
func plantedSeeds() []uint64 {
	if testing.Short() {
		return []uint64{1}
	}
	return []uint64{1, 2, 3}
}

// checkPlantedFound checks that the planted search of space on task, with
// each of plantedSeeds, decides want by itself (no projection).
func checkPlantedFound(t *testing.T, space Space, want []Choice, task func(testing.TB, int, uint64) *data.Memory) {
	for _, seed := range plantedSeeds() {
		res, n, log := plantedSearch(t, space, want, task, seed, nil)
		t.Logf("seed %d:\n%s", seed, log)
		assert.Equal(t, want, n.Choices(), "seed %d: the search's own decisions", seed)
		assert.Zero(t, res.Projected, "seed %d: projected", seed)
	}
}

func TestPlantedKernel(t *testing.T) {
	checkPlantedFound(t, kernelSpace(), []Choice{{Kernel: 7, Expansion: 4, Keep: true}}, kernelTask)
}

func TestPlantedNonLocal(t *testing.T) {
	if testing.Short() {
		t.Skip("about 20 s a seed")
	}
	checkPlantedFound(t, nonLocalSpace(), nonLocalWant, nonLocalTask)
}

// The planted LightNL task tells the search from its cost-only ablation.
// In nonLocalEvenSpace the two blocks cost the same and the target admits
// one: the search, led by the loss, must keep the block after the second
// layer on every seed, while the same search with the loss's gradient to
// the gates cut chooses without seeing the task, by the gates' initial
// margins, and must miss it on at least one seed. (Seeds 1–8, when this
// test was written: the search right on all 8, the cost-only search
// wrong on 5, with λ fixed and with dual ascent at rate 10 alike on
// seeds 1–3.)
func TestPlantedNonLocalCostOnly(t *testing.T) {
	if testing.Short() {
		t.Skip("about 15 s a search")
	}
	space := nonLocalEvenSpace()
	probe, err := NewSupernet(space, newRNG(1))
	require.NoError(t, err)
	first := []Choice{nonLocalWant[1], nonLocalWant[0]}
	require.Equal(t, probe.MACs(nonLocalWant), probe.MACs(first), "the two blocks cost the same")

	var missed []uint64
	for _, seed := range plantedSeeds() {
		res, n, log := plantedSearch(t, space, nonLocalWant, nonLocalTask, seed, nil)
		assert.Equal(t, nonLocalWant, n.Choices(), "seed %d: the search's own decisions\n%s", seed, log)
		assert.Zero(t, res.Projected, "seed %d: projected", seed)

		res, n, log = plantedSearch(t, space, nonLocalWant, nonLocalTask, seed, func(c *SearchConfig) { c.CostOnly = true })
		t.Logf("cost-only, seed %d: %v, projected %d", seed, n.Choices(), res.Projected)
		if res.Projected > 0 || !assert.ObjectsAreEqual(nonLocalWant, n.Choices()) {
			missed = append(missed, seed)
		} else {
			t.Logf("%s", log)
		}
	}
	assert.NotEmpty(t, missed, "the cost-only search found the planted block by itself on every seed")
}
