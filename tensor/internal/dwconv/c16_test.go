package dwconv

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// c16Conv runs the correlation of FlatPlan (h×w planes, kh×kw kernel,
// padding pt, pl, weights k in (p, q) order or flipped) on 16 planes src
// (plane floats apart) with PackC16, TapsC16 and UnpackC16, as the tensor
// package does, into dst (planes hw apart).
func c16Conv(dst, src, k []float32, plane, h, w, kh, kw, pt, pl int, flip bool) {
	kk := kh * kw
	wp := w + kw - 1
	buf := make([]float32, (h+kh-1)*wp*16)
	PackC16(buf[(pt*wp+pl)*16:], src, plane, h, w, w, wp*16)
	wv := make([]float32, 16*kk)
	for t := range kk {
		s := t
		if flip {
			s = kk - 1 - t
		}
		for l := range 16 {
			wv[16*t+l] = k[l*kk+s]
		}
	}
	offs := make([]int32, kk)
	for p := range kh {
		for q := range kw {
			offs[p*kw+q] = int32((p*wp + q) * 16)
		}
	}
	out := make([]float32, (h*w+15)/16*256)
	TapsC16(out, buf, wv, offs, w, h, wp*16, w*16)
	UnpackC16(dst, out, h*w, h*w)
}

// TestTapsC16MatchesFlat compares PackC16, TapsC16 and UnpackC16 with
// FlatPlan.Run on the same planes: bit for bit with the assembly, within
// rounding of the pure-Go twins.
func TestTapsC16MatchesFlat(t *testing.T) {
	if !HasTapsC16() {
		t.Skipf("no TapsC16 with kernel variant %s", Kernel())
	}
	rng := rand.New(rand.NewPCG(41, 42))
	for _, c := range []struct{ h, w, k int }{{7, 7, 3}, {7, 7, 5}, {7, 7, 7}, {14, 14, 7}, {14, 14, 5}, {5, 9, 3}, {9, 17, 5}, {3, 2, 3}, {28, 28, 3}, {56, 56, 5}, {8, 8, 8}, {6, 11, 4}} {
		for _, flip := range []bool{false, true} {
			hw, kk := c.h*c.w, c.k*c.k
			plane := hw + rng.IntN(3)
			src := randSlice(rng, 16*plane)
			k := randSlice(rng, 16*kk)
			pt, pl := c.k/2, c.k/2
			if flip {
				pt, pl = c.k-1-pt, c.k-1-pl
			}
			got := make([]float32, 16*hw)
			c16Conv(got, src, k, plane, c.h, c.w, c.k, c.k, pt, pl, flip)
			f := NewFlatPlan(c.h, c.w, c.k, c.k, pt, pl, flip)
			want := make([]float32, 16*hw)
			for l := range 16 {
				f.Run(want[l*hw:], src[l*plane:l*plane+hw], k[l*kk:], 1)
			}
			sameBits(t, want, got, fmt.Sprintf("%d×%d planes, %d×%d kernel, flip %v", c.h, c.w, c.k, c.k, flip))
			spec := make([]float32, 16*hw)
			for l := range 16 {
				planeFlatGeneric(f, spec[l*hw:], src[l*plane:l*plane+hw], k[l*kk:], 1)
			}
			closeTo(t, spec, got, kk, fmt.Sprintf("twin: %d×%d planes, %d×%d kernel, flip %v", c.h, c.w, c.k, c.k, flip))
		}
	}
}

// TestTapsC16MatchesGeneric compares TapsC16 and UnpackC16 with their
// pure-Go twins on random pixels, block widths 1 to 19 and 1 to 5 rows.
func TestTapsC16MatchesGeneric(t *testing.T) {
	if !HasTapsC16() {
		t.Skipf("no TapsC16 with kernel variant %s", Kernel())
	}
	rng := rand.New(rand.NewPCG(43, 44))
	for wo := 1; wo <= 19; wo++ {
		for ho := 1; ho <= 5; ho++ {
			nt := 1 + rng.IntN(C16MaxTaps)
			offs := make([]int32, nt)
			for t := range offs {
				offs[t] = int32(16 * rng.IntN(40))
			}
			xrow, yrow := 16*(wo+rng.IntN(3)), 16*(wo+rng.IntN(2))
			x := randSlice(rng, ho*xrow+16*40+16)
			w := randSlice(rng, 16*nt)
			got, want := make([]float32, ho*yrow+16), make([]float32, ho*yrow+16)
			TapsC16(got, x, w, offs, wo, ho, xrow, yrow)
			tapsC16Generic(want, x, w, offs, wo, ho, xrow, yrow)
			closeTo(t, want, got, nt, fmt.Sprintf("%d×%d pixels, %d taps", ho, wo, nt))
		}
	}
	for _, n := range []int{1, 5, 15, 16, 17, 31, 32, 49, 196} {
		plane := n + rng.IntN(3)
		src := randSlice(rng, (n+15)/16*256)
		got, want := make([]float32, 16*plane), make([]float32, 16*plane)
		UnpackC16(got, src, plane, n)
		unpackC16Generic(want, src, plane, n)
		sameBits(t, want, got, fmt.Sprintf("UnpackC16 of %d pixels", n))
	}
}

// BenchmarkC16 times the steps of a correlation on pixels of 16 channels
// (PackC16, TapsC16, UnpackC16) against FlatPlan.Run on the same 48
// planes (GFLOP/s counts 2·kh·kw per output).
func BenchmarkC16(b *testing.B) {
	if !HasTapsC16() {
		b.Skip("no TapsC16")
	}
	for _, c := range []struct{ hw, k int }{{7, 5}, {14, 7}, {14, 5}, {56, 5}, {7, 3}} {
		rng := rand.New(rand.NewPCG(1, 2))
		h, w, kk := c.hw, c.hw, c.k*c.k
		hw := h * w
		const np = 48
		src, k, dst := randSlice(rng, np*hw), randSlice(rng, np*kk), make([]float32, np*hw)
		wp := w + c.k - 1
		buf := make([]float32, (h+c.k-1)*wp*16)
		out := make([]float32, (hw+15)/16*256)
		wv := randSlice(rng, 16*kk)
		offs := make([]int32, kk)
		for p := range c.k {
			for q := range c.k {
				offs[p*c.k+q] = int32((p*wp + q) * 16)
			}
		}
		pad := c.k / 2
		gf := func(b *testing.B) {
			b.ReportMetric(2*float64(np*hw*kk)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		}
		name := fmt.Sprintf("%dx%d_k%d", h, w, c.k)
		b.Run(name+"/flat", func(b *testing.B) {
			f := NewFlatPlan(h, w, c.k, c.k, pad, pad, false)
			for b.Loop() {
				f.Run(dst, src, k, np)
			}
			gf(b)
		})
		b.Run(name+"/c16", func(b *testing.B) {
			for b.Loop() {
				for g := 0; g < np; g += 16 {
					PackC16(buf[(pad*wp+pad)*16:], src[g*hw:], hw, h, w, w, wp*16)
					TapsC16(out, buf, wv, offs, w, h, wp*16, w*16)
					UnpackC16(dst[g*hw:], out, hw, hw)
				}
			}
			gf(b)
		})
		b.Run(name+"/taps", func(b *testing.B) {
			for b.Loop() {
				for g := 0; g < np; g += 16 {
					TapsC16(out, buf, wv, offs, w, h, wp*16, w*16)
				}
			}
			gf(b)
		})
		b.Run(name+"/pack", func(b *testing.B) {
			for b.Loop() {
				for g := 0; g < np; g += 16 {
					PackC16(buf[(pad*wp+pad)*16:], src[g*hw:], hw, h, w, w, wp*16)
				}
			}
			gf(b)
		})
		b.Run(name+"/unpack", func(b *testing.B) {
			for b.Loop() {
				for g := 0; g < np; g += 16 {
					UnpackC16(dst[g*hw:], out, hw, hw)
				}
			}
			gf(b)
		})
	}
}
