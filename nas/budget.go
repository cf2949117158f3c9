package nas

import (
	"fmt"
	"math"
)

// ProjectToBudget returns the network that the configurations cs select
// if its MACs lie within tol (relative) of target, and otherwise the
// nearest network within it by the gates' own ranking, with the number of
// decisions it changed:
//
//   - above target·(1+tol), it closes, one at a time, the open gate with
//     the smallest margin s − t among those whose closing saves MACs (a
//     gate can close when no gate nested under it is open; closing a
//     LightNL gate or a keep gate removes the block or the layer);
//   - then, below target·(1−tol), it opens, one at a time, the closed gate
//     with the largest margin among those that can open (the gates it
//     nests under are open) without passing target·(1+tol).
//
// The margins are those of n's gates now. A search that converged needs no
// change; the projection only settles where the gates' oscillation about
// the target stopped, or a search too short to get there. It returns an
// error if no sequence of such changes reaches the tolerance.
func ProjectToBudget(n *Supernet, cs []Config, target int64, tol float64) (Derived, int, error) {
	lo, hi := float64(target)*(1-tol), float64(target)*(1+tol)
	bits := make([]uint, len(cs))
	margins := make([][]float64, len(cs))
	for i, l := range n.Layers {
		b, ok := bitsOf(l.Spec, cs[i])
		if !ok {
			return Derived{}, 0, fmt.Errorf("nas: ProjectToBudget: %s is not a configuration of layer %d", cs[i], i)
		}
		bits[i], margins[i] = b, l.Margins()
	}
	macs := func() float64 {
		var c int64 = n.fixed
		for i, t := range n.tables {
			c += t.macs[bits[i]]
		}
		return float64(c)
	}
	changed := 0
	for macs() > hi {
		bl, bg, best := -1, -1, math.Inf(1)
		for i, l := range n.Layers {
			for j := range l.Gates {
				if bits[i]&(1<<j) == 0 || !canClose(l.Gates, bits[i], j) {
					continue
				}
				if nb := bits[i] &^ (1 << j); n.tables[i].macs[nb] < n.tables[i].macs[bits[i]] && margins[i][j] < best {
					bl, bg, best = i, j, margins[i][j]
				}
			}
		}
		if bl < 0 {
			return Derived{}, changed, fmt.Errorf("nas: ProjectToBudget: no network of the space costs at most %.0f MACs", hi)
		}
		bits[bl] &^= 1 << bg
		changed++
	}
	for macs() < lo {
		bl, bg, best := -1, -1, math.Inf(-1)
		for i, l := range n.Layers {
			for j := range l.Gates {
				if bits[i]&(1<<j) != 0 || !canOpen(l.Gates, bits[i], j) {
					continue
				}
				nb := bits[i] | 1<<j
				if macs()-float64(n.tables[i].macs[bits[i]])+float64(n.tables[i].macs[nb]) <= hi && margins[i][j] > best {
					bl, bg, best = i, j, margins[i][j]
				}
			}
		}
		if bl < 0 {
			return Derived{}, changed, fmt.Errorf("nas: ProjectToBudget: no network of the space costs between %.0f and %.0f MACs by these steps", lo, hi)
		}
		bits[bl] |= 1 << bg
		changed++
	}
	out := make([]Config, len(cs))
	for i, l := range n.Layers {
		out[i] = configOf(l.Spec, bits[i])
	}
	d, err := n.Derive(out)
	return d, changed, err
}

// canClose reports whether gate j can close: no gate nested under it is
// open (the gates of its kind after it, and the ratio and stride gates
// under a LightNL gate).
func canClose(gs []Gate, bits uint, j int) bool {
	for i, g := range gs {
		if bits&(1<<i) != 0 && nestedUnder(gs[j], g) {
			return false
		}
	}
	return true
}

// canOpen reports whether gate j can open: every gate it is nested under
// is open.
func canOpen(gs []Gate, bits uint, j int) bool {
	for i, g := range gs {
		if bits&(1<<i) == 0 && nestedUnder(g, gs[j]) {
			return false
		}
	}
	return true
}

// nestedUnder reports whether gate g matters only while gate p is open.
func nestedUnder(p, g Gate) bool {
	switch {
	case p.Kind == g.Kind:
		return g.Index > p.Index
	case p.Kind == NonLocalGate:
		return g.Kind == RatioGate || g.Kind == StrideGate
	}
	return false
}
