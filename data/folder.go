package data

import (
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // registers the JPEG decoder for image.Decode
	_ "image/png"  // registers the PNG decoder for image.Decode
	"math"
	"os"
	"path/filepath"
	"strings"
)

// FolderConfig say how [LoadFolder] turns image files into examples.
type FolderConfig struct {
	// Height and Width are the size every image is resized to. Both must
	// be positive.
	Height, Width int
	// Gray makes one-channel images of luma, 0.299 R + 0.587 G + 0.114 B,
	// instead of three-channel RGB images.
	Gray bool
}

// LoadFolder reads a dataset laid out as one sub-directory of root per
// class, each holding that class's images as JPEG or PNG files (names
// ending in .jpg, .jpeg or .png, in any case). Classes are the
// sub-directories' names in sorted order; examples are ordered by class,
// then by file name. Hidden entries (names starting with '.'), other files
// and nested directories are skipped.
//
// Every image is decoded, composited onto black where it is transparent,
// and resized to opt.Height×opt.Width by the package's own resampler
// (stdlib image decoders, no other dependency): separable area averaging
// along an axis that shrinks and bilinear interpolation with half-pixel
// centres along one that grows, which is exact for integer factors. The
// result is held in memory as bytes.
//
// Errors name the file at fault; a class directory without images is an
// error too.
func LoadFolder(root string, opt FolderConfig) (*Memory, error) {
	if opt.Height <= 0 || opt.Width <= 0 {
		return nil, fmt.Errorf("data: LoadFolder %s: image size %d×%d is not positive", root, opt.Height, opt.Width)
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("data: LoadFolder: %w", err)
	}
	var classes []string
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			classes = append(classes, e.Name())
		}
	}
	if len(classes) == 0 {
		return nil, fmt.Errorf("data: LoadFolder: %s has no class sub-directories", root)
	}
	c := 3
	if opt.Gray {
		c = 1
	}
	size := c * opt.Height * opt.Width
	var pix []byte
	var labels []int
	buf := make([]float32, size)
	for label, class := range classes {
		dir := filepath.Join(root, class)
		files, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("data: LoadFolder: %w", err)
		}
		n := 0
		for _, f := range files {
			if f.IsDir() || strings.HasPrefix(f.Name(), ".") || !isImageName(f.Name()) {
				continue
			}
			path := filepath.Join(dir, f.Name())
			img, err := decodeImageFile(path)
			if err != nil {
				return nil, err
			}
			imageToCHW(buf, img, c, opt.Height, opt.Width)
			for _, v := range buf {
				pix = append(pix, toByte(v))
			}
			labels = append(labels, label)
			n++
		}
		if n == 0 {
			return nil, fmt.Errorf("data: LoadFolder: class directory %s holds no .jpg, .jpeg or .png files", dir)
		}
	}
	return NewMemoryBytes(c, opt.Height, opt.Width, pix, labels, classes)
}

func isImageName(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".png" || ext == ".jpg" || ext == ".jpeg"
}

func decodeImageFile(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, formatErr(path, -1, err, "cannot decode image")
	}
	if b := img.Bounds(); b.Empty() {
		return nil, formatErr(path, -1, nil, "empty image of %d×%d pixels", b.Dx(), b.Dy())
	}
	return img, nil
}

// toByte maps a value in [0, 1] to the nearest byte, clamping.
func toByte(v float32) byte {
	return byte(math.Round(float64(min(max(v, 0), 1)) * 255))
}

// imageToCHW writes img, resized to h×w, into dst as c (1 or 3) planes of
// values in [0, 1].
func imageToCHW(dst []float32, img image.Image, c, h, w int) {
	b := img.Bounds()
	sh, sw := b.Dy(), b.Dx()
	src := make([]float32, c*sh*sw)
	plane := sh * sw
	for y := range sh {
		for x := range sw {
			r, g, bl := rgbAt(img, b.Min.X+x, b.Min.Y+y)
			o := y*sw + x
			if c == 1 {
				src[o] = 0.299*r + 0.587*g + 0.114*bl
			} else {
				src[o], src[plane+o], src[2*plane+o] = r, g, bl
			}
		}
	}
	resizeCHW(dst, src, c, sh, sw, h, w)
}

// rgbAt returns the colour of img at (x, y) as premultiplied RGB values in
// [0, 1], that is composited onto black, avoiding the allocation of At for
// the common image types.
func rgbAt(img image.Image, x, y int) (r, g, b float32) {
	switch m := img.(type) {
	case *image.Gray:
		v := float32(m.GrayAt(x, y).Y) / 255
		return v, v, v
	case *image.YCbCr:
		p := m.YCbCrAt(x, y)
		R, G, B := color.YCbCrToRGB(p.Y, p.Cb, p.Cr)
		return float32(R) / 255, float32(G) / 255, float32(B) / 255
	case *image.RGBA:
		p := m.RGBAAt(x, y)
		return float32(p.R) / 255, float32(p.G) / 255, float32(p.B) / 255
	case *image.NRGBA:
		p := m.NRGBAAt(x, y)
		a := float32(p.A) / (255 * 255)
		return float32(p.R) * a, float32(p.G) * a, float32(p.B) * a
	}
	R, G, B, _ := img.At(x, y).RGBA()
	return float32(R) / 0xffff, float32(G) / 0xffff, float32(B) / 0xffff
}

// tap is one source index and its weight in a resampled value.
type tap struct {
	i int
	w float32
}

// resizeTaps returns, for each of the out output positions along an axis
// of in source positions, the source taps: area averaging (the exact
// coverage of the output pixel's footprint) when shrinking, bilinear
// interpolation with half-pixel centres (clamped at the edges) when
// growing or keeping the size.
func resizeTaps(in, out int) [][]tap {
	taps := make([][]tap, out)
	scale := float64(in) / float64(out)
	for j := range out {
		if out < in {
			lo, hi := float64(j)*scale, float64(j+1)*scale
			for i := int(lo); i < in && float64(i) < hi; i++ {
				cover := math.Min(hi, float64(i+1)) - math.Max(lo, float64(i))
				if cover > 1e-12 {
					taps[j] = append(taps[j], tap{i, float32(cover / scale)})
				}
			}
			continue
		}
		x := (float64(j)+0.5)*scale - 0.5
		x = math.Max(0, math.Min(x, float64(in-1)))
		i0 := int(x)
		f := x - float64(i0)
		taps[j] = append(taps[j], tap{i0, float32(1 - f)})
		if f > 0 && i0+1 < in {
			taps[j] = append(taps[j], tap{i0 + 1, float32(f)})
		}
	}
	return taps
}

// resizeCHW resamples c planes of sh×sw values in src into c planes of
// h×w values in dst, rows first, then columns.
func resizeCHW(dst, src []float32, c, sh, sw, h, w int) {
	if sh == h && sw == w {
		copy(dst, src)
		return
	}
	tx, ty := resizeTaps(sw, w), resizeTaps(sh, h)
	tmp := make([]float32, sh*w)
	for ch := range c {
		s := src[ch*sh*sw : (ch+1)*sh*sw]
		for y := range sh {
			row := s[y*sw : (y+1)*sw]
			for x, ts := range tx {
				var v float32
				for _, t := range ts {
					v += t.w * row[t.i]
				}
				tmp[y*w+x] = v
			}
		}
		d := dst[ch*h*w : (ch+1)*h*w]
		for y, ts := range ty {
			out := d[y*w : (y+1)*w]
			clear(out)
			for _, t := range ts {
				in := tmp[t.i*w : (t.i+1)*w]
				for x := range out {
					out[x] += t.w * in[x]
				}
			}
		}
	}
}
