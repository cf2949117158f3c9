package dwconv

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// c16Conv runs the correlation of FlatPlan (h×w planes, kh×kw kernel,
// padding pt, pl, weights k in (p, q) order or flipped) on 16 planes src
// (plane floats apart) with PackC16 and TapsC16, as the tensor package
// does, into dst (planes h·w apart).
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
	TapsC16(dst, buf, wv, kh, kw, w, h, wp*16, h*w)
}

// TestTapsC16MatchesFlat compares PackC16 and TapsC16 with
// FlatPlan.Run on the same planes: bit for bit with the assembly, within
// rounding of the pure-Go twins.
func TestTapsC16MatchesFlat(t *testing.T) {
	if !HasTapsC16(3) {
		t.Skipf("no TapsC16 with kernel variant %s", Kernel())
	}
	rng := rand.New(rand.NewPCG(41, 42))
	for _, c := range []struct{ h, w, k int }{{7, 7, 3}, {7, 7, 5}, {7, 7, 7}, {14, 14, 7}, {14, 14, 5}, {5, 9, 3}, {9, 17, 5}, {3, 2, 3}, {28, 28, 3}, {56, 56, 5}, {8, 8, 7}, {6, 11, 5}, {15, 15, 3}, {1, 1, 3}} {
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

// TestTapsC16MatchesGeneric compares TapsC16 with its
// pure-Go twin on random pixels: 3-, 5- and 7-column kernels of 1 to 8
// rows, rows of 1 to 31 pixels, 1 to 5 rows.
func TestTapsC16MatchesGeneric(t *testing.T) {
	if !HasTapsC16(3) {
		t.Skipf("no TapsC16 with kernel variant %s", Kernel())
	}
	rng := rand.New(rand.NewPCG(43, 44))
	for _, kw := range []int{3, 5, 7} {
		for wo := 1; wo <= 31; wo++ {
			for ho := 1; ho <= 5; ho++ {
				kh := 1 + rng.IntN(8)
				xrow, plane := 16*(wo+kw-1+rng.IntN(3)), ho*wo+rng.IntN(3)
				x := randSlice(rng, (ho+kh-1)*xrow)
				w := randSlice(rng, 16*kh*kw)
				got, want := randSlice(rng, 16*plane), make([]float32, 16*plane)
				copy(want, got) // elements between planes untouched
				TapsC16(got, x, w, kh, kw, wo, ho, xrow, plane)
				tapsC16Generic(want, x, w, kh, kw, wo, ho, xrow, plane)
				closeTo(t, want, got, kh*kw, fmt.Sprintf("%d×%d pixels, %d×%d kernel", ho, wo, kh, kw))
			}
		}
	}
}

// BenchmarkC16 times the steps of a correlation on pixels of 16 channels
// (PackC16, TapsC16) against FlatPlan.Run on the same 48
// planes (GFLOP/s counts 2·kh·kw per output).
func BenchmarkC16(b *testing.B) {
	if !HasTapsC16(3) {
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
		wv := randSlice(rng, 16*kk)
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
					TapsC16(dst[g*hw:], buf, wv, c.k, c.k, w, h, wp*16, hw)
				}
			}
			gf(b)
		})
		b.Run(name+"/taps", func(b *testing.B) {
			for b.Loop() {
				for g := 0; g < np; g += 16 {
					TapsC16(dst[g*hw:], buf, wv, c.k, c.k, w, h, wp*16, hw)
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
	}
}

// TestC16SmallKernels checks that C16SmallKernels holds only with
// TapsC16, and logs it with the CPU's vendor.
func TestC16SmallKernels(t *testing.T) {
	if C16SmallKernels() && !HasTapsC16(3) {
		t.Fatalf("C16SmallKernels without TapsC16 (kernel variant %s)", Kernel())
	}
	t.Logf("C16SmallKernels %v with kernel variant %s", C16SmallKernels(), Kernel())
}
