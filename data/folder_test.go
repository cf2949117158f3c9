package data

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func pngBytes(t testing.TB, img image.Image) []byte {
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, img))
	return b.Bytes()
}

// quadImage returns a w×h NRGBA image whose left half is colour a and right
// half colour b.
func quadImage(w, h int, a, b color.NRGBA) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			if x < w/2 {
				img.SetNRGBA(x, y, a)
			} else {
				img.SetNRGBA(x, y, b)
			}
		}
	}
	return img
}

func TestLoadFolder(t *testing.T) {
	root := t.TempDir()
	red, blue := color.NRGBA{255, 0, 0, 255}, color.NRGBA{0, 0, 255, 255}
	// class "b": a 4×2 red|blue PNG; class "a": a 2×2 PNG, half transparent
	// white, and a grey JPEG with an upper-case extension.
	writeFile(t, root, "b/1.png", pngBytes(t, quadImage(4, 2, red, blue)))
	writeFile(t, root, "a/x.png", pngBytes(t, quadImage(2, 2, color.NRGBA{255, 255, 255, 255}, color.NRGBA{255, 255, 255, 0})))
	var jb bytes.Buffer
	gray := image.NewGray(image.Rect(0, 0, 8, 8))
	for i := range gray.Pix {
		gray.Pix[i] = 128
	}
	require.NoError(t, jpeg.Encode(&jb, gray, nil))
	writeFile(t, root, "a/y.JPG", jb.Bytes())
	writeFile(t, root, "a/notes.txt", []byte("not an image"))
	writeFile(t, root, "a/.hidden.png", []byte("skipped"))
	writeFile(t, root, ".git/x.png", []byte("skipped"))
	writeFile(t, root, "README", []byte("skipped"))

	m, err := LoadFolder(root, FolderConfig{Height: 1, Width: 2})
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b"}, m.Classes())
	require.Equal(t, 3, m.Len())
	c, h, w := m.Shape()
	assert.Equal(t, [3]int{3, 1, 2}, [3]int{c, h, w})
	tests := []struct {
		i     int
		label int
		want  []float32 // R plane, G plane, B plane
		delta float64
	}{
		{0, 0, []float32{1, 0, 1, 0, 1, 0}, 1e-6},                         // white | transparent onto black
		{1, 0, []float32{0.502, 0.502, 0.502, 0.502, 0.502, 0.502}, 0.02}, // JPEG grey
		{2, 1, []float32{1, 0, 0, 0, 0, 1}, 1e-6},                         // red | blue, 2×2 areas averaged
	}
	for _, tt := range tests {
		img, l := Get(m, tt.i)
		assert.Equal(t, tt.label, l, "example %d", tt.i)
		assert.InDeltaSlice(t, tt.want, img, tt.delta, "example %d", tt.i)
	}

	g, err := LoadFolder(root, FolderConfig{Height: 2, Width: 1, Gray: true})
	require.NoError(t, err)
	img, _ := Get(g, 2)
	// red | blue averaged across the row: luma (0.299 + 0.114) / 2.
	assert.InDeltaSlice(t, []float32{0.2065, 0.2065}, img, 0.003)
}

func TestLoadFolderErrors(t *testing.T) {
	ok := pngBytes(t, quadImage(2, 2, color.NRGBA{1, 2, 3, 255}, color.NRGBA{1, 2, 3, 255}))
	tests := []struct {
		name  string
		files map[string][]byte
		opt   FolderConfig
		want  string // with ROOT for the root directory
	}{
		{"bad size", map[string][]byte{"a/x.png": ok}, FolderConfig{Height: 0, Width: 3}, "data: LoadFolder ROOT: image size 0×3 is not positive"},
		{"no classes", map[string][]byte{"x.png": ok}, FolderConfig{Height: 2, Width: 2}, "data: LoadFolder: ROOT has no class sub-directories"},
		{"empty class", map[string][]byte{"a/x.png": ok, "b/x.txt": ok}, FolderConfig{Height: 2, Width: 2}, "data: LoadFolder: class directory ROOT/b holds no .jpg, .jpeg or .png files"},
		{"corrupt", map[string][]byte{"a/x.png": ok, "b/bad.png": []byte("not a png")}, FolderConfig{Height: 2, Width: 2}, "data: ROOT/b/bad.png: cannot decode image: image: unknown format"},
		{"truncated", map[string][]byte{"a/x.png": ok[:len(ok)-20]}, FolderConfig{Height: 2, Width: 2}, "data: ROOT/a/x.png: cannot decode image: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			for name, b := range tt.files {
				writeFile(t, root, name, b)
			}
			_, err := LoadFolder(root, tt.opt)
			require.Error(t, err)
			want := bytes.ReplaceAll([]byte(tt.want), []byte("ROOT"), []byte(root))
			assert.Contains(t, err.Error(), string(want))
		})
	}
	_, err := LoadFolder(filepath.Join(t.TempDir(), "missing"), FolderConfig{Height: 1, Width: 1})
	assert.ErrorContains(t, err, "no such file")
}

func TestResizeTaps(t *testing.T) {
	tests := []struct {
		in, out int
		want    [][]tap
	}{
		{4, 2, [][]tap{{{0, 0.5}, {1, 0.5}}, {{2, 0.5}, {3, 0.5}}}},
		{3, 2, [][]tap{{{0, 2.0 / 3}, {1, 1.0 / 3}}, {{1, 1.0 / 3}, {2, 2.0 / 3}}}},
		{2, 4, [][]tap{{{0, 1}}, {{0, 0.75}, {1, 0.25}}, {{0, 0.25}, {1, 0.75}}, {{1, 1}}}},
		{3, 3, [][]tap{{{0, 1}}, {{1, 1}}, {{2, 1}}}},
		{1, 2, [][]tap{{{0, 1}}, {{0, 1}}}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d to %d", tt.in, tt.out), func(t *testing.T) {
			got := resizeTaps(tt.in, tt.out)
			require.Len(t, got, len(tt.want))
			for j := range got {
				require.Len(t, got[j], len(tt.want[j]), "output %d", j)
				for k := range got[j] {
					assert.Equal(t, tt.want[j][k].i, got[j][k].i)
					assert.InDelta(t, tt.want[j][k].w, got[j][k].w, 1e-6)
				}
			}
		})
	}
	for in := 1; in <= 40; in += 3 {
		for out := 1; out <= 40; out += 4 {
			for j, ts := range resizeTaps(in, out) {
				var s float32
				for _, tp := range ts {
					s += tp.w
					assert.True(t, tp.i >= 0 && tp.i < in)
				}
				assert.InDelta(t, 1, s, 1e-5, "%d to %d, output %d: weights sum to 1", in, out, j)
			}
		}
	}
}

func TestResizeCHW(t *testing.T) {
	// Two channels of 2×4, shrunk to 1×2: area means of 2×2 blocks.
	src := []float32{
		1, 2, 3, 4,
		5, 6, 7, 8,
		0, 0, 4, 4,
		0, 0, 4, 4,
	}
	dst := make([]float32, 4)
	resizeCHW(dst, src, 2, 2, 4, 1, 2)
	assert.InDeltaSlice(t, []float32{3.5, 5.5, 0, 4}, dst, 1e-6)
	// One channel of 1×2 grown to 1×4: bilinear with half-pixel centres.
	dst = make([]float32, 4)
	resizeCHW(dst, []float32{0, 8}, 1, 1, 2, 1, 4)
	assert.InDeltaSlice(t, []float32{0, 2, 6, 8}, dst, 1e-6)
}
