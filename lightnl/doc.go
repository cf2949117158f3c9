// Package lightnl holds the LightNL block of the AutoNL paper (Li et al.,
// "Neural Architecture Search for Lightweight Non-Local Networks", CVPR
// 2020) and the conventional non-local block of Wang et al. ("Non-local
// Neural Networks", CVPR 2018) it is measured against: the blocks as
// nn.Modules ([Block], built by [New], and [NonLocal], built by
// [NewNonLocal]) and their cost formulas, multiply-adds (MACs) and
// parameter counts, counted the way the paper's released profiler counts
// them. The blocks' MACs and ParamCount methods, and the model builders in
// package models, use these formulas, so that a network's counted cost and
// the search's cost model agree by construction; a block picks its
// association order with the same formula ([CheaperOrder]).
//
// Both blocks are checked against PyTorch implementations
// (testdata/gen/gen_lightnl.py) in training and evaluation mode, outputs and
// the gradients of the input and of every parameter, and start as the
// identity: their last batch norm's γ is initialised to 0.
//
// # LightNL
//
// For an input of C channels and H×W positions, channel ratio r and key
// stride s, LightNL computes
//
//	Q = x[:rC]           queries: the first rC = ⌊r·C⌋ channels, HW positions
//	K = x[:rC, ::s, ::s] keys:    the same channels, subsampled by s
//	V = x[:, ::s, ::s]   values:  all C channels, subsampled by s
//	y = (1/(H·W)) · V·(Kᵀ·Q)
//	z = x + BN(DW3×3(y))
//
// with no θ, φ, g transforms and no softmax. The product V·Kᵀ·Q is computed
// in whichever association order costs fewer MACs ([CheaperOrder]):
//
//	A = (KᵀQ) first, then V·(KᵀQ):  HW·M·rC + HW·M·C = HW·M·(rC + C)
//	B = (V·Kᵀ) first, then (VKᵀ)·Q: M·C·rC + HW·C·rC = (HW + M)·C·rC
//
// where M = ⌊H/s⌋·⌊W/s⌋ is the number of keys the formula assumes (the
// released profiler's count; the block itself takes ⌈H/s⌉·⌈W/s⌉ positions,
// which is the same for even H and W). With rC = r·C these are the paper's
// HW·M·C·(1+r) and (HW+M)·C²·r. The 3×3 depthwise conv adds 9·C·H·W.
//
// # Rounding of r·C
//
// Wherever r·C appears, this package uses rC = [ReducedChannels](C, r) =
// ⌊r·C⌋, the number of query and key channels the block really has (the
// released code slices x[..., :int(r·C)]). The released profiler itself
// multiplies by the unrounded r·C; the two agree whenever r·C is an integer,
// which is the case for every LightNL block of the paper (r ∈ {0.125, 0.25}
// and C a multiple of 8). The floor is taken with a tolerance of 1e-9, so a
// product such as 0.29·100 = 28.999999999999996 in float64 counts as 29
// channels, not 28; the block builders use the same function.
package lightnl
