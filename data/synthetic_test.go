package data

import (
	"flag"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var updateSamples = flag.Bool("update-samples", false, "rewrite docs/synthetic-samples.png")

func newSynth(t testing.TB, mod func(*SyntheticConfig)) *Synthetic {
	t.Helper()
	cfg := DefaultSyntheticConfig()
	if mod != nil {
		mod(&cfg)
	}
	s, err := NewSynthetic(cfg)
	require.NoError(t, err)
	return s
}

func TestNewSyntheticErrors(t *testing.T) {
	tests := []struct {
		mod  func(*SyntheticConfig)
		want string
	}{
		{func(c *SyntheticConfig) { c.N = -1 }, "N = -1 examples is negative"},
		{func(c *SyntheticConfig) { c.Size = 23 }, "Size = 23; want at least 24"},
		{func(c *SyntheticConfig) { c.Noise = -0.1 }, "Noise = -0.1 is negative"},
		{func(c *SyntheticConfig) { c.Clutter = -2 }, "Clutter = -2 is negative"},
		{func(c *SyntheticConfig) { c.Task = 7 }, "unknown task SyntheticTask(7)"},
	}
	for _, tt := range tests {
		cfg := DefaultSyntheticConfig()
		tt.mod(&cfg)
		_, err := NewSynthetic(cfg)
		assert.ErrorContains(t, err, tt.want)
	}
}

func TestSyntheticBasics(t *testing.T) {
	tests := []struct {
		task    SyntheticTask
		gray    bool
		c       int
		classes []string
	}{
		{ShapeAndColour, false, 3, []string{"same shape, same colour", "same shape, different colour", "different shape, same colour", "different shape, different colour"}},
		{SameShape, true, 1, []string{"same shape", "different shape"}},
		{SameColour, false, 3, []string{"same colour", "different colour"}},
	}
	for _, tt := range tests {
		t.Run(tt.task.String(), func(t *testing.T) {
			s := newSynth(t, func(c *SyntheticConfig) { c.Task, c.Gray, c.N, c.Size = tt.task, tt.gray, 2000, 40 })
			c, h, w := s.Shape()
			assert.Equal(t, [3]int{tt.c, 40, 40}, [3]int{c, h, w})
			assert.Equal(t, tt.classes, s.Classes())
			assert.Equal(t, len(tt.classes), len(s.Classes()))
			assert.Equal(t, 2000, s.Len())
			counts := make([]int, len(s.Classes()))
			buf := make([]float32, c*h*w)
			for i := range s.Len() {
				sc := s.Scene(i)
				a, b := sc.Objects[0], sc.Objects[1]
				counts[sc.Label]++
				assert.GreaterOrEqual(t, max(abs(a.X-b.X), abs(a.Y-b.Y)), 20, "shapes far apart")
				for _, o := range sc.Objects {
					assert.True(t, o.X >= 1 && o.Y >= 1 && o.X+glyphSize <= 39 && o.Y+glyphSize <= 39, "inside the image with a margin: %+v", o)
				}
				sameShape, sameColour := a.Shape == b.Shape, a.Colour == b.Colour
				switch tt.task {
				case ShapeAndColour:
					assert.Equal(t, sc.Label/2 == 0, sameShape)
					assert.Equal(t, sc.Label%2 == 0, sameColour)
				case SameShape:
					assert.Equal(t, sc.Label == 0, sameShape)
				case SameColour:
					assert.Equal(t, sc.Label == 0, sameColour)
				}
				if i < 200 {
					assert.Equal(t, sc.Label, s.Example(i, buf))
					for _, v := range buf {
						require.True(t, v >= 0 && v <= 1)
					}
				}
			}
			for k, n := range counts {
				assert.InDelta(t, s.Len()/len(counts), n, 100, "class %d is about as frequent as the others", k)
			}
		})
	}
}

func TestSyntheticDeterminism(t *testing.T) {
	s := newSynth(t, func(c *SyntheticConfig) { c.N = 50 })
	a1, l1 := Get(s, 17)
	for i := range 17 { // generating other examples first changes nothing
		Get(s, i)
	}
	a2, l2 := Get(newSynth(t, func(c *SyntheticConfig) { c.N = 50 }), 17)
	assert.Equal(t, a1, a2)
	assert.Equal(t, l1, l2)
	b, _ := Get(newSynth(t, func(c *SyntheticConfig) { c.N, c.Seed = 50, 2 }), 17)
	assert.NotEqual(t, a1, b, "another seed gives other images")
	c, _ := Get(s, 18)
	assert.NotEqual(t, a1, c)

	all := newSynth(t, func(c *SyntheticConfig) { c.N = 60 })
	train, test, err := SyntheticSplits(func() SyntheticConfig { c := DefaultSyntheticConfig(); c.N = 50; return c }(), 10)
	require.NoError(t, err)
	assert.Equal(t, 10, test.Len())
	x, _ := Get(test, 3)
	y, _ := Get(all, 53)
	assert.Equal(t, y, x, "the test set continues the training set's indices")
	x, _ = Get(train, 3)
	y, _ = Get(all, 3)
	assert.Equal(t, y, x)
	assert.Equal(t, uint64(50), test.Config().First)
	assert.Panics(t, func() { s.Scene(50) })
}

func TestGlyphs(t *testing.T) {
	seen := map[[7]string]bool{}
	for k, g := range glyphs {
		n := 0
		for _, row := range g {
			require.Len(t, row, glyphSize)
			for _, ch := range row {
				if ch == '#' {
					n++
				}
			}
		}
		assert.Equal(t, 13, n, "glyph %s has 13 pixels", SyntheticShapeNames[k])
		assert.False(t, seen[g])
		seen[g] = true
	}
}

// TestSyntheticRendering checks pixels against the scene without noise or
// clutter.
func TestSyntheticRendering(t *testing.T) {
	for _, gray := range []bool{false, true} {
		s := newSynth(t, func(c *SyntheticConfig) { c.N, c.Noise, c.Clutter, c.Gray = 20, 0, 0, gray })
		c, h, w := s.Shape()
		pal := rgbPalette
		if gray {
			pal = grayPalette
		}
		for i := range s.Len() {
			img, _ := Get(s, i)
			sc := s.Scene(i)
			bg := img[0] // (0, 0) is never covered by a glyph
			assert.True(t, bg >= 0 && bg < 0.2)
			ink := 0
			for y := range h {
				for x := range w {
					want := [3]float32{bg, bg, bg}
					for _, o := range sc.Objects {
						if x >= o.X && x < o.X+glyphSize && y >= o.Y && y < o.Y+glyphSize && glyphs[o.Shape][y-o.Y][x-o.X] == '#' {
							want = pal[o.Colour]
							ink++
						}
					}
					for ch := range c {
						require.Equal(t, want[ch], img[ch*h*w+y*w+x], "example %d channel %d at (%d, %d)", i, ch, x, y)
					}
				}
			}
			assert.Equal(t, 26, ink)
		}
	}
}

// decodeScene finds the two shapes of a synthetic image by template
// matching over the whole image, without the ground truth.
func decodeScene(img []float32, c, size int, pal [4][3]float32) [2]SyntheticObject {
	plane := size * size
	fg := make([]float32, plane)
	for p := range plane {
		v := img[p]
		for ch := 1; ch < c; ch++ {
			v = max(v, img[ch*plane+p])
		}
		if v > 0.3 {
			fg[p] = 1
		} else {
			fg[p] = -1
		}
	}
	type cand struct {
		score float32
		obj   SyntheticObject
	}
	var best [2]cand
	best[0].score, best[1].score = -1e9, -1e9
	var all []cand
	for y := 0; y+glyphSize <= size; y++ {
		for x := 0; x+glyphSize <= size; x++ {
			for k, g := range glyphs {
				var s float32
				for gy, row := range g {
					for gx := range glyphSize {
						v := fg[(y+gy)*size+x+gx]
						if row[gx] == '#' {
							s += v
						} else {
							s -= v * 13 / 36
						}
					}
				}
				all = append(all, cand{s, SyntheticObject{Shape: k, X: x, Y: y}})
			}
		}
	}
	for _, cd := range all {
		if cd.score > best[0].score {
			best[0] = cd
		}
	}
	for _, cd := range all {
		if max(abs(cd.obj.X-best[0].obj.X), abs(cd.obj.Y-best[0].obj.Y)) >= glyphSize && cd.score > best[1].score {
			best[1] = cd
		}
	}
	var out [2]SyntheticObject
	for n, b := range best {
		o := b.obj
		var mean [3]float32
		for gy, row := range glyphs[o.Shape] {
			for gx := range glyphSize {
				if row[gx] == '#' {
					for ch := range c {
						mean[ch] += img[ch*plane+(o.Y+gy)*size+o.X+gx] / 13
					}
				}
			}
		}
		d := float32(1e9)
		for k, p := range pal {
			var e float32
			for ch := range c {
				e += (p[ch] - mean[ch]) * (p[ch] - mean[ch])
			}
			if e < d {
				d, o.Colour = e, k
			}
		}
		out[n] = o
	}
	return out
}

// TestSyntheticGlobalOracle checks that the label is decided by the image:
// a template matcher that looks at the whole image and compares the two
// shapes it finds recovers the label.
func TestSyntheticGlobalOracle(t *testing.T) {
	for _, tc := range []struct {
		task SyntheticTask
		gray bool
	}{{ShapeAndColour, false}, {ShapeAndColour, true}, {SameShape, false}, {SameColour, true}} {
		gray := tc.gray
		s := newSynth(t, func(c *SyntheticConfig) { c.N, c.Gray, c.Task = 300, gray, tc.task })
		c, size, _ := s.Shape()
		pal := rgbPalette
		if gray {
			pal = grayPalette
		}
		correct := 0
		for i := range s.Len() {
			img, label := Get(s, i)
			o := decodeScene(img, c, size, pal)
			shapes, colours := 0, 0
			if o[0].Shape != o[1].Shape {
				shapes = 1
			}
			if o[0].Colour != o[1].Colour {
				colours = 1
			}
			pred := map[SyntheticTask]int{ShapeAndColour: 2*shapes + colours, SameShape: shapes, SameColour: colours}[tc.task]
			if pred == label {
				correct++
			}
		}
		acc := float64(correct) / float64(s.Len())
		t.Logf("%v, gray=%v: global template-matching oracle accuracy %.3f", tc.task, gray, acc)
		assert.GreaterOrEqual(t, acc, 0.97)
	}
}

// TestSyntheticLocalChance checks that what lies in one part of the image
// does not predict the label: neither the exact shape and colour of one of
// the two objects, nor a linear classifier on the pixels of a window of
// S/2-6 pixels a side (10 for S = 32, 26 for S = 64).
func TestSyntheticLocalChance(t *testing.T) {
	for _, tc := range []struct {
		task SyntheticTask
		size int
	}{{ShapeAndColour, 32}, {SameShape, 32}, {SameShape, 64}} {
		t.Run(fmt.Sprintf("%v/%d", tc.task, tc.size), func(t *testing.T) {
			testSyntheticLocalChance(t, tc.task, tc.size)
		})
	}
}

func testSyntheticLocalChance(t *testing.T, task SyntheticTask, size int) {
	s := newSynth(t, func(c *SyntheticConfig) { c.N, c.Task, c.Size = 20000, task, size })
	chance := 1 / float64(len(s.Classes()))
	// Bayes classifier on (shape, colour, quadrant) of object A or B alone,
	// fitted on the first half and scored on the second.
	for obj := range 2 {
		var counts [4][4][4][4]int // shape, colour, quadrant, label
		key := func(o SyntheticObject) (int, int, int) {
			return o.Shape, o.Colour, 2*(o.Y*2/size) + o.X*2/size
		}
		for i := range s.Len() / 2 {
			sc := s.Scene(i)
			a, b, q := key(sc.Objects[obj])
			counts[a][b][q][sc.Label]++
		}
		correct, n := 0, 0
		for i := s.Len() / 2; i < s.Len(); i++ {
			sc := s.Scene(i)
			a, b, q := key(sc.Objects[obj])
			pred := 0
			for l := range len(s.Classes()) {
				if counts[a][b][q][l] > counts[a][b][q][pred] {
					pred = l
				}
			}
			if pred == sc.Label {
				correct++
			}
			n++
		}
		acc := float64(correct) / float64(n)
		t.Logf("object %d alone (shape, colour, quadrant): accuracy %.3f (chance %.2f)", obj, acc, chance)
		assert.InDelta(t, chance, acc, 0.025)
	}
	if testing.Short() {
		return
	}
	// Multinomial logistic regression on the pixels of the largest window
	// that cannot hold both shapes, in the corner and in the middle, on
	// 2000 training and 2000 test images.
	w := size/2 - 6
	for _, at := range []int{0, (size - w) / 2} {
		acc := windowLogReg(s, at, at, w, 2000, 2000)
		t.Logf("logistic regression on the %d×%d window at (%d, %d): test accuracy %.3f (chance %.2f)", w, w, at, at, acc, chance)
		assert.Less(t, acc, chance+0.04)
	}
}

// windowLogReg trains a softmax regression on the pixels of the w×w window
// at (x0, y0) of the first nTrain images of s by full-batch gradient
// descent and returns its accuracy on the next nTest images.
func windowLogReg(s *Synthetic, x0, y0, w, nTrain, nTest int) float64 {
	c, size, _ := s.Shape()
	k := len(s.Classes())
	d := c*w*w + 1
	feats := func(i int) ([]float64, int) {
		img, l := Get(s, i)
		f := make([]float64, 0, d)
		for ch := range c {
			for y := y0; y < y0+w; y++ {
				for x := x0; x < x0+w; x++ {
					f = append(f, float64(img[ch*size*size+y*size+x]))
				}
			}
		}
		return append(f, 1), l
	}
	X := make([][]float64, nTrain+nTest)
	Y := make([]int, nTrain+nTest)
	for i := range X {
		X[i], Y[i] = feats(i)
	}
	W := make([]float64, k*d)
	grad := make([]float64, k*d)
	p := make([]float64, k)
	softmax := func(x []float64) {
		m := math.Inf(-1)
		for j := range k {
			var z float64
			for f := range d {
				z += W[j*d+f] * x[f]
			}
			p[j] = z
			m = max(m, z)
		}
		var sum float64
		for j := range k {
			p[j] = math.Exp(p[j] - m)
			sum += p[j]
		}
		for j := range k {
			p[j] /= sum
		}
	}
	for range 80 {
		clear(grad)
		for i := range nTrain {
			softmax(X[i])
			for j := range k {
				g := p[j]
				if j == Y[i] {
					g--
				}
				for f := range d {
					grad[j*d+f] += g * X[i][f]
				}
			}
		}
		for j := range W {
			W[j] -= 0.5 * grad[j] / float64(nTrain)
		}
	}
	correct := 0
	for i := nTrain; i < nTrain+nTest; i++ {
		softmax(X[i])
		pred := 0
		for j := range k {
			if p[j] > p[pred] {
				pred = j
			}
		}
		if pred == Y[i] {
			correct++
		}
	}
	return float64(correct) / float64(nTest)
}

// TestSyntheticSamplesPNG checks docs/synthetic-samples.png against the
// generator; run with -update-samples to rewrite it.
func TestSyntheticSamplesPNG(t *testing.T) {
	s := newSynth(t, nil)
	img := SampleGrid(s, 8, 2)
	b := img.Bounds()
	_, size, _ := s.Shape()
	assert.Equal(t, 8*(size*2+1)+1, b.Dx())
	assert.Equal(t, len(s.Classes())*(size*2+1)+1, b.Dy())
	path := filepath.Join("..", "docs", "synthetic-samples.png")
	if *updateSamples {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, WritePNG(path, img))
	}
	f, err := os.Open(path)
	require.NoError(t, err, "run go test ./data -run SamplesPNG -update-samples to create it")
	defer f.Close()
	got, err := png.Decode(f)
	require.NoError(t, err)
	require.Equal(t, b, got.Bounds())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r1, g1, b1, _ := img.At(x, y).RGBA()
			r2, g2, b2, _ := got.At(x, y).RGBA()
			require.Equal(t, [3]uint32{r1, g1, b1}, [3]uint32{r2, g2, b2}, "pixel (%d, %d): docs/synthetic-samples.png is out of date; rerun with -update-samples", x, y)
		}
	}
}

func TestSampleGridGray(t *testing.T) {
	m, err := NewMemoryBytes(1, 1, 1, []byte{255, 0, 128}, []int{1, 0, 1}, []string{"a", "b"})
	require.NoError(t, err)
	img := SampleGrid(m, 2, 2)
	assert.Equal(t, 2*3+1, img.Bounds().Dx())
	assert.Equal(t, 2*3+1, img.Bounds().Dy())
	assert.Equal(t, uint8(0), img.RGBAAt(1, 1).R, "class 0, first example")
	assert.Equal(t, uint8(255), img.RGBAAt(2, 5).G, "class 1, first example")
	assert.Equal(t, uint8(128), img.RGBAAt(5, 4).B, "class 1, second example")
	assert.Equal(t, uint8(128), img.RGBAAt(0, 0).R, "gap")
	assert.Equal(t, uint8(128), img.RGBAAt(4, 1).R, "class 0 has one example; the rest is gap")
}

func BenchmarkSyntheticExample(b *testing.B) {
	s := newSynth(b, nil)
	buf := make([]float32, ExampleSize(s))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s.Example(i%s.Len(), buf)
	}
}

func BenchmarkLoaderSynthetic(b *testing.B) {
	s := newSynth(b, nil)
	mean, std := ChannelStats(s, 500)
	l, err := NewLoader(s, LoaderConfig{BatchSize: 128, Shuffle: true, Augment: Augment{Pad: 4, FlipH: true}, Mean: mean, Std: std, Workers: 2})
	require.NoError(b, err)
	n := 0
	for b.Loop() {
		it := l.Epoch(b.Context(), n)
		for range 10 {
			it.Next()
		}
		it.Close()
		n++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(10*n), "ns/batch")
}

// With Shapes = k both objects take the first k shapes, each uniformly, and
// the label still says only whether they are equal.
func TestSyntheticShapes(t *testing.T) {
	for _, k := range []int{2, 3} {
		s := newSynth(t, func(c *SyntheticConfig) { c.N, c.Shapes = 4000, k })
		counts := make([][2]int, 4)
		for i := range s.Len() {
			sc := s.Scene(i)
			for j, o := range sc.Objects {
				counts[o.Shape][j]++
			}
			assert.Equal(t, sc.Label == 0, sc.Objects[0].Shape == sc.Objects[1].Shape)
		}
		for sh, c := range counts {
			for j := range 2 {
				if sh >= k {
					assert.Zero(t, c[j], "shape %d with k = %d", sh, k)
				} else {
					assert.InDelta(t, 4000/k, c[j], float64(4000/k/8), "shape %d of object %d with k = %d", sh, j, k)
				}
			}
		}
	}
	_, err := NewSynthetic(SyntheticConfig{N: 1, Size: 32, Shapes: 5})
	assert.ErrorContains(t, err, "Shapes = 5; want 2 to 4 (or 0 for 4)")
}
