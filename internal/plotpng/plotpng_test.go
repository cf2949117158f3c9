package plotpng

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

func TestWrite(t *testing.T) {
	p := plot.New()
	require.NoError(t, plotutil.AddLinePoints(p, "line", plotter.XYs{{X: 0, Y: 1}, {X: 1, Y: 2}}))
	path := filepath.Join(t.TempDir(), "a.png")
	require.NoError(t, Write(path, p, 3*vg.Inch, 2*vg.Inch))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	img, err := png.Decode(bytes.NewReader(b))
	require.NoError(t, err)
	assert.Equal(t, 3*96, img.Bounds().Dx()) // gonum renders PNGs at 96 dpi
	assert.Equal(t, 2*96, img.Bounds().Dy())
}

func TestWriteError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing", "a.png")
	err := Write(path, plot.New(), vg.Inch, vg.Inch)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "missing")
	_, statErr := os.Stat(path)
	assert.True(t, os.IsNotExist(statErr))
}
