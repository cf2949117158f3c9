package main

import "fmt"

// The kernels of package vec: element-wise clamps and the passes of batch
// normalization. Every kernel takes a count n of elements that is a
// multiple of the block it processes (a vector or four, a block of 64 for
// the sums); the Go wrappers handle the rest with the kernels' pure-Go
// twins, which compute the same operations in the same order.
//
// The batch-norm kernels have AVX-512 versions from the same templates,
// on 16 lanes per register, computing every element's operations as the
// AVX2 kernels do, so that the results are theirs (and the twins') bit for
// bit: masks are k registers where the AVX2 kernels AND vectors (a
// zeroing-masked load gives the +0 that an AND with a zero mask gives),
// and the sums' even and odd partial sums are the halves of one register.
// The clamps and the sums' tails are AVX2 only.

// vecKernels emits all kernels of package vec.
func vecKernels(g *gen) {
	vecClamp(g)
	vecBinary(g, "addAVX2", "VADDPS", "sum")
	vecBinary(g, "mulAVX2", "VMULPS", "product")
	vecScale(g)
	vecClampMask(g, true)
	vecClampMask(g, false)
	for _, s := range []isa{avx2, avx512} {
		vecSums(g, s, "sums", sumPlain, false)
		vecSums(g, s, "dots", sumDots, false)
		vecSums(g, s, "dotsMask", sumDotsMaskY, false)
		vecSums(g, s, "dotsMaskX", sumDotsMaskX, false)
		if s == avx2 {
			vecSums(g, s, "sumsTail", sumPlain, true)
			vecSums(g, s, "dotsTail", sumDots, true)
			vecSums(g, s, "dotsMaskTail", sumDotsMaskY, true)
			vecSums(g, s, "dotsMaskXTail", sumDotsMaskX, true)
		}
		vecNorm(g, s, false)
		vecNorm(g, s, true)
		vecBNGrad(g, s, false)
		vecBNGrad(g, s, true)
		vecBNGradX(g, s, false)
		vecBNGradX(g, s, true)
	}
}

// vecLoop emits a loop over n/lanes vectors of s, n in CX: blocks of 4
// vectors, then single vectors. body(k, off) emits the work on vector k of
// a block at byte offset off from every pointer register; ptrs are the
// pointer registers advanced after each block. With fence, an SFENCE
// orders the kernel's non-temporal stores before it returns.
func vecLoop(g *gen, s isa, name string, ptrs []string, fence bool, body func(k, off int)) {
	if s.lanes == 16 {
		g.i("SHRQ $4, CX")
	} else {
		g.i("SHRQ $3, CX")
	}
	g.i("MOVQ CX, BX")
	g.i("SHRQ $2, BX")
	g.i("JZ %s_one", name)
	g.p("%s_four:", name)
	for k := range 4 {
		body(k, s.bytes*k)
	}
	for _, p := range ptrs {
		g.i("ADDQ $%d, %s", 4*s.bytes, p)
	}
	g.i("DECQ BX")
	g.i("JNZ %s_four", name)
	g.p("%s_one:", name)
	g.i("ANDQ $3, CX")
	g.i("JZ %s_done", name)
	g.p("%s_loop1:", name)
	body(0, 0)
	for _, p := range ptrs {
		g.i("ADDQ $%d, %s", s.bytes, p)
	}
	g.i("DECQ CX")
	g.i("JNZ %s_loop1", name)
	g.done(name, fence)
}

// vecClamp emits
//
//	func clampAVX2(dst, x *float32, n int, lo, hi float32)
//
// dst[i] = min(max(x[i], lo), hi) for i < n, n a multiple of 8, with a
// NaN x[i] passed through: VMAXPS and VMINPS return their second source
// operand, x, when either operand is NaN.
func vecClamp(g *gen) {
	const name = "clampAVX2"
	g.text(name, "dst, x *float32, n int, lo, hi float32", 32, "AVX2 clamp; see vecClamp in tensor/internal/asmgen.")
	g.i("MOVQ dst+0(FP), DI")
	g.i("MOVQ x+8(FP), SI")
	g.i("MOVQ n+16(FP), CX")
	g.i("VBROADCASTSS lo+24(FP), Y14")
	g.i("VBROADCASTSS hi+28(FP), Y15")
	vecLoop(g, avx2, name, []string{"SI", "DI"}, false, func(k, off int) {
		r := fmt.Sprintf("Y%d", k)
		g.i("VMOVUPS %d(SI), %s", off, r)
		g.i("VMAXPS %s, Y14, %s", r, r)
		g.i("VMINPS %s, Y15, %s", r, r)
		g.i("VMOVUPS %s, %d(DI)", r, off)
	})
}

// vecBinary emits
//
//	func addAVX2(dst, a, b *float32, n int)   (op VADDPS)
//	func mulAVX2(dst, a, b *float32, n int)   (op VMULPS)
//
// dst[i] = a[i] op b[i] for i < n, n a multiple of 8: one IEEE operation
// per element, as Go's float32 arithmetic, so the results are the twins'
// bit for bit. dst may be a or b.
func vecBinary(g *gen, name, op, what string) {
	g.text(name, "dst, a, b *float32, n int", 32, "AVX2 element-wise %s; see vecBinary in tensor/internal/asmgen.", what)
	g.i("MOVQ dst+0(FP), DI")
	g.i("MOVQ a+8(FP), SI")
	g.i("MOVQ b+16(FP), DX")
	g.i("MOVQ n+24(FP), CX")
	vecLoop(g, avx2, name, []string{"SI", "DX", "DI"}, false, func(k, off int) {
		r := fmt.Sprintf("Y%d", k)
		g.i("VMOVUPS %d(SI), %s", off, r)
		g.i("%s %d(DX), %s, %s", op, off, r, r)
		g.i("VMOVUPS %s, %d(DI)", r, off)
	})
}

// vecScale emits
//
//	func scaleAVX2(dst, x *float32, n int, s float32)
//
// dst[i] = x[i]·s for i < n, n a multiple of 8, one IEEE multiplication
// per element. dst may be x.
func vecScale(g *gen) {
	const name = "scaleAVX2"
	g.text(name, "dst, x *float32, n int, s float32", 28, "AVX2 scaling; see vecScale in tensor/internal/asmgen.")
	g.i("MOVQ dst+0(FP), DI")
	g.i("MOVQ x+8(FP), SI")
	g.i("MOVQ n+16(FP), CX")
	g.i("VBROADCASTSS s+24(FP), Y15")
	vecLoop(g, avx2, name, []string{"SI", "DI"}, false, func(k, off int) {
		r := fmt.Sprintf("Y%d", k)
		g.i("VMULPS %d(SI), Y15, %s", off, r)
		g.i("VMOVUPS %s, %d(DI)", r, off)
	})
}

// Comparison predicates of VCMPPS (ordered, quiet: false for NaN).
const (
	cmpLT = 0x11
	cmpGT = 0x1e
)

// vecMask emits the mask lo < src < hi into dst, using tmp; lo and hi are
// in Y14 and Y15.
func vecMask(g *gen, src, dst, tmp string) {
	g.i("VCMPPS $0x%x, Y14, %s, %s", cmpGT, src, dst)
	g.i("VCMPPS $0x%x, Y15, %s, %s", cmpLT, src, tmp)
	g.i("VANDPS %s, %s, %s", tmp, dst, dst)
}

// vecClampMask emits
//
//	func clampMaskAVX2(dx, x, dy *float32, n int, lo, hi float32)
//	func positiveMaskAVX2(dx, x, dy *float32, n int)
//
// dx[i] = dy[i] if lo < x[i] < hi (x[i] > 0 in the second kernel) and 0
// otherwise (also for a NaN x[i]), for i < n, n a multiple of 8.
func vecClampMask(g *gen, upper bool) {
	name, sig, size := "clampMaskAVX2", "dx, x, dy *float32, n int, lo, hi float32", 40
	if !upper {
		name, sig, size = "positiveMaskAVX2", "dx, x, dy *float32, n int", 32
	}
	g.text(name, sig, size, "AVX2 masked copy of a gradient; see vecClampMask in tensor/internal/asmgen.")
	g.i("MOVQ dx+0(FP), DI")
	g.i("MOVQ x+8(FP), SI")
	g.i("MOVQ dy+16(FP), DX")
	g.i("MOVQ n+24(FP), CX")
	if upper {
		g.i("VBROADCASTSS lo+32(FP), Y14")
		g.i("VBROADCASTSS hi+36(FP), Y15")
	} else {
		g.i("VXORPS Y14, Y14, Y14")
	}
	vecLoop(g, avx2, name, []string{"SI", "DI", "DX"}, false, func(k, off int) {
		x, m, t := fmt.Sprintf("Y%d", k), fmt.Sprintf("Y%d", 4+k), fmt.Sprintf("Y%d", 8+k)
		g.i("VMOVUPS %d(SI), %s", off, x)
		if upper {
			vecMask(g, x, m, t)
		} else {
			g.i("VCMPPS $0x%x, Y14, %s, %s", cmpGT, x, m)
		}
		g.i("VANDPS %d(DX), %s, %s", off, m, m)
		g.i("VMOVUPS %s, %d(DI)", m, off)
	})
}

// vecNorm emits
//
//	func normAVX2(dst, x *float32, n int, mean, a, b, lo, hi float32)
//
// dst[i] = min(max((x[i] − mean)·a + b, lo), hi) for i < n, n a multiple
// of the lanes of s, each operation rounded to float32 (no fused
// multiply-add), NaN passed through as in clampAVX2. With stream it emits
// normNTAVX2, which writes dst with non-temporal stores (dst aligned to
// its vectors): outputs much larger than the caches then skip the read for
// ownership of their lines. With s = avx512 the names end in AVX512.
func vecNorm(g *gen, s isa, stream bool) {
	name, store := "norm"+s.suffix(), "VMOVUPS"
	if stream {
		name, store = "normNT"+s.suffix(), "VMOVNTPS"
	}
	g.text(name, "dst, x *float32, n int, mean, a, b, lo, hi float32", 44, "%s batch-norm normalization and clamp; see vecNorm in tensor/internal/asmgen.", s.name)
	g.i("MOVQ dst+0(FP), DI")
	g.i("MOVQ x+8(FP), SI")
	g.i("MOVQ n+16(FP), CX")
	g.i("VBROADCASTSS mean+24(FP), %s", s.r(11))
	g.i("VBROADCASTSS a+28(FP), %s", s.r(12))
	g.i("VBROADCASTSS b+32(FP), %s", s.r(13))
	g.i("VBROADCASTSS lo+36(FP), %s", s.r(14))
	g.i("VBROADCASTSS hi+40(FP), %s", s.r(15))
	vecLoop(g, s, name, []string{"SI", "DI"}, stream, func(k, off int) {
		r := s.r(k)
		g.i("VMOVUPS %d(SI), %s", off, r)
		g.i("VSUBPS %s, %s, %s", s.r(11), r, r)
		g.i("VMULPS %s, %s, %s", s.r(12), r, r)
		g.i("VADDPS %s, %s, %s", s.r(13), r, r)
		g.i("VMAXPS %s, %s, %s", r, s.r(14), r)
		g.i("VMINPS %s, %s, %s", r, s.r(15), r)
		g.i("%s %s, %d(DI)", store, r, off)
	})
}

// vecMaskedLoad emits dst = the vector at mem where lo < t < hi and +0
// elsewhere, for the vector register t, with lo and hi in registers 14 and
// 15: with AVX2 by a mask in m (dst serving as a temporary) ANDed with the
// loaded vector, with AVX-512 by the mask register Kk and a zeroing-masked
// load.
func vecMaskedLoad(g *gen, s isa, t, mem, dst, m string, k int) {
	if s.lanes == 8 {
		vecMask(g, t, m, dst)
		g.i("VANDPS %s, %s, %s", mem, m, dst)
		return
	}
	km := fmt.Sprintf("K%d", k)
	g.i("VCMPPS $0x%x, Z14, %s, %s", cmpGT, t, km)
	g.i("VCMPPS $0x%x, Z15, %s, %s, %s", cmpLT, t, km, km)
	g.i("VMOVUPS.Z %s, %s, %s", mem, km, dst)
}

// vecBNGrad emits
//
//	func bnGradAVX2(dx, dy, x *float32, n int, mean, k, db, kx float32)
//	func bnGradMaskAVX2(dx, dy, x, y *float32, n int, mean, k, db, kx, lo, hi float32)
//
// dx[i] = (g − db)·k − (x[i] − mean)·kx for i < n, n a multiple of the
// lanes of s, each operation rounded to float32, where g = dy[i] (in the
// masked kernel, 0 unless lo < y[i] < hi). With s = avx512 the names end
// in AVX512.
func vecBNGrad(g *gen, s isa, masked bool) {
	name, sig, size := "bnGrad"+s.suffix(), "dx, dy, x *float32, n int, mean, k, db, kx float32", 48
	if masked {
		name, sig, size = "bnGradMask"+s.suffix(), "dx, dy, x, y *float32, n int, mean, k, db, kx, lo, hi float32", 64
	}
	g.text(name, sig, size, "%s batch-norm input gradient; see vecBNGrad in tensor/internal/asmgen.", s.name)
	g.i("MOVQ dx+0(FP), DI")
	g.i("MOVQ dy+8(FP), DX")
	g.i("MOVQ x+16(FP), SI")
	ptrs := []string{"DI", "DX", "SI"}
	base := 24
	if masked {
		g.i("MOVQ y+24(FP), R8")
		ptrs = append(ptrs, "R8")
		base = 32
	}
	g.i("MOVQ n+%d(FP), CX", base)
	g.i("VBROADCASTSS mean+%d(FP), %s", base+8, s.r(10))
	g.i("VBROADCASTSS k+%d(FP), %s", base+12, s.r(11))
	g.i("VBROADCASTSS db+%d(FP), %s", base+16, s.r(12))
	g.i("VBROADCASTSS kx+%d(FP), %s", base+20, s.r(13))
	if masked {
		g.i("VBROADCASTSS lo+%d(FP), %s", base+24, s.r(14))
		g.i("VBROADCASTSS hi+%d(FP), %s", base+28, s.r(15))
	}
	// AVX2: two vectors per step in the blocks of four (registers
	// Y0-Y9); AVX-512: one set of registers per vector of the block.
	vecLoop(g, s, name, ptrs, false, func(k, off int) {
		gr, xr, m, t := s.r(2*(k%2)), s.r(2*(k%2)+1), s.r(4+2*(k%2)), s.r(5+2*(k%2))
		if s.lanes == 16 {
			gr, xr, m, t = s.r(k), s.r(4+k), "", s.r(16+k)
		}
		if masked {
			g.i("VMOVUPS %d(R8), %s", off, t)
			vecMaskedLoad(g, s, t, fmt.Sprintf("%d(DX)", off), gr, m, 1+k)
		} else {
			g.i("VMOVUPS %d(DX), %s", off, gr)
		}
		g.i("VSUBPS %s, %s, %s", s.r(12), gr, gr)
		g.i("VMULPS %s, %s, %s", s.r(11), gr, gr)
		g.i("VMOVUPS %d(SI), %s", off, xr)
		g.i("VSUBPS %s, %s, %s", s.r(10), xr, xr)
		g.i("VMULPS %s, %s, %s", s.r(13), xr, xr)
		g.i("VSUBPS %s, %s, %s", xr, gr, gr)
		g.i("VMOVUPS %s, %d(DI)", gr, off)
	})
}

// The kernels below mask the gradient of batch normalization followed by a
// clamp with the batch norm's output recomputed from its input,
// t = (x − mean)·a + b (each operation rounded to float32, as vecNorm
// computes it), instead of reading the clamp's output y: lo < y < hi
// exactly when lo < t < hi. The float32 constants mean, a and b are kept
// as vectors in the local frame, at 0, 32 and 64(SP), for want of
// registers.

// vecSpill broadcasts the float32 arguments at the given frame offsets
// into the local vectors 0, 32, 64(SP), using Y0.
func vecSpill(g *gen, args ...string) {
	for i, a := range args {
		g.i("VBROADCASTSS %s, Y0", a)
		g.i("VMOVUPS Y0, %d(SP)", 32*i)
	}
}

// vecMaskX emits, for the 8 inputs at src (a memory operand), the mask
// lo < (x − mean)·a + b < hi into dst, using tmp, with lo and hi in Y14 and
// Y15 and the vectors mean, a, b at 0, 32, 64(SP). If xm is not "", it
// also leaves x − mean there.
func vecMaskX(g *gen, src, dst, tmp, xm string) {
	t := tmp
	if xm != "" {
		t = xm
	}
	g.i("VMOVUPS %s, %s", src, t)
	g.i("VSUBPS 0(SP), %s, %s", t, t)
	if xm != "" {
		g.i("VMULPS 32(SP), %s, %s", t, tmp)
		t = tmp
	} else {
		g.i("VMULPS 32(SP), %s, %s", t, t)
	}
	g.i("VADDPS 64(SP), %s, %s", t, t)
	g.i("VCMPPS $0x%x, Y14, %s, %s", cmpGT, t, dst)
	g.i("VCMPPS $0x%x, Y15, %s, %s", cmpLT, t, t)
	g.i("VANDPS %s, %s, %s", t, dst, dst)
}

// vecBNGradX emits
//
//	func bnGradMaskXAVX2(dx, dy, x *float32, n int, mean, k, db, kx, a, b, lo, hi float32)
//
// bnGradMaskAVX2 with the mask lo < (x − mean)·a + b < hi computed from x.
// With stream it emits bnGradMaskXNTAVX2, which writes dx with
// non-temporal stores (dx aligned to its vectors), as normNTAVX2. With
// s = avx512 the names end in AVX512, and mean, a and b stay in Z8–Z10.
func vecBNGradX(g *gen, s isa, stream bool) {
	name, store := "bnGradMaskX"+s.suffix(), "VMOVUPS"
	if stream {
		name, store = "bnGradMaskXNT"+s.suffix(), "VMOVNTPS"
	}
	frame := 96
	if s.lanes == 16 {
		frame = 0
	}
	g.p("")
	g.p("// func %s(dx, dy, x *float32, n int, mean, k, db, kx, a, b, lo, hi float32)", name)
	g.p("// %s batch-norm input gradient masked by a clamp recomputed from x; see vecBNGradX in tensor/internal/asmgen.", s.name)
	g.p("TEXT ·%s(SB), NOSPLIT, $%d-64", name, frame)
	g.i("MOVQ dx+0(FP), DI")
	g.i("MOVQ dy+8(FP), DX")
	g.i("MOVQ x+16(FP), SI")
	g.i("MOVQ n+24(FP), CX")
	if s.lanes == 8 {
		vecSpill(g, "mean+32(FP)", "a+48(FP)", "b+52(FP)")
	} else {
		g.i("VBROADCASTSS mean+32(FP), Z8")
		g.i("VBROADCASTSS a+48(FP), Z9")
		g.i("VBROADCASTSS b+52(FP), Z10")
	}
	g.i("VBROADCASTSS k+36(FP), %s", s.r(11))
	g.i("VBROADCASTSS db+40(FP), %s", s.r(12))
	g.i("VBROADCASTSS kx+44(FP), %s", s.r(13))
	g.i("VBROADCASTSS lo+56(FP), %s", s.r(14))
	g.i("VBROADCASTSS hi+60(FP), %s", s.r(15))
	vecLoop(g, s, name, []string{"DI", "DX", "SI"}, stream, func(k, off int) {
		src, mem := fmt.Sprintf("%d(SI)", off), fmt.Sprintf("%d(DX)", off)
		var gr, xm string
		if s.lanes == 8 {
			gr, xm = fmt.Sprintf("Y%d", 3*(k%2)), fmt.Sprintf("Y%d", 3*(k%2)+1)
			m, t := fmt.Sprintf("Y%d", 3*(k%2)+2), fmt.Sprintf("Y%d", 6+k%2)
			vecMaskX(g, src, m, t, xm)
			g.i("VANDPS %s, %s, %s", mem, m, gr)
		} else {
			gr, xm = s.r(k), s.r(4+k)
			t := s.r(16 + k)
			g.i("VMOVUPS %s, %s", src, xm)
			g.i("VSUBPS Z8, %s, %s", xm, xm)
			g.i("VMULPS Z9, %s, %s", xm, t)
			g.i("VADDPS Z10, %s, %s", t, t)
			vecMaskedLoad(g, s, t, mem, gr, "", 1+k)
		}
		g.i("VSUBPS %s, %s, %s", s.r(12), gr, gr)
		g.i("VMULPS %s, %s, %s", s.r(11), gr, gr)
		g.i("VMULPS %s, %s, %s", s.r(13), xm, xm)
		g.i("VSUBPS %s, %s, %s", xm, gr, gr)
		g.i("%s %s, %d(DI)", store, gr, off)
	})
}

// The sum kernels accumulate two sums of per-element terms over blocks of
// 64 elements (8 vectors): within a block, vectors alternate between two
// float32 partial sums per term (even and odd vectors), which are added and
// converted to float64 at the end of the block and added to 8 float64
// lanes per term (lane l for elements ≡ l mod 8). Products are rounded
// before they are added (no fused multiply-add), so that a pure-Go twin
// can compute the same bits; the dot kernels also sum the rounding errors
// of their products, g·d − round(g·d) (exact, by a fused multiply-subtract),
// in a third float32 partial sum, added to the second term's lanes after
// its block total, so that products that cancel (few values per channel)
// keep their precision. acc holds the first term's lanes at 0..7 and the
// second's at 8..15.

// sumKind selects the terms of a sum kernel.
type sumKind int

const (
	// sumPlain: d = x − shift; terms d and d·d.
	sumPlain sumKind = iota
	// sumDots: d = x − mean; terms dy and dy·d.
	sumDots
	// sumDotsMaskY: sumDots with dy masked where not lo < y < hi.
	sumDotsMaskY
	// sumDotsMaskX: sumDots with dy masked where not lo < d·a + b < hi.
	sumDotsMaskX
)

// vecSums emits, for n a multiple of 64, with name base + s.suffix(),
//
//	func sumsAVX2(acc *[16]float64, x *float32, n int, shift float32)
//	func dotsAVX2(acc *[16]float64, dy, x *float32, n int, mean float32)
//	func dotsMaskAVX2(acc *[16]float64, dy, x, y *float32, n int, mean, lo, hi float32)
//	func dotsMaskXAVX2(acc *[16]float64, dy, x *float32, n int, mean, a, b, lo, hi float32)
//
// AVX2 registers: Y0-Y3 temporaries, Y4-Y7 the float64 lanes (first term
// 0-3, 4-7, second term 0-3, 4-7), Y8/Y9 and Y10/Y11 the even/odd float32
// partial sums of the two terms, Y13 the sum of product errors, Y12, Y14,
// Y15 constants (mean or shift, lo, hi); a and b of sumDotsMaskX are
// vectors in the local frame at 0 and 32(SP).
//
// AVX-512: register k of a block holds its vectors 2k (low half) and 2k+1
// (high half), so Z8 and Z10 hold the even and the odd partial sums of the
// two terms in their halves, added at the end of the block; the product
// errors, one partial sum over the block's vectors in order, are added to
// Y13 half by half. Z4 and Z5 hold the float64 lanes of the two terms, Z6
// and Z7 the a and b of sumDotsMaskX.
//
// With tail (AVX2 only), the kernel (same signature) instead adds, for n
// a multiple of 8, each element's terms in float64, one vector of 8
// elements at a time: d = float64(x) − float64(mean or shift), the first
// term (d, or dy) added and the second (d·d, or dy·d) fused-multiply-added
// into the lanes. The mask of the masked kernels is computed in float32 as
// in the block kernels. Registers as in the block kernels, with Y13 the
// mean or shift as four float64.
func vecSums(g *gen, s isa, base string, kind sumKind, tail bool) {
	name := base + s.suffix()
	wide := s.lanes == 16
	sig, frame, args := "acc *[16]float64, x *float32, n int, shift float32", 0, 28
	switch kind {
	case sumDots:
		sig, args = "acc *[16]float64, dy, x *float32, n int, mean float32", 36
	case sumDotsMaskY:
		sig, args = "acc *[16]float64, dy, x, y *float32, n int, mean, lo, hi float32", 52
	case sumDotsMaskX:
		sig, frame, args = "acc *[16]float64, dy, x *float32, n int, mean, a, b, lo, hi float32", 64, 52
		if wide {
			frame = 0
		}
	}
	g.p("")
	g.p("// func %s(%s)", name, sig)
	if tail {
		g.p("// AVX2 float64 sums, 8 elements at a time; see vecSums in tensor/internal/asmgen.")
	} else {
		g.p("// %s sums over blocks of 64 elements; see vecSums in tensor/internal/asmgen.", s.name)
	}
	g.p("TEXT ·%s(SB), NOSPLIT, $%d-%d", name, frame, args)
	g.i("MOVQ acc+0(FP), AX")
	ptrs := []string{"SI"}
	switch kind {
	case sumPlain:
		g.i("MOVQ x+8(FP), SI")
		g.i("MOVQ n+16(FP), CX")
		g.i("VBROADCASTSS shift+24(FP), %s", s.r(12))
	case sumDots:
		g.i("MOVQ dy+8(FP), DI")
		g.i("MOVQ x+16(FP), SI")
		g.i("MOVQ n+24(FP), CX")
		g.i("VBROADCASTSS mean+32(FP), %s", s.r(12))
		ptrs = append(ptrs, "DI")
	case sumDotsMaskY:
		g.i("MOVQ dy+8(FP), DI")
		g.i("MOVQ x+16(FP), SI")
		g.i("MOVQ y+24(FP), DX")
		g.i("MOVQ n+32(FP), CX")
		g.i("VBROADCASTSS mean+40(FP), %s", s.r(12))
		g.i("VBROADCASTSS lo+44(FP), %s", s.r(14))
		g.i("VBROADCASTSS hi+48(FP), %s", s.r(15))
		ptrs = append(ptrs, "DI", "DX")
	case sumDotsMaskX:
		g.i("MOVQ dy+8(FP), DI")
		g.i("MOVQ x+16(FP), SI")
		g.i("MOVQ n+24(FP), CX")
		if wide {
			g.i("VBROADCASTSS a+36(FP), Z6")
			g.i("VBROADCASTSS b+40(FP), Z7")
		} else {
			g.i("VBROADCASTSS a+36(FP), Y0")
			g.i("VMOVUPS Y0, 0(SP)")
			g.i("VBROADCASTSS b+40(FP), Y0")
			g.i("VMOVUPS Y0, 32(SP)")
		}
		g.i("VBROADCASTSS mean+32(FP), %s", s.r(12))
		g.i("VBROADCASTSS lo+44(FP), %s", s.r(14))
		g.i("VBROADCASTSS hi+48(FP), %s", s.r(15))
		ptrs = append(ptrs, "DI")
	}
	nacc := 128 / s.bytes // registers of float64 lanes
	for q := range nacc {
		g.i("VMOVUPD %d(AX), %s", s.bytes*q, s.r(4+q))
	}
	if tail {
		vecSumsTail(g, name, kind, ptrs)
		return
	}
	g.i("SHRQ $6, CX")
	g.i("JZ %s_store", name)
	g.p("%s_block:", name)
	if wide {
		g.i("VPXORD Z8, Z8, Z8")
		g.i("VPXORD Z10, Z10, Z10")
		g.i("VXORPS Y13, Y13, Y13")
	} else {
		for r := 8; r < 14; r++ {
			if r == 12 {
				continue
			}
			g.i("VXORPS Y%d, Y%d, Y%d", r, r, r)
		}
	}
	r := s.r
	for v := range 64 / s.lanes {
		off := s.bytes * v
		s1, s2 := fmt.Sprintf("Y%d", 8+v%2), fmt.Sprintf("Y%d", 10+v%2)
		if wide {
			s1, s2 = "Z8", "Z10"
		}
		g.i("VMOVUPS %d(SI), %s", off, r(0))
		g.i("VSUBPS %s, %s, %s", r(12), r(0), r(0)) // d
		switch kind {
		case sumPlain:
			g.i("VADDPS %s, %s, %s", r(0), s1, s1)
			g.i("VMULPS %s, %s, %s", r(0), r(0), r(1))
			g.i("VADDPS %s, %s, %s", r(1), s2, s2)
			continue
		case sumDots:
			g.i("VMOVUPS %d(DI), %s", off, r(2))
		case sumDotsMaskY:
			g.i("VMOVUPS %d(DX), %s", off, r(1))
		case sumDotsMaskX:
			if wide {
				g.i("VMULPS Z6, Z0, Z1")
				g.i("VADDPS Z7, Z1, Z1")
			} else {
				g.i("VMULPS 0(SP), Y0, Y1")
				g.i("VADDPS 32(SP), Y1, Y1")
			}
		}
		if kind == sumDotsMaskY || kind == sumDotsMaskX {
			// g = dy where lo < t < hi (t in register 1), +0 elsewhere.
			if wide {
				vecMaskedLoad(g, s, "Z1", fmt.Sprintf("%d(DI)", off), "Z2", "", 1)
			} else {
				vecMask(g, "Y1", "Y2", "Y1")
				g.i("VANDPS %d(DI), Y2, Y2", off)
			}
		}
		g.i("VADDPS %s, %s, %s", r(2), s1, s1)
		g.i("VMULPS %s, %s, %s", r(0), r(2), r(3)) // p = g·d, rounded
		g.i("VADDPS %s, %s, %s", r(3), s2, s2)
		g.i("VFMSUB231PS %s, %s, %s", r(0), r(2), r(3)) // g·d − p, exact
		g.i("VADDPS Y3, Y13, Y13")
		if wide { // the odd vector's errors after the even one's
			g.i("VEXTRACTF64X4 $1, Z3, Y3")
			g.i("VADDPS Y3, Y13, Y13")
		}
	}
	// Block totals into the float64 lanes.
	sums := []int{8, 10}
	if kind != sumPlain {
		sums = append(sums, 13) // the product errors, after the products
	}
	if wide {
		for t, r := range sums {
			if r != 13 { // even + odd halves
				g.i("VEXTRACTF64X4 $1, Z%d, Y1", r)
				g.i("VADDPS Y1, Y%d, Y%d", r, r)
			}
			t = min(t, 1)
			g.i("VCVTPS2PD Y%d, Z0", r)
			g.i("VADDPD Z0, Z%d, Z%d", 4+t, 4+t)
		}
	} else {
		g.i("VADDPS Y9, Y8, Y8")
		g.i("VADDPS Y11, Y10, Y10")
		for t, r := range sums {
			t = min(t, 1)
			g.i("VEXTRACTF128 $1, Y%d, X1", r)
			g.i("VCVTPS2PD X%d, Y0", r)
			g.i("VCVTPS2PD X1, Y1")
			g.i("VADDPD Y0, Y%d, Y%d", 4+2*t, 4+2*t)
			g.i("VADDPD Y1, Y%d, Y%d", 5+2*t, 5+2*t)
		}
	}
	for _, p := range ptrs {
		g.i("ADDQ $256, %s", p)
	}
	g.i("DECQ CX")
	g.i("JNZ %s_block", name)
	g.p("%s_store:", name)
	for q := range nacc {
		g.i("VMOVUPD %s, %d(AX)", s.r(4+q), s.bytes*q)
	}
	g.i("VZEROUPPER")
	g.i("RET")
}

// vecSumsTail emits the loop of vecSums's tail kernels; the constants and
// the lanes are loaded.
func vecSumsTail(g *gen, name string, kind sumKind, ptrs []string) {
	g.i("VCVTPS2PD X12, Y13")
	g.i("SHRQ $3, CX")
	g.i("JZ %s_store", name)
	g.p("%s_vec:", name)
	// The float32 term g (dy, masked) in Y2.
	switch kind {
	case sumDots:
		g.i("VMOVUPS (DI), Y2")
	case sumDotsMaskY:
		g.i("VMOVUPS (DX), Y1")
		g.i("VCMPPS $0x%x, Y14, Y1, Y2", cmpGT)
		g.i("VCMPPS $0x%x, Y15, Y1, Y1", cmpLT)
		g.i("VANDPS Y1, Y2, Y2")
		g.i("VANDPS (DI), Y2, Y2")
	case sumDotsMaskX:
		g.i("VMOVUPS (SI), Y0")
		g.i("VSUBPS Y12, Y0, Y0")
		g.i("VMULPS 0(SP), Y0, Y1")
		g.i("VADDPS 32(SP), Y1, Y1")
		g.i("VCMPPS $0x%x, Y14, Y1, Y2", cmpGT)
		g.i("VCMPPS $0x%x, Y15, Y1, Y1", cmpLT)
		g.i("VANDPS Y1, Y2, Y2")
		g.i("VANDPS (DI), Y2, Y2")
	}
	// d in float64 in Y0 (elements 0-3) and Y1 (4-7).
	g.i("VCVTPS2PD 0(SI), Y0")
	g.i("VCVTPS2PD 16(SI), Y1")
	g.i("VSUBPD Y13, Y0, Y0")
	g.i("VSUBPD Y13, Y1, Y1")
	if kind == sumPlain {
		g.i("VADDPD Y0, Y4, Y4")
		g.i("VADDPD Y1, Y5, Y5")
		g.i("VFMADD231PD Y0, Y0, Y6")
		g.i("VFMADD231PD Y1, Y1, Y7")
	} else {
		g.i("VEXTRACTF128 $1, Y2, X3")
		g.i("VCVTPS2PD X2, Y2")
		g.i("VCVTPS2PD X3, Y3")
		g.i("VADDPD Y2, Y4, Y4")
		g.i("VADDPD Y3, Y5, Y5")
		g.i("VFMADD231PD Y0, Y2, Y6")
		g.i("VFMADD231PD Y1, Y3, Y7")
	}
	for _, p := range ptrs {
		g.i("ADDQ $32, %s", p)
	}
	g.i("DECQ CX")
	g.i("JNZ %s_vec", name)
	g.p("%s_store:", name)
	for q := range 4 {
		g.i("VMOVUPD Y%d, %d(AX)", 4+q, 32*q)
	}
	g.i("VZEROUPPER")
	g.i("RET")
}
