package data

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
)

// SampleGrid returns a picture of examples of ds: row k shows the first
// perClass examples of class k (fewer if ds has fewer), each image enlarged
// scale times by pixel repetition, with a 1-pixel grey gap between images.
// Pixel values are clamped to [0, 1]; one-channel images are shown in grey.
func SampleGrid(ds Dataset, perClass, scale int) *image.RGBA {
	c, h, w := ds.Shape()
	k := len(ds.Classes())
	perClass, scale = max(perClass, 1), max(scale, 1)
	cw, ch := w*scale+1, h*scale+1
	img := image.NewRGBA(image.Rect(0, 0, perClass*cw+1, k*ch+1))
	gap := color.RGBA{128, 128, 128, 255}
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = gap.R, gap.G, gap.B, gap.A
	}
	count := make([]int, k)
	filled := 0
	buf := make([]float32, c*h*w)
	plane := h * w
	for i := 0; i < ds.Len() && filled < k*perClass; i++ {
		l := ds.Example(i, buf)
		if count[l] == perClass {
			continue
		}
		x0, y0 := 1+count[l]*cw, 1+l*ch
		count[l]++
		filled++
		for y := range h * scale {
			for x := range w * scale {
				o := (y/scale)*w + x/scale
				var r, g, b float32
				if c >= 3 {
					r, g, b = buf[o], buf[plane+o], buf[2*plane+o]
				} else {
					r, g, b = buf[o], buf[o], buf[o]
				}
				img.SetRGBA(x0+x, y0+y, color.RGBA{toByte(r), toByte(g), toByte(b), 255})
			}
		}
	}
	return img
}

// WritePNG writes img to the file at path as PNG.
func WritePNG(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("data: %w", err)
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return fmt.Errorf("data: %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("data: %w", err)
	}
	return nil
}
