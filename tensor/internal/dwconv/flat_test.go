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
