package main

import "fmt"

// c16MaxBlock and c16MaxBlock2 are the widest blocks of output pixels of
// dwTapsC16512 with one and with two rows; c16Kws are the kernel widths
// it is emitted for.
const c16MaxBlock, c16MaxBlock2 = 14, 8

var c16Kws = []int{3, 5, 7}

// c16PrefetchBlocks is how many blocks ahead dwTapsC16512 prefetches
// its output lines: the 16 planes' lines, which a block writes a few
// values of each, come from L3 or memory otherwise, 16 misses at a time
// (Intel Xeon, one thread, GFLOP/s without → 1, 2, 4 blocks ahead: 5×5
// C576 7×7 86 → 87, 87, 87; 5×5 C144 56×56 76 → 78, 79, 77; 3×3 C384
// 14×14, which stays on FlatPlan, 35 → 40, 44, 38).
const c16PrefetchBlocks = 2

// dwTapsC16512 emits, for a kernel kw columns wide and blocks of b pixels
// of rows output rows (b·rows ≤ 16),
//
//	func name(y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int)
//
// a depthwise correlation over pixels of 16 lanes, each lane a channel
// (see packC16Flat512), whose results go to 16 planes: for each group g <
// ngrp of rows rows, row r = rows·g + i, and each pixel v < b·nblk of the
// row, it sets the float32 at y + l·plane + r·yrow + 4·v, for lanes l <
// 16, to lane l of
//
//	Σ_{p<kh, q<kw} W(p, q) ⊙ X(r+p, v+q)   (fused, (p, q) increasing, from 0)
//
// where W(p, q) is the 16 values at w + 64·(p·kw + q) and X(a, u) those at
// x + a·xrow + 64·u (bytes). For each kernel row p it loads the row's kw
// weight vectors once per block (Z16 on) and each input pixel of the
// block's window once (Z24–Z27), and applies the pixel to the up to kw
// outputs of the block it reaches, in increasing q for each output:
// b + kw − 1 + kw loads for b·kw multiply-adds, no shuffles. The
// accumulators are Z0 to Z(b·rows−1); a block's are transposed
// (transpose16) into the 16 planes, b·rows values apiece under a mask
// (the planes' lines c16PrefetchBlocks blocks on prefetched meanwhile):
// with 2 rows, the rows must be b values apart in the planes (yrow = 4·b,
// whole rows). kh, nblk and ngrp are at least 1; the caller's ngrp is
// overwritten.
func dwTapsC16512(g *gen, name string, kw, b, rows int) {
	g.text(name, "y, x, w *float32, kh, nblk, ngrp, xrow, plane, yrow int", 72,
		"AVX-512 depthwise kernel over 16 interleaved channels into 16 planes, %d-column kernels, blocks of %d pixels of %d rows; see dwTapsC16512 in tensor/internal/asmgen.", kw, b, rows)
	g.i("MOVQ $%d, R15", 1<<(b*rows)-1)
	g.i("KMOVW R15, K1")
	g.i("MOVQ y+0(FP), DI")
	g.i("MOVQ x+8(FP), SI")
	g.i("MOVQ xrow+48(FP), R10")
	g.i("MOVQ plane+56(FP), R8")
	g.i("LEAQ (R8)(R8*2), R9")
	g.i("LEAQ (R8)(R8*4), BX")
	g.i("LEAQ (R9)(R8*4), DX")
	g.p("%s_grp:", name)
	g.i("MOVQ SI, R12") // the group's first row
	g.i("MOVQ DI, R14")
	g.i("MOVQ nblk+32(FP), R11")
	g.p("%s_blk:", name)
	for a := range b * rows {
		g.i("VPXORD Z%d, Z%d, Z%d", a, a, a)
	}
	{
		// The output lines of the block c16PrefetchBlocks blocks on, in
		// all 16 planes (the first line of each), before they are written.
		g.i("LEAQ %d(DI), R15", 4*b*rows*c16PrefetchBlocks)
		g.i("LEAQ (R15)(R8*8), R13")
		for j := range 16 {
			g.i("PREFETCHT0 %s", c16Plane(j, "R15", "R13"))
		}
	}
	g.i("MOVQ SI, R13")
	g.i("MOVQ w+16(FP), AX")
	g.i("MOVQ kh+24(FP), CX")
	g.p("%s_row:", name)
	for q := range kw {
		g.i("VMOVUPS %d(AX), Z%d", 64*q, 16+q)
	}
	g.i("MOVQ R13, R15")
	for i := range rows {
		if i > 0 {
			g.i("ADDQ R10, R15")
		}
		for k := range b + kw - 1 {
			x := 24 + k%4
			g.i("VMOVUPS %d(R15), Z%d", 64*k, x)
			for q := range kw {
				if o := k - q; o >= 0 && o < b {
					g.i("VFMADD231PS Z%d, Z%d, Z%d", x, 16+q, i*b+o)
				}
			}
		}
	}
	g.i("ADDQ R10, R13")
	g.i("ADDQ $%d, AX", 64*kw)
	g.i("DECQ CX")
	g.i("JNZ %s_row", name)
	out := transpose16(g)
	g.i("LEAQ (DI)(R8*8), R15")
	for j := range 16 {
		g.i("VMOVUPS %s, K1, %s", out[j], c16Plane(j, "DI", "R15"))
	}
	g.i("ADDQ $%d, SI", 64*b)
	g.i("ADDQ $%d, DI", 4*b)
	g.i("DECQ R11")
	g.i("JNZ %s_blk", name)
	g.i("MOVQ R12, SI")
	g.i("MOVQ R14, DI")
	for range rows {
		g.i("ADDQ R10, SI")
		g.i("ADDQ yrow+64(FP), DI")
	}
	g.i("DECQ ngrp+40(FP)")
	g.i("JNZ %s_grp", name)
	g.done(name, false)
}

// c16Kernels emits the kernels of dwTapsC16512 and cpuVendor.
// c16Plane returns the address of plane j < 16 of dwTapsC16512's
// output, planes 0–7 from the register lo and 8–15 from hi (lo plus 8
// planes), with the plane stride in R8 and 3, 5 and 7 times it in R9, BX
// and DX.
func c16Plane(j int, lo, hi string) string {
	idx := [8]string{"", "(R8*1)", "(R8*2)", "(R9*1)", "(R8*4)", "(BX*1)", "(R9*2)", "(DX*1)"}
	base := lo
	if j >= 8 {
		base = hi
	}
	return "(" + base + ")" + idx[j%8]
}

func c16Kernels(g *gen) {
	for _, kw := range c16Kws {
		for b := 1; b <= c16MaxBlock; b++ {
			dwTapsC16512(g, fmt.Sprintf("tapsC16K%dB%dR1AVX512", kw, b), kw, b, 1)
		}
		for b := 1; b <= c16MaxBlock2; b++ {
			dwTapsC16512(g, fmt.Sprintf("tapsC16K%dB%dR2AVX512", kw, b), kw, b, 2)
		}
	}
}

// cpuVendor emits
//
//	func name() (ebx, edx, ecx uint32)
//
// which returns the vendor string of CPUID leaf 0 ("GenuineIntel" is
// "Genu", "ineI", "ntel").
func cpuVendor(g *gen, name string) {
	g.text(name, ") (ebx, edx, ecx uint32", 12, "CPUID leaf 0: the CPU's vendor string; see cpuVendor in tensor/internal/asmgen.")
	g.i("XORL AX, AX")
	g.i("XORL CX, CX")
	g.i("CPUID")
	g.i("MOVL BX, ebx+0(FP)")
	g.i("MOVL DX, edx+4(FP)")
	g.i("MOVL CX, ecx+8(FP)")
	g.i("RET")
}
