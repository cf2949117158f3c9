package main

import "fmt"

// c16MaxBlock is the widest block of output pixels of dwTapsC16512.
const c16MaxBlock = 8

// dwTapsC16512 emits, for blocks of b ≤ c16MaxBlock pixels of rows output
// rows (rows 1 or 2),
//
//	func name(y, x, w *float32, offs *int32, ntaps, nblk, ngrp, xrow, yrow int)
//
// a depthwise correlation over pixels of 16 lanes, each lane a channel
// (see packC16Flat512): for each group g < ngrp of rows rows, row r = rows·g
// + i, and each pixel v < b·nblk of the row, it sets the 16 values at
// y + r·yrow + 64·v to
//
//	Σ_{t<ntaps} W[t] ⊙ X(r, v)[offs[t]]   (fused, t increasing, from 0)
//
// where W[t] is the 16 values at w + 64·t and X(r, v)[o] the 16 values at
// x + r·xrow + 64·v + o (bytes). Every multiply-add takes its input pixel
// from memory (one aligned load, no shuffle) and each tap's weights serve
// the b·rows pixels of a block: the accumulators are Z0 to Z(b·rows−1),
// the weights Z31. ntaps, nblk and ngrp are at least 1.
func dwTapsC16512(g *gen, name string, b, rows int) {
	g.text(name, "y, x, w *float32, offs *int32, ntaps, nblk, ngrp, xrow, yrow int", 72,
		"AVX-512 depthwise kernel over 16 interleaved channels, blocks of %d pixels of %d rows; see dwTapsC16512 in tensor/internal/asmgen.", b, rows)
	g.i("MOVQ y+0(FP), DI")
	g.i("MOVQ x+8(FP), SI")
	g.i("MOVQ xrow+56(FP), R10")
	g.i("MOVQ yrow+64(FP), R11")
	g.i("MOVQ ngrp+48(FP), R9")
	g.p("%s_grp:", name)
	g.i("MOVQ SI, R12") // the group's first row
	g.i("MOVQ DI, R14")
	g.i("MOVQ nblk+40(FP), DX")
	g.p("%s_blk:", name)
	for a := range b * rows {
		g.i("VPXORD Z%d, Z%d, Z%d", a, a, a)
	}
	g.i("MOVQ offs+24(FP), BX")
	g.i("MOVQ w+16(FP), AX")
	g.i("MOVQ ntaps+32(FP), CX")
	g.p("%s_tap:", name)
	g.i("MOVLQSX (BX), R13")
	g.i("ADDQ SI, R13")
	g.i("VMOVUPS (AX), Z31")
	if rows > 1 {
		// The second row's pixels from their own base register: Intel
		// cores split multiply-adds whose memory operand has an index.
		g.i("LEAQ (R13)(R10*1), R15")
	}
	for i := range rows {
		for v := range b {
			if i == 0 {
				g.i("VFMADD231PS %d(R13), Z31, Z%d", 64*v, v)
			} else {
				g.i("VFMADD231PS %d(R15), Z31, Z%d", 64*v, b+v)
			}
		}
	}
	g.i("ADDQ $4, BX")
	g.i("ADDQ $64, AX")
	g.i("DECQ CX")
	g.i("JNZ %s_tap", name)
	for i := range rows {
		for v := range b {
			if i == 0 {
				g.i("VMOVUPS Z%d, %d(DI)", v, 64*v)
			} else {
				g.i("VMOVUPS Z%d, %d(DI)(R11*1)", b+v, 64*v)
			}
		}
	}
	g.i("ADDQ $%d, SI", 64*b)
	g.i("ADDQ $%d, DI", 64*b)
	g.i("DECQ DX")
	g.i("JNZ %s_blk", name)
	g.i("MOVQ R12, SI")
	g.i("MOVQ R14, DI")
	for range rows {
		g.i("ADDQ R10, SI")
		g.i("ADDQ R11, DI")
	}
	g.i("DECQ R9")
	g.i("JNZ %s_grp", name)
	g.done(name, false)
}

// unpackC16512 emits
//
//	func name(dst, src *float32, plane, n int)
//
// which spreads n pixels of 16 lanes back over 16 planes: for k < n, lane
// l of the pixel at src + 64·k goes to dst + l·plane + 4·k (plane in
// bytes). It takes 16 pixels at a time through a 16×16 transpose
// (transpose16); for the last n mod 16 it reads the 16 pixels from the
// last block's start (src holds ⌈n/16⌉·16 pixels) and stores the first
// n mod 16 elements of each plane under a mask.
func unpackC16512(g *gen, name string) {
	g.text(name, "dst, src *float32, plane, n int", 32,
		"AVX-512 spreading of pixels of 16 lanes over 16 planes; see unpackC16512 in tensor/internal/asmgen.")
	dwStepRegs(g, "plane+16(FP)")
	g.i("MOVQ dst+0(FP), DI")
	g.i("LEAQ (DI)(R8*8), R12") // planes 8–15
	g.i("MOVQ src+8(FP), SI")
	g.i("MOVQ n+24(FP), CX")
	load := func() [16]string {
		for k := range 16 {
			g.i("VMOVUPS %d(SI), Z%d", 64*k, k)
		}
		return transpose16(g)
	}
	g.p("%s_block:", name)
	g.i("CMPQ CX, $16")
	g.i("JLT %s_tail", name)
	out := load()
	for k := range 8 {
		g.i("VMOVUPS %s, %s", out[k], dwIndex("DI", k))
		g.i("VMOVUPS %s, %s", out[8+k], dwIndex("R12", k))
	}
	g.i("ADDQ $1024, SI")
	g.i("ADDQ $64, DI")
	g.i("ADDQ $64, R12")
	g.i("SUBQ $16, CX")
	g.i("JMP %s_block", name)
	g.p("%s_tail:", name)
	g.i("TESTQ CX, CX")
	g.i("JZ %s_done", name)
	g.i("MOVQ $1, R14")
	g.i("SHLQ CL, R14")
	g.i("DECQ R14")
	g.i("KMOVW R14, K1")
	out = load()
	for k := range 8 {
		g.i("VMOVUPS %s, K1, %s", out[k], dwIndex("DI", k))
		g.i("VMOVUPS %s, K1, %s", out[8+k], dwIndex("R12", k))
	}
	g.done(name, false)
}

// c16Kernels emits the kernels of dwTapsC16512 and unpackC16512.
func c16Kernels(g *gen) {
	for rows := 1; rows <= 2; rows++ {
		for b := 1; b <= c16MaxBlock; b++ {
			dwTapsC16512(g, fmt.Sprintf("tapsC16B%dR%dAVX512", b, rows), b, rows)
		}
	}
	unpackC16512(g, "unpackC16AVX512")
}
