package data

import (
	"fmt"
	"math/rand/v2"
)

// SyntheticTask says which relation between the two shapes of a
// [Synthetic] image its label encodes.
type SyntheticTask int

const (
	// ShapeAndColour has 4 classes, label = 2·(shapes differ) + (colours
	// differ): "same shape, same colour", "same shape, different colour",
	// "different shape, same colour", "different shape, different colour".
	ShapeAndColour SyntheticTask = iota
	// SameShape has 2 classes, "same shape" and "different shape"; the
	// colours are drawn independently.
	SameShape
	// SameColour has 2 classes, "same colour" and "different colour"; the
	// shapes are drawn independently.
	SameColour
)

// String returns the task's name.
func (t SyntheticTask) String() string {
	switch t {
	case ShapeAndColour:
		return "shape-and-colour"
	case SameShape:
		return "same-shape"
	case SameColour:
		return "same-colour"
	}
	return fmt.Sprintf("SyntheticTask(%d)", int(t))
}

func (t SyntheticTask) classes() []string {
	switch t {
	case SameShape:
		return []string{"same shape", "different shape"}
	case SameColour:
		return []string{"same colour", "different colour"}
	}
	return []string{"same shape, same colour", "same shape, different colour", "different shape, same colour", "different shape, different colour"}
}

// SyntheticConfig parameterizes a [Synthetic] dataset. Start from
// [DefaultSyntheticConfig]: zero values are taken literally.
type SyntheticConfig struct {
	// N is the number of examples.
	N int
	// Seed selects the dataset; the same seed gives the same images.
	Seed uint64
	// First is the generator index of example 0: example i is scene
	// (Seed, First+i). Datasets with the same seed and disjoint index
	// ranges, such as a training and a test set, share no scene.
	First uint64
	// Size is the height and width of the images, at least 24.
	Size int
	// Gray makes one-channel images whose "colours" are four grey levels.
	Gray bool
	// Task selects the relation that the label encodes.
	Task SyntheticTask
	// Noise is the standard deviation of the Gaussian noise added to every
	// pixel value, at least 0.
	Noise float32
	// Clutter is the number of distractor dashes, at least 0.
	Clutter int
	// Shapes is the number of glyph shapes the two objects are drawn from,
	// the first Shapes of SyntheticShapeNames, 2 to 4; 0 means 4.
	Shapes int
}

// DefaultSyntheticConfig returns the configuration of the embedded default
// dataset: 10000 RGB images of 64×64 pixels, task SameShape (2 classes;
// the colours are drawn independently of the label) over 2 shapes (plus
// and cross), noise 0.05, no clutter, seed 1. At this size the shapes lie
// beyond what a small convolutional network relates, and the relation is
// still learnable by one with LightNL blocks (docs/lightnl-experiment.md).
func DefaultSyntheticConfig() SyntheticConfig {
	return SyntheticConfig{N: 10000, Seed: 1, Size: 64, Task: SameShape, Noise: 0.05, Shapes: 2}
}

// Synthetic is the embedded, procedurally generated dataset, the default
// of this project. It needs no file, and its labels depend only on the
// relation between two small glyphs placed at least Size/2 pixels apart,
// so that a network must combine distant parts of the image to do better
// than chance: each glyph alone, and any window of at most Size/2-6 pixels
// a side, is independent of the label. Example i is generated on the fly
// from (Seed, First+i) alone by a ChaCha8 generator, in some tens of
// microseconds. docs/embedded-data.md specifies the generator draw by draw
// (the contract that keeps a seed's images fixed) and gives the argument
// for the chance level of local features.
type Synthetic struct {
	cfg     SyntheticConfig
	classes []string
	palette [4][3]float32
}

// SyntheticShapeNames are the names of the four glyphs, by shape index.
var SyntheticShapeNames = [4]string{"plus", "cross", "corner", "diamond"}

// SyntheticColourNames are the names of the four colours, by colour index
// (for Gray images, the grey levels 0.4, 0.6, 0.8 and 1.0).
var SyntheticColourNames = [4]string{"red", "green", "blue", "yellow"}

// glyphs are the 7×7 patterns of the four shapes, 13 pixels each.
var glyphs = [4][7]string{
	{ // plus
		"...#...",
		"...#...",
		"...#...",
		"#######",
		"...#...",
		"...#...",
		"...#...",
	},
	{ // cross
		"#.....#",
		".#...#.",
		"..#.#..",
		"...#...",
		"..#.#..",
		".#...#.",
		"#.....#",
	},
	{ // corner
		"#......",
		"#......",
		"#......",
		"#......",
		"#......",
		"#......",
		"#######",
	},
	{ // diamond with its centre
		"...#...",
		"..#.#..",
		".#...#.",
		"#..#..#",
		".#...#.",
		"..#.#..",
		"...#...",
	},
}

var (
	rgbPalette  = [4][3]float32{{0.95, 0.25, 0.2}, {0.2, 0.85, 0.25}, {0.25, 0.45, 1}, {0.95, 0.9, 0.2}}
	grayPalette = [4][3]float32{{0.4}, {0.6}, {0.8}, {1}}
)

const glyphSize = 7

// MinSyntheticSize is the smallest image side NewSynthetic accepts: the two
// shapes must be able to lie far apart.
const MinSyntheticSize = 24

// NewSynthetic returns the dataset that cfg describes.
func NewSynthetic(cfg SyntheticConfig) (*Synthetic, error) {
	switch {
	case cfg.N < 0:
		return nil, fmt.Errorf("data: NewSynthetic: N = %d examples is negative", cfg.N)
	case cfg.Size < MinSyntheticSize:
		return nil, fmt.Errorf("data: NewSynthetic: Size = %d; want at least %d so that the two shapes can lie far apart", cfg.Size, MinSyntheticSize)
	case cfg.Noise < 0:
		return nil, fmt.Errorf("data: NewSynthetic: Noise = %g is negative", cfg.Noise)
	case cfg.Clutter < 0:
		return nil, fmt.Errorf("data: NewSynthetic: Clutter = %d is negative", cfg.Clutter)
	case cfg.Shapes != 0 && (cfg.Shapes < 2 || cfg.Shapes > len(glyphs)):
		return nil, fmt.Errorf("data: NewSynthetic: Shapes = %d; want 2 to %d (or 0 for %d)", cfg.Shapes, len(glyphs), len(glyphs))
	case cfg.Task < ShapeAndColour || cfg.Task > SameColour:
		return nil, fmt.Errorf("data: NewSynthetic: unknown task %v", cfg.Task)
	}
	s := &Synthetic{cfg: cfg, classes: cfg.Task.classes(), palette: rgbPalette}
	if cfg.Gray {
		s.palette = grayPalette
	}
	return s, nil
}

// SyntheticSplits returns a training set of cfg.N examples and a test set
// of nTest examples from the same generator, at the indices that follow the
// training set's, so that the two share no scene.
func SyntheticSplits(cfg SyntheticConfig, nTest int) (train, test *Synthetic, err error) {
	if train, err = NewSynthetic(cfg); err != nil {
		return nil, nil, err
	}
	tc := cfg
	tc.N, tc.First = nTest, cfg.First+uint64(cfg.N)
	if test, err = NewSynthetic(tc); err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

// Config returns the dataset's configuration.
func (s *Synthetic) Config() SyntheticConfig { return s.cfg }

// Len returns the number of examples, cfg.N.
func (s *Synthetic) Len() int { return s.cfg.N }

// Shape returns 3 (1 when Gray), Size, Size.
func (s *Synthetic) Shape() (c, h, w int) {
	if s.cfg.Gray {
		return 1, s.cfg.Size, s.cfg.Size
	}
	return 3, s.cfg.Size, s.cfg.Size
}

// Classes returns the class names of the task: 4 for ShapeAndColour, 2
// for the other tasks.
func (s *Synthetic) Classes() []string { return s.classes }

// SyntheticObject is one of the two shapes of a [SyntheticScene].
type SyntheticObject struct {
	// Shape indexes SyntheticShapeNames and Colour SyntheticColourNames.
	Shape, Colour int
	// X and Y are the column and row of the glyph's top-left pixel.
	X, Y int
}

// SyntheticScene is the ground truth of one example of a [Synthetic]
// dataset: its label and its two shapes.
type SyntheticScene struct {
	Label   int
	Objects [2]SyntheticObject
}

// Scene returns the ground truth of example i, the outcome of steps 1-4 of
// the generator, without drawing the image.
func (s *Synthetic) Scene(i int) SyntheticScene {
	if i < 0 || i >= s.cfg.N {
		panic(fmt.Sprintf("data: Synthetic.Scene: index %d out of range [0, %d)", i, s.cfg.N))
	}
	sc, _ := s.scene(i)
	return sc
}

// scene performs steps 1-4 and returns the generator for the rest.
func (s *Synthetic) scene(i int) (SyntheticScene, *rand.Rand) {
	rng := newRand(s.cfg.Seed, s.cfg.First+uint64(i), 0, streamSynthetic)
	var sc SyntheticScene
	sc.Label = rng.IntN(len(s.classes))
	var shapesDiffer, coloursDiffer, shapesFree, coloursFree bool
	switch s.cfg.Task {
	case ShapeAndColour:
		shapesDiffer, coloursDiffer = sc.Label/2 == 1, sc.Label%2 == 1
	case SameShape:
		shapesDiffer, coloursFree = sc.Label == 1, true
	case SameColour:
		coloursDiffer, shapesFree = sc.Label == 1, true
	}
	a, b := &sc.Objects[0], &sc.Objects[1]
	a.Shape, b.Shape = pair(rng, s.shapes(), shapesFree, shapesDiffer)
	a.Colour, b.Colour = pair(rng, 4, coloursFree, coloursDiffer)
	n, half := s.cfg.Size-glyphSize-1, s.cfg.Size/2
	for {
		a.X, a.Y, b.X, b.Y = 1+rng.IntN(n), 1+rng.IntN(n), 1+rng.IntN(n), 1+rng.IntN(n)
		if max(abs(a.X-b.X), abs(a.Y-b.Y)) >= half {
			break
		}
	}
	return sc, rng
}

// shapes returns the number of shapes drawn from.
func (s *Synthetic) shapes() int {
	if s.cfg.Shapes == 0 {
		return len(glyphs)
	}
	return s.cfg.Shapes
}

// pair draws the attributes of shapes A and B (step 2 or 3) from k values.
func pair(rng *rand.Rand, k int, free, differ bool) (a, b int) {
	a = rng.IntN(k)
	if free {
		return a, rng.IntN(k)
	}
	u := rng.IntN(k - 1)
	if differ {
		return a, (a + 1 + u) % k
	}
	return a, a
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// Example draws example i into dst and returns its label.
func (s *Synthetic) Example(i int, dst []float32) int {
	c, size, _ := s.Shape()
	checkExample("Synthetic", i, s.cfg.N, dst, c*size*size)
	sc, rng := s.scene(i)
	plane := size * size

	bg := 0.2 * rng.Float32()
	for j := range dst {
		dst[j] = bg
	}
	put := func(x, y, colour int) {
		for ch := range c {
			dst[ch*plane+y*size+x] = s.palette[colour][ch]
		}
	}
	inBox := func(x, y int) bool {
		for _, o := range sc.Objects {
			if x >= o.X-1 && x <= o.X+glyphSize && y >= o.Y-1 && y <= o.Y+glyphSize {
				return true
			}
		}
		return false
	}
	for range s.cfg.Clutter {
		colour := rng.IntN(4)
		for range 20 {
			vertical := rng.IntN(2) == 1
			x, y := rng.IntN(size), rng.IntN(size)
			x2, y2 := x+1, y
			if vertical {
				x2, y2 = x, y+1
			}
			if x2 >= size || y2 >= size || inBox(x, y) || inBox(x2, y2) {
				continue
			}
			put(x, y, colour)
			put(x2, y2, colour)
			break
		}
	}
	for _, o := range sc.Objects {
		for gy, row := range glyphs[o.Shape] {
			for gx := range glyphSize {
				if row[gx] == '#' {
					put(o.X+gx, o.Y+gy, o.Colour)
				}
			}
		}
	}
	if s.cfg.Noise > 0 {
		for j, v := range dst {
			dst[j] = min(max(v+s.cfg.Noise*float32(rng.NormFloat64()), 0), 1)
		}
	}
	return sc.Label
}
