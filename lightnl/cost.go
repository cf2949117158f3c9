package lightnl

import (
	"fmt"
	"math"
)

// Order is an association order of LightNL's product V·Kᵀ·Q.
type Order int

const (
	// OrderAuto, the zero value, is not an order of its own: it tells a
	// [Block] to use [CheaperOrder] for each input's shape.
	OrderAuto Order = iota
	// OrderA computes the affinity KᵀQ (M×HW) first and then V·(KᵀQ):
	// HW·M·(rC + C) MACs.
	OrderA
	// OrderB computes the context V·Kᵀ (C×rC) first and then (VKᵀ)·Q:
	// (HW + M)·C·rC MACs.
	OrderB
)

// String returns "auto", "A" or "B".
func (o Order) String() string {
	switch o {
	case OrderAuto:
		return "auto"
	case OrderA:
		return "A"
	case OrderB:
		return "B"
	}
	return fmt.Sprintf("Order(%d)", int(o))
}

// ReducedChannels returns rC = ⌊r·C⌋, the number of query and key channels
// of a LightNL block with c channels and channel ratio ratio. The floor
// tolerates a float64 representation error of 1e-9 (0.29·100 gives 29). The
// result is 0 when r·C < 1; such a block has no query channels and adds
// nothing to its input, and builders should reject it.
func ReducedChannels(c int, ratio float64) int {
	return int(math.Floor(ratio*float64(c) + 1e-9))
}

// Keys returns M = ⌊H/s⌋·⌊W/s⌋, the number of key (and value) positions the
// cost formulas assume for an h×w map and key stride stride ≥ 1, as the
// released profiler counts them. (Strided subsampling x[::s, ::s] keeps
// ⌈H/s⌉·⌈W/s⌉ positions; the two differ only for odd H or W with s > 1.)
func Keys(h, w, stride int) int {
	return (h / stride) * (w / stride)
}

// AttentionMACs returns the MACs of the two association orders of
// LightNL's V·Kᵀ·Q for c channels on an h×w map, channel ratio ratio and key
// stride stride, with N = h·w, M = [Keys](h, w, stride) and
// rC = [ReducedChannels](c, ratio):
//
//	a = N·M·(rC + C)     // (KᵀQ) then V·(KᵀQ)
//	b = (N + M)·C·rC     // (V·Kᵀ) then (VKᵀ)·Q
//
// With rC = r·C these are the paper's HW·M·C·(1+r) and (HW+M)·C²·r.
func AttentionMACs(c, h, w int, ratio float64, stride int) (a, b int64) {
	n := int64(h) * int64(w)
	m := int64(Keys(h, w, stride))
	cc := int64(c)
	rc := int64(ReducedChannels(c, ratio))
	return n * m * (rc + cc), (n + m) * cc * rc
}

// CheaperOrder returns the association order LightNL uses for the given
// shape: [OrderA] when its MACs are strictly fewer than [OrderB]'s, otherwise
// OrderB (ties go to B, as in the released code). Both orders compute the
// same product.
func CheaperOrder(c, h, w int, ratio float64, stride int) Order {
	a, b := AttentionMACs(c, h, w, ratio, stride)
	if a < b {
		return OrderA
	}
	return OrderB
}

// BlockMACs returns the multiply-adds of a LightNL block with c channels on
// an h×w map, channel ratio ratio and key stride stride ≥ 1:
//
//	min(A, B) + 9·C·H·W
//
// where A and B are the two association orders of [AttentionMACs]
// (A = HW·M·(rC + C), B = (HW + M)·C·rC, M = ⌊H/s⌋·⌊W/s⌋, rC = ⌊r·C⌋) and
// 9·C·H·W is the 3×3 depthwise conv. The subsampling, the 1/(H·W) scaling,
// the BN and the residual add are not counted.
func BlockMACs(c, h, w int, ratio float64, stride int) int64 {
	a, b := AttentionMACs(c, h, w, ratio, stride)
	return min(a, b) + 9*int64(c)*int64(h)*int64(w)
}

// LightNLParams returns the parameters of a LightNL block with c channels:
// 9·C for the 3×3 depthwise kernel (no bias) and 2·C for the BN's γ and β.
// The ratio and stride add no parameters.
func LightNLParams(c int) int {
	return 9*c + 2*c
}

// NonLocalMACs returns the multiply-adds of the conventional non-local block
// of Wang et al. (dot-product form) with c channels on an h×w map and key
// stride stride ≥ 1, as in their released implementation: with C' = ⌊C/2⌋,
// N = H·W queries and M = [Keys](h, w, stride) keys,
//
//	θ: 1×1 conv C→C' on the N positions      N·C·C'
//	φ, g: 1×1 convs C→C' on the M positions   2·M·C·C'
//	affinity θᵀφ (N×M)                       N·M·C'
//	aggregation of g by the affinity          N·M·C'
//	W_z: 1×1 conv C'→C on the N positions     N·C'·C
//
//	total = 2·(N + M)·C·C' + 2·N·M·C'
//
// With stride s > 1 the keys and values come from the input max-pooled by s
// (kernel s, stride s, no padding: ⌊H/s⌋·⌊W/s⌋ positions) before φ and g, as
// Wang et al.'s code does. For even C and s = 1 (M = N) this is DESIGN.md's
// NL = 2·N·C² + N·M·C; for s > 1 that formula runs φ and g on all N
// positions (pooling after φ and g, as the Wang et al. paper's text puts it)
// and so counts 2·(N − M)·C·C' more than this one. Biases, the 1/M scaling,
// the pooling, BN and the residual add are not counted.
func NonLocalMACs(c, h, w, stride int) int64 {
	n := int64(h) * int64(w)
	m := int64(Keys(h, w, stride))
	cc := int64(c)
	ci := cc / 2
	return 2*(n+m)*cc*ci + 2*n*m*ci
}

// NonLocalParams returns the parameters of the conventional non-local block
// with c channels and C' = ⌊C/2⌋: θ, φ and g are 1×1 convs C→C' with bias
// (3·(C·C' + C')), W_z is a 1×1 conv C'→C with bias (C'·C + C), and the BN
// after W_z has γ and β (2·C), as in Wang et al.'s released implementation:
//
//	4·C·C' + 3·C' + 3·C
func NonLocalParams(c int) int {
	ci := c / 2
	return 4*c*ci + 3*ci + 3*c
}
