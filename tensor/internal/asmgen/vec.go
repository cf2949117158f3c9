package main

import "fmt"

// The kernels of package vec: element-wise clamps and the passes of batch
// normalization, AVX2 only (they are memory-bound; wider vectors would not
// help). Every kernel takes a count n of elements that is a multiple of
// the block it processes (8 or 16); the Go wrappers handle the rest with
// the kernels' pure-Go twins, which compute the same operations in the
// same order.

// vecKernels emits all kernels of package vec.
func vecKernels(g *gen) {
	vecClamp(g)
	vecClampMask(g, true)
	vecClampMask(g, false)
	vecSums(g)
	vecDots(g, false)
	vecDots(g, true)
	vecNorm(g)
	vecBNGrad(g, false)
	vecBNGrad(g, true)
	vecDotsX(g)
	vecBNGradX(g)
}

// vecLoop emits a loop over n/8 vectors of 8 float32, n in CX: blocks of 4
// vectors, then single vectors. body(k, off) emits the work on vector k of
// a block at byte offset off from every pointer register; ptrs are the
// pointer registers advanced after each block.
func vecLoop(g *gen, name string, ptrs []string, body func(k, off int)) {
	g.i("SHRQ $3, CX")
	g.i("MOVQ CX, BX")
	g.i("SHRQ $2, BX")
	g.i("JZ %s_one", name)
	g.p("%s_four:", name)
	for k := range 4 {
		body(k, 32*k)
	}
	for _, p := range ptrs {
		g.i("ADDQ $128, %s", p)
	}
	g.i("DECQ BX")
	g.i("JNZ %s_four", name)
	g.p("%s_one:", name)
	g.i("ANDQ $3, CX")
	g.i("JZ %s_done", name)
	g.p("%s_loop1:", name)
	body(0, 0)
	for _, p := range ptrs {
		g.i("ADDQ $32, %s", p)
	}
	g.i("DECQ CX")
	g.i("JNZ %s_loop1", name)
	g.p("%s_done:", name)
	g.i("VZEROUPPER")
	g.i("RET")
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
	g.p("")
	g.p("// func %s(dst, x *float32, n int, lo, hi float32)", name)
	g.p("// AVX2 clamp; see vecClamp in tensor/internal/asmgen.")
	g.p("TEXT ·%s(SB), NOSPLIT, $0-32", name)
	g.i("MOVQ dst+0(FP), DI")
	g.i("MOVQ x+8(FP), SI")
	g.i("MOVQ n+16(FP), CX")
	g.i("VBROADCASTSS lo+24(FP), Y14")
	g.i("VBROADCASTSS hi+28(FP), Y15")
	vecLoop(g, name, []string{"SI", "DI"}, func(k, off int) {
		r := fmt.Sprintf("Y%d", k)
		g.i("VMOVUPS %d(SI), %s", off, r)
		g.i("VMAXPS %s, Y14, %s", r, r)
		g.i("VMINPS %s, Y15, %s", r, r)
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
	g.p("")
	g.p("// func %s(%s)", name, sig)
	g.p("// AVX2 masked copy of a gradient; see vecClampMask in tensor/internal/asmgen.")
	g.p("TEXT ·%s(SB), NOSPLIT, $0-%d", name, size)
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
	vecLoop(g, name, []string{"SI", "DI", "DX"}, func(k, off int) {
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

// vecSumsLoop emits a loop over n/16 blocks of 16 float32, n in CX; body
// emits the work on a block, ptrs are advanced by 64 bytes after it.
func vecSumsLoop(g *gen, name string, ptrs []string, body func()) {
	g.i("SHRQ $4, CX")
	g.i("JZ %s_store", name)
	g.p("%s_loop:", name)
	body()
	for _, p := range ptrs {
		g.i("ADDQ $64, %s", p)
	}
	g.i("DECQ CX")
	g.i("JNZ %s_loop", name)
	g.p("%s_store:", name)
	for q := range 4 {
		g.i("VMOVUPD Y%d, %d(AX)", 4+q, 32*q)
		g.i("VMOVUPD Y%d, %d(AX)", 8+q, 128+32*q)
	}
	g.i("VZEROUPPER")
	g.i("RET")
}

// vecLoadAcc loads the 32 float64 lanes at AX: the first sums into Y4-Y7,
// the second into Y8-Y11.
func vecLoadAcc(g *gen) {
	for q := range 4 {
		g.i("VMOVUPD %d(AX), Y%d", 32*q, 4+q)
		g.i("VMOVUPD %d(AX), Y%d", 128+32*q, 8+q)
	}
}

// vecSums emits
//
//	func sumsAVX2(acc *[32]float64, x *float32, n int, shift float64)
//
// For i < n, n a multiple of 16, with d = float64(x[i]) − shift and lane
// l = i mod 16, it adds d to acc[l] and d·d to acc[16+l] (fused).
func vecSums(g *gen) {
	const name = "sumsAVX2"
	g.p("")
	g.p("// func %s(acc *[32]float64, x *float32, n int, shift float64)", name)
	g.p("// AVX2 sums of shifted values and their squares in float64; see vecSums in tensor/internal/asmgen.")
	g.p("TEXT ·%s(SB), NOSPLIT, $0-32", name)
	g.i("MOVQ acc+0(FP), AX")
	g.i("MOVQ x+8(FP), SI")
	g.i("MOVQ n+16(FP), CX")
	g.i("VBROADCASTSD shift+24(FP), Y15")
	vecLoadAcc(g)
	vecSumsLoop(g, name, []string{"SI"}, func() {
		for q := range 4 {
			g.i("VCVTPS2PD %d(SI), Y%d", 16*q, q)
		}
		for q := range 4 {
			g.i("VSUBPD Y15, Y%d, Y%d", q, q)
			g.i("VADDPD Y%d, Y%d, Y%d", q, 4+q, 4+q)
			g.i("VFMADD231PD Y%d, Y%d, Y%d", q, q, 8+q)
		}
	})
}

// vecDots emits
//
//	func dotsAVX2(acc *[32]float64, dy, x *float32, n int, mean float64)
//	func dotsMaskAVX2(acc *[32]float64, dy, x, y *float32, n int, mean float64, lo, hi float32)
//
// For i < n, n a multiple of 16, with g = float64(dy[i]) (0 in the masked
// kernel unless lo < y[i] < hi), d = float64(x[i]) − mean and lane
// l = i mod 16, it adds g to acc[l] and g·d to acc[16+l] (fused).
func vecDots(g *gen, masked bool) {
	name, sig, size := "dotsAVX2", "acc *[32]float64, dy, x *float32, n int, mean float64", 40
	if masked {
		name, sig, size = "dotsMaskAVX2", "acc *[32]float64, dy, x, y *float32, n int, mean float64, lo, hi float32", 56
	}
	g.p("")
	g.p("// func %s(%s)", name, sig)
	g.p("// AVX2 sums of a gradient and its products with centred values in float64; see vecDots in tensor/internal/asmgen.")
	g.p("TEXT ·%s(SB), NOSPLIT, $0-%d", name, size)
	g.i("MOVQ acc+0(FP), AX")
	g.i("MOVQ dy+8(FP), DI")
	g.i("MOVQ x+16(FP), SI")
	ptrs := []string{"DI", "SI"}
	if masked {
		g.i("MOVQ y+24(FP), DX")
		g.i("MOVQ n+32(FP), CX")
		g.i("VBROADCASTSD mean+40(FP), Y13")
		g.i("VBROADCASTSS lo+48(FP), Y14")
		g.i("VBROADCASTSS hi+52(FP), Y15")
		ptrs = append(ptrs, "DX")
	} else {
		g.i("MOVQ n+24(FP), CX")
		g.i("VBROADCASTSD mean+32(FP), Y13")
	}
	vecLoadAcc(g)
	vecSumsLoop(g, name, ptrs, func() {
		if masked {
			// Masked dy in Y0 and Y2 (8 float32 each), halves converted
			// into Y0-Y3.
			for h := range 2 {
				d, m, t := fmt.Sprintf("Y%d", 2*h), "Y12", fmt.Sprintf("Y%d", 2*h+1)
				g.i("VMOVUPS %d(DX), %s", 32*h, t)
				vecMask(g, t, m, d)
				g.i("VANDPS %d(DI), %s, %s", 32*h, m, d)
			}
			for h := range 2 {
				g.i("VEXTRACTF128 $1, Y%d, X%d", 2*h, 2*h+1)
				g.i("VCVTPS2PD X%d, Y%d", 2*h, 2*h)
				g.i("VCVTPS2PD X%d, Y%d", 2*h+1, 2*h+1)
			}
		} else {
			for q := range 4 {
				g.i("VCVTPS2PD %d(DI), Y%d", 16*q, q)
			}
		}
		for q := range 4 {
			g.i("VCVTPS2PD %d(SI), Y12", 16*q)
			g.i("VSUBPD Y13, Y12, Y12")
			g.i("VADDPD Y%d, Y%d, Y%d", q, 4+q, 4+q)
			g.i("VFMADD231PD Y12, Y%d, Y%d", q, 8+q)
		}
	})
}

// vecNorm emits
//
//	func normAVX2(dst, x *float32, n int, mean, a, b, lo, hi float32)
//
// dst[i] = min(max((x[i] − mean)·a + b, lo), hi) for i < n, n a multiple
// of 8, each operation rounded to float32 (no fused multiply-add), NaN
// passed through as in clampAVX2.
func vecNorm(g *gen) {
	const name = "normAVX2"
	g.p("")
	g.p("// func %s(dst, x *float32, n int, mean, a, b, lo, hi float32)", name)
	g.p("// AVX2 batch-norm normalization and clamp; see vecNorm in tensor/internal/asmgen.")
	g.p("TEXT ·%s(SB), NOSPLIT, $0-44", name)
	g.i("MOVQ dst+0(FP), DI")
	g.i("MOVQ x+8(FP), SI")
	g.i("MOVQ n+16(FP), CX")
	g.i("VBROADCASTSS mean+24(FP), Y11")
	g.i("VBROADCASTSS a+28(FP), Y12")
	g.i("VBROADCASTSS b+32(FP), Y13")
	g.i("VBROADCASTSS lo+36(FP), Y14")
	g.i("VBROADCASTSS hi+40(FP), Y15")
	vecLoop(g, name, []string{"SI", "DI"}, func(k, off int) {
		r := fmt.Sprintf("Y%d", k)
		g.i("VMOVUPS %d(SI), %s", off, r)
		g.i("VSUBPS Y11, %s, %s", r, r)
		g.i("VMULPS Y12, %s, %s", r, r)
		g.i("VADDPS Y13, %s, %s", r, r)
		g.i("VMAXPS %s, Y14, %s", r, r)
		g.i("VMINPS %s, Y15, %s", r, r)
		g.i("VMOVUPS %s, %d(DI)", r, off)
	})
}

// vecBNGrad emits
//
//	func bnGradAVX2(dx, dy, x *float32, n int, mean, k, db, kx float32)
//	func bnGradMaskAVX2(dx, dy, x, y *float32, n int, mean, k, db, kx, lo, hi float32)
//
// dx[i] = (g − db)·k − (x[i] − mean)·kx for i < n, n a multiple of 8,
// each operation rounded to float32, where g = dy[i] (in the masked
// kernel, 0 unless lo < y[i] < hi).
func vecBNGrad(g *gen, masked bool) {
	name, sig, size := "bnGradAVX2", "dx, dy, x *float32, n int, mean, k, db, kx float32", 48
	if masked {
		name, sig, size = "bnGradMaskAVX2", "dx, dy, x, y *float32, n int, mean, k, db, kx, lo, hi float32", 64
	}
	g.p("")
	g.p("// func %s(%s)", name, sig)
	g.p("// AVX2 batch-norm input gradient; see vecBNGrad in tensor/internal/asmgen.")
	g.p("TEXT ·%s(SB), NOSPLIT, $0-%d", name, size)
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
	g.i("VBROADCASTSS mean+%d(FP), Y10", base+8)
	g.i("VBROADCASTSS k+%d(FP), Y11", base+12)
	g.i("VBROADCASTSS db+%d(FP), Y12", base+16)
	g.i("VBROADCASTSS kx+%d(FP), Y13", base+20)
	if masked {
		g.i("VBROADCASTSS lo+%d(FP), Y14", base+24)
		g.i("VBROADCASTSS hi+%d(FP), Y15", base+28)
	}
	// Two vectors per step in the blocks of four (registers Y0-Y9).
	vecLoop(g, name, ptrs, func(k, off int) {
		gr, xr := fmt.Sprintf("Y%d", 2*(k%2)), fmt.Sprintf("Y%d", 2*(k%2)+1)
		if masked {
			m, t := fmt.Sprintf("Y%d", 4+2*(k%2)), fmt.Sprintf("Y%d", 5+2*(k%2))
			g.i("VMOVUPS %d(R8), %s", off, t)
			vecMask(g, t, m, gr)
			g.i("VANDPS %d(DX), %s, %s", off, m, gr)
		} else {
			g.i("VMOVUPS %d(DX), %s", off, gr)
		}
		g.i("VSUBPS Y12, %s, %s", gr, gr)
		g.i("VMULPS Y11, %s, %s", gr, gr)
		g.i("VMOVUPS %d(SI), %s", off, xr)
		g.i("VSUBPS Y10, %s, %s", xr, xr)
		g.i("VMULPS Y13, %s, %s", xr, xr)
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

// vecDotsX emits
//
//	func dotsMaskXAVX2(acc *[32]float64, dy, x *float32, n int, mean float64, mean32, a, b, lo, hi float32)
//
// dotsMaskAVX2 with the mask lo < (x − mean32)·a + b < hi computed from x.
func vecDotsX(g *gen) {
	const name = "dotsMaskXAVX2"
	g.p("")
	g.p("// func %s(acc *[32]float64, dy, x *float32, n int, mean float64, mean32, a, b, lo, hi float32)", name)
	g.p("// AVX2 sums of a gradient masked by a clamp recomputed from x; see vecDotsX in tensor/internal/asmgen.")
	g.p("TEXT ·%s(SB), NOSPLIT, $96-60", name)
	g.i("MOVQ acc+0(FP), AX")
	g.i("MOVQ dy+8(FP), DI")
	g.i("MOVQ x+16(FP), SI")
	g.i("MOVQ n+24(FP), CX")
	vecSpill(g, "mean32+40(FP)", "a+44(FP)", "b+48(FP)")
	g.i("VBROADCASTSD mean+32(FP), Y13")
	g.i("VBROADCASTSS lo+52(FP), Y14")
	g.i("VBROADCASTSS hi+56(FP), Y15")
	vecLoadAcc(g)
	vecSumsLoop(g, name, []string{"DI", "SI"}, func() {
		for h := range 2 {
			d, m := fmt.Sprintf("Y%d", 2*h), fmt.Sprintf("Y%d", 2*h+1)
			vecMaskX(g, fmt.Sprintf("%d(SI)", 32*h), m, "Y12", "")
			g.i("VANDPS %d(DI), %s, %s", 32*h, m, d)
		}
		for h := range 2 {
			g.i("VEXTRACTF128 $1, Y%d, X%d", 2*h, 2*h+1)
			g.i("VCVTPS2PD X%d, Y%d", 2*h, 2*h)
			g.i("VCVTPS2PD X%d, Y%d", 2*h+1, 2*h+1)
		}
		for q := range 4 {
			g.i("VCVTPS2PD %d(SI), Y12", 16*q)
			g.i("VSUBPD Y13, Y12, Y12")
			g.i("VADDPD Y%d, Y%d, Y%d", q, 4+q, 4+q)
			g.i("VFMADD231PD Y12, Y%d, Y%d", q, 8+q)
		}
	})
}

// vecBNGradX emits
//
//	func bnGradMaskXAVX2(dx, dy, x *float32, n int, mean, k, db, kx, a, b, lo, hi float32)
//
// bnGradMaskAVX2 with the mask lo < (x − mean)·a + b < hi computed from x.
func vecBNGradX(g *gen) {
	const name = "bnGradMaskXAVX2"
	g.p("")
	g.p("// func %s(dx, dy, x *float32, n int, mean, k, db, kx, a, b, lo, hi float32)", name)
	g.p("// AVX2 batch-norm input gradient masked by a clamp recomputed from x; see vecBNGradX in tensor/internal/asmgen.")
	g.p("TEXT ·%s(SB), NOSPLIT, $96-64", name)
	g.i("MOVQ dx+0(FP), DI")
	g.i("MOVQ dy+8(FP), DX")
	g.i("MOVQ x+16(FP), SI")
	g.i("MOVQ n+24(FP), CX")
	vecSpill(g, "mean+32(FP)", "a+48(FP)", "b+52(FP)")
	g.i("VBROADCASTSS k+36(FP), Y11")
	g.i("VBROADCASTSS db+40(FP), Y12")
	g.i("VBROADCASTSS kx+44(FP), Y13")
	g.i("VBROADCASTSS lo+56(FP), Y14")
	g.i("VBROADCASTSS hi+60(FP), Y15")
	vecLoop(g, name, []string{"DI", "DX", "SI"}, func(k, off int) {
		gr, xm := fmt.Sprintf("Y%d", 3*(k%2)), fmt.Sprintf("Y%d", 3*(k%2)+1)
		m, t := fmt.Sprintf("Y%d", 3*(k%2)+2), fmt.Sprintf("Y%d", 6+k%2)
		vecMaskX(g, fmt.Sprintf("%d(SI)", off), m, t, xm)
		g.i("VANDPS %d(DX), %s, %s", off, m, gr)
		g.i("VSUBPS Y12, %s, %s", gr, gr)
		g.i("VMULPS Y11, %s, %s", gr, gr)
		g.i("VMULPS Y13, %s, %s", xm, xm)
		g.i("VSUBPS %s, %s, %s", xm, gr, gr)
		g.i("VMOVUPS %s, %d(DI)", gr, off)
	})
}
