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
//     the smallest margin per multiply-add, (s − t)/ΔMACs, among those
//     whose closing saves MACs (ΔMACs > 0) and can close (no gate nested
//     under it is open; closing a LightNL gate or a keep gate removes the
//     block or the layer), preferring gates whose closing does not fall
//     below target·(1−tol);
//   - then, below target·(1−tol), it opens, one at a time, the closed gate
//     with the largest margin per multiply-add among those that can open
//     (the gates it nests under are open) without passing target·(1+tol),
//     preferring gates whose opening reaches target·(1−tol); if none can
//     open within the bound, it opens the best of those that pass it and
//     closes others (never that one) to come back under it: a swap.
//
// Ranking by margin per multiply-add is the knapsack's greedy rule: the
// gate to give up is the one that buys the fewest MACs per unit of the
// conviction the search gave it. The margins are those of n's gates now.
// A search that converged needs no change; the projection only settles
// where the gates' oscillation about the target stopped, or a search too
// short to get there. It returns an error if no sequence of such changes
// reaches the tolerance.
func ProjectToBudget(n *Supernet, cs []Choice, target int64, tol float64) (Derived, int, error) {
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
	// pinned gates were opened past the upper bound, because no gate
	// could open within it, so as to swap them for others: the closing
	// steps do not undo them.
	pinned := map[[2]int]bool{}
	total := 0
	for _, l := range n.Layers {
		total += len(l.Gates)
	}
	changed := 0
	for step := 0; ; step++ {
		c := macs()
		if c >= lo && c <= hi {
			break
		}
		if step > 4*total {
			return Derived{}, changed, fmt.Errorf("nas: ProjectToBudget: no network of the space costs between %.0f and %.0f MACs by these steps", lo, hi)
		}
		if c > hi {
			bl, bg, best, bestLands := -1, -1, math.Inf(1), false
			for i, l := range n.Layers {
				for j := range l.Gates {
					if bits[i]&(1<<j) == 0 || !canClose(l.Gates, bits[i], j) || pinned[[2]int{i, j}] {
						continue
					}
					saved := float64(n.tables[i].macs[bits[i]] - n.tables[i].macs[bits[i]&^(1<<j)])
					if saved <= 0 {
						continue
					}
					score, lands := margins[i][j]/saved, c-saved >= lo
					if (lands && !bestLands) || (lands == bestLands && score < best) {
						bl, bg, best, bestLands = i, j, score, lands
					}
				}
			}
			if bl < 0 {
				return Derived{}, changed, fmt.Errorf("nas: ProjectToBudget: no network of the space costs at most %.0f MACs", hi)
			}
			bits[bl] &^= 1 << bg
			changed++
			continue
		}
		bl, bg, best, bestRank := -1, -1, math.Inf(-1), -1
		for i, l := range n.Layers {
			for j := range l.Gates {
				if bits[i]&(1<<j) != 0 || !canOpen(l.Gates, bits[i], j) {
					continue
				}
				added := float64(n.tables[i].macs[bits[i]|1<<j] - n.tables[i].macs[bits[i]])
				if added <= 0 {
					continue
				}
				// Rank 2: lands within the tolerance; 1: stays below it;
				// 0: passes the upper bound (a swap).
				rank := 0
				switch {
				case c+added > hi:
				case c+added >= lo:
					rank = 2
				default:
					rank = 1
				}
				if score := margins[i][j] / added; rank > bestRank || (rank == bestRank && score > best) {
					bl, bg, best, bestRank = i, j, score, rank
				}
			}
		}
		if bl < 0 {
			return Derived{}, changed, fmt.Errorf("nas: ProjectToBudget: no network of the space costs between %.0f and %.0f MACs by these steps", lo, hi)
		}
		if bestRank == 0 {
			pinned[[2]int{bl, bg}] = true
		}
		bits[bl] |= 1 << bg
		changed++
	}
	out := make([]Choice, len(cs))
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
