package dwconv

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestFlatPlanMatchesTaps checks that FlatPlan.Run of every variant that
// has it (the pure-Go twin among them) gives bit for bit what Taps of the
// same variant gives on a zero-padded copy of each plane, for kernels 1 to
// 7 with every padding, planes narrower and wider than a chunk and every
// remainder of chunks and groups (of 4 chunks), one to seven planes in a
// call (every remainder of units of FlatPlanes), weights in order and
// flipped, and infinite inputs (whose products must not reach the padding
// nor, through a tap row's window, the lanes of other taps); that it
// writes nothing past the planes; that the assembly kernels are within
// rounding of the twin; and that kernels wider than flatMaxKw have no plan.
func TestFlatPlanMatchesTaps(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	sizes := [][2]int{{1, 1}, {1, 5}, {7, 7}, {8, 8}, {3, 16}, {14, 14}, {5, 17}, {9, 28}, {28, 28}, {4, 56}, {13, 3}, {8, 9}}
	tested := 0
	for _, name := range Variants() {
		prev := Use(name)
		has := NewFlatPlan(1, 1, 1, 1, 0, 0, false) != nil
		Use(prev)
		if !has {
			continue
		}
		tested++
		for _, hw := range sizes {
			h, w := hw[0], hw[1]
			for _, k := range [][2]int{{3, 3}, {5, 5}, {7, 7}, {1, 3}, {3, 1}, {2, 4}, {3, 8}} {
				kh, kw := k[0], k[1]
				kk := kh * kw
				for _, pad := range [][2]int{{kh / 2, kw / 2}, {0, 0}, {kh - 1, kw - 1}, {rng.IntN(kh), rng.IntN(kw)}} {
					pt, pl := pad[0], pad[1]
					n, flip := 1+rng.IntN(7), rng.IntN(2) == 0
					x := randSlice(rng, n*h*w)
					if rng.IntN(2) == 0 {
						x[rng.IntN(len(x))] = float32(math.Inf(1))
					}
					nvec := (w + Lanes - 1) / Lanes
					ldx := nvec*Lanes + kw - 1 + rng.IntN(3)
					offs := make([]int32, kk)
					for p := range kh {
						for q := range kw {
							offs[p*kw+q] = int32(p*ldx + q)
						}
					}
					ldy := nvec * Lanes
					g := Grid{Vecs: nvec, Rows: h, XStep: Lanes, XRow: ldx, YStep: Lanes, YRow: ldy}
					wt := randSlice(rng, n*kk)
					want := make([]float32, n*h*ldy)
					got := randSlice(rng, n*h*w+16)
					tail := append([]float32(nil), got[n*h*w:]...)
					twin := make([]float32, n*h*w)
					var f *FlatPlan
					func() {
						defer Use(Use(name))
						for m := range n {
							buf := make([]float32, (h+kh)*ldx)
							for i := range h {
								copy(buf[(i+pt)*ldx+pl:], x[(m*h+i)*w:(m*h+i+1)*w])
							}
							wm := append([]float32(nil), wt[m*kk:(m+1)*kk]...)
							if flip {
								for t := range kk {
									wm[t] = wt[m*kk+kk-1-t]
								}
							}
							Taps(want[m*h*ldy:], buf, wm, offs, g, false)
						}
						f = NewFlatPlan(h, w, kh, kw, pt, pl, flip)
						f.Run(got[:n*h*w], x, wt, n)
					}()
					planeFlatGeneric(f, twin, x, wt, n)
					msg := fmt.Sprintf("%s FlatPlan.Run against Taps: %d %d×%d planes, %d×%d kernel, padding (%d, %d), flip %v", name, n, h, w, kh, kw, pt, pl, flip)
					for i := range n * h {
						sameBits(t, want[i*ldy:i*ldy+w], got[i*w:(i+1)*w], fmt.Sprintf("%s, row %d", msg, i))
					}
					sameBits(t, tail, got[n*h*w:], msg+": past the planes")
					closeTo(t, twin, got[:n*h*w], kk, msg+" against the twin")
				}
			}
		}
	}
	require.Positive(t, tested, "no variant with FlatPlan.Run among %v", Variants())
	require.Panics(t, func() { NewFlatPlan(3, 3, 3, 3, 3, 1, false) })
	require.Nil(t, NewFlatPlan(14, 14, 1, flatMaxKw+1, 0, 4, false), "a %d-column kernel", flatMaxKw+1)
}

// TestFlatGradMatchesTwin checks FlatPlan.Grad: every assembly variant
// gives the same sums bit for bit (the AVX-512 kernel and the AVX2 one,
// 8 lanes at a time), each within rounding of the pure-Go twin, for planes
// narrower and wider than a chunk, every remainder of chunks and groups,
// every padding, one to seven planes a call, sums that start at given
// values (negative zeros among them), and infinite inputs; that sums past
// the planes' are untouched; and that the lanes added up give the weight
// gradient of a naive loop.
func TestFlatGradMatchesTwin(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	sizes := [][2]int{{1, 1}, {1, 5}, {7, 7}, {8, 8}, {3, 16}, {14, 14}, {5, 17}, {9, 28}, {28, 28}, {4, 56}, {13, 3}, {8, 9}, {2, 32}}
	const kh, kw, kk = 3, 3, 9
	size := FlatGradSums(kk)
	require.Nil(t, NewFlatGradPlan(5, 5, 5, 5, 2, 2), "no Grad kernel for 5×5")
	for _, hw := range sizes {
		h, w := hw[0], hw[1]
		for _, pad := range [][2]int{{1, 1}, {0, 0}, {2, 2}, {0, 2}, {2, 1}} {
			pt, pl := pad[0], pad[1]
			for _, inf := range []bool{false, true} {
				n := 1 + rng.IntN(7)
				x, dy := randSlice(rng, n*h*w), randSlice(rng, n*h*w)
				if inf {
					x[rng.IntN(len(x))] = float32(math.Inf(1))
				}
				out0 := randSlice(rng, n*size+16)
				for i := range out0 {
					if rng.IntN(5) == 0 {
						out0[i] = float32(math.Copysign(0, -1))
					}
				}
				msg := fmt.Sprintf("%d planes %d×%d pad (%d, %d) inf %v", n, h, w, pt, pl, inf)
				f := NewFlatGradPlan(h, w, kh, kw, pt, pl)
				require.NotNil(t, f, msg)
				twin := append([]float32(nil), out0...)
				gradFlatGeneric(f, twin, dy, x, n)
				var ref []float32
				for _, name := range Variants() {
					got := append([]float32(nil), out0...)
					func() {
						defer Use(Use(name))
						f.Grad(got[:n*size], dy, x, n)
					}()
					require.Equal(t, out0[n*size:], got[n*size:], "%s %s: sums past the planes changed", name, msg)
					if name == "generic" {
						sameBits(t, twin, got, name+" "+msg)
						continue
					}
					if ref == nil {
						ref = got
					} else {
						sameBits(t, ref, got, fmt.Sprintf("%s against %s: %s", name, Variants()[0], msg))
					}
					if !inf {
						closeTo(t, twin, got, n*f.nchunk, name+" "+msg)
					}
				}
				if inf {
					continue
				}
				// The lanes of the twin's sums, from zero, against a naive loop.
				sums := make([]float32, n*size)
				gradFlatGeneric(f, sums, dy, x, n)
				for m := range n {
					for tp := range kk {
						p, q := tp/kw, tp%kw
						var want, got float64
						for i := range h {
							for j := range w {
								if a, b := i+p-pt, j+q-pl; a >= 0 && a < h && b >= 0 && b < w {
									want += float64(dy[m*h*w+i*w+j]) * float64(x[m*h*w+a*w+b])
								}
							}
						}
						for l := range 16 {
							got += float64(sums[m*size+16*tp+l])
						}
						require.InDelta(t, want, got, 1e-4*float64(h*w+1), "%s: plane %d tap %d", msg, m, tp)
					}
				}
			}
		}
	}
}
