package data

import (
	"fmt"
	"math/rand/v2"
)

// Augment describes the random augmentation a [Loader] applies to training
// images, before normalization. The zero value applies none.
type Augment struct {
	// Pad enables random cropping with zero padding when positive: the
	// image is padded with Pad zeros on every side and an H×W window is
	// cut out of the padded image at an offset (dy, dx) drawn uniformly
	// from 0..2·Pad each, as torchvision's RandomCrop(size, padding=Pad).
	Pad int
	// FlipH flips the image horizontally (left-right) with probability 1/2.
	FlipH bool
}

// Enabled reports whether a applies any augmentation.
func (a Augment) Enabled() bool { return a.Pad > 0 || a.FlipH }

// Apply writes src, an image of c×h×w values, augmented into dst, of the
// same size and not overlapping src. It draws from rng, in this order, dy
// and dx as IntN(2·Pad+1) when Pad > 0, then a flip as IntN(2) == 1 when
// FlipH, so the outcome depends only on the state of rng.
func (a Augment) Apply(dst, src []float32, c, h, w int, rng *rand.Rand) {
	if len(src) != c*h*w || len(dst) != len(src) {
		panic(fmt.Sprintf("data: Augment.Apply: source of %d and destination of %d values for %d×%d×%d images", len(src), len(dst), c, h, w))
	}
	if a.Pad > 0 {
		dy, dx := rng.IntN(2*a.Pad+1), rng.IntN(2*a.Pad+1)
		CropPad(dst, src, c, h, w, a.Pad, dy, dx)
	} else {
		copy(dst, src)
	}
	if a.FlipH && rng.IntN(2) == 1 {
		FlipHorizontal(dst, c, h, w)
	}
}

// CropPad writes into dst the h×w window at offset (dy, dx) of src, an
// image of c×h×w values, padded with pad zeros on every side:
// dst[ch][y][x] = src[ch][y+dy-pad][x+dx-pad], or 0 where that lies
// outside src. dst and src must not overlap.
func CropPad(dst, src []float32, c, h, w, pad, dy, dx int) {
	if len(src) != c*h*w || len(dst) != len(src) {
		panic(fmt.Sprintf("data: CropPad: source of %d and destination of %d values for %d×%d×%d images", len(src), len(dst), c, h, w))
	}
	oy, ox := dy-pad, dx-pad // source coordinate of dst's (0, 0)
	for ch := range c {
		for y := range h {
			out := dst[(ch*h+y)*w : (ch*h+y+1)*w]
			sy := y + oy
			if sy < 0 || sy >= h {
				clear(out)
				continue
			}
			in := src[(ch*h+sy)*w : (ch*h+sy+1)*w]
			for x := range out {
				if sx := x + ox; sx >= 0 && sx < w {
					out[x] = in[sx]
				} else {
					out[x] = 0
				}
			}
		}
	}
}

// FlipHorizontal mirrors img, an image of c×h×w values, left to right in
// place.
func FlipHorizontal(img []float32, c, h, w int) {
	if len(img) != c*h*w {
		panic(fmt.Sprintf("data: FlipHorizontal: %d values for a %d×%d×%d image", len(img), c, h, w))
	}
	for r := range c * h {
		row := img[r*w : (r+1)*w]
		for i, j := 0, w-1; i < j; i, j = i+1, j-1 {
			row[i], row[j] = row[j], row[i]
		}
	}
}
