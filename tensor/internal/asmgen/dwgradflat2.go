package main

import "fmt"

// dwGradFlat2 emits
//
//	func name(out, dy, x *float32, offs *int32, masks *int32, nvec, nplane, pbytes, obytes int)
//
// the AVX2 kernel of the weight-gradient sums of dwGradFlat512 for 3×3
// kernels, the same fused multiply-adds in the same order: for nplane ≥ 1
// planes, plane j's x at x + j·pbytes, its dy at dy + j·pbytes and its
// sums at out + j·obytes (bytes), it adds to the 8 values at out + 64·t +
// 32·e, t = 3p + q, e < 2,
//
//	Σ_{v ≡ e mod 2} D(v) ⊙ S(v, p, q)   (fused, v increasing)
//
// over the nvec vectors v of 8 outputs of the plane in its own order (the
// even and odd halves of dwGradFlat512's chunks), where D(v) is dy at 32·v
// bytes from the plane's start under the output mask of v and S(v, p, q)
// the 8 values of x at 32·v + offs[2p] + 4q bytes under the column mask of
// (v, q) and the row mask of (v, p), both as the lanes of a VMASKMOVPS
// load. The masks of vector v are 8 vectors of 8 int32 at masks + 256·v:
// the column masks of q = 0, 1, 2 (the lanes inside the plane's outputs
// whose tap column is inside the row), the row masks of p = 0, 1, 2 (the
// lanes inside the plane's outputs whose tap row is inside the plane), the
// output mask (the lanes inside the plane's outputs) and a flag, nonzero
// in its first int32 if the vector's outputs and all its taps' loads lie
// inside the plane: then dy and the taps are loaded without masks, each
// tap ANDed with its column mask (the row masks are all set).
//
// The sums are Y0–Y8, dy Y9, the column masks Y10–Y12, the row mask Y13
// and the taps Y14–Y15 (alternating). The even vectors of a plane are
// taken first, then the odd ones.
func dwGradFlat2(g *gen, name string) {
	g.text(name, "out, dy, x *float32, offs *int32, masks *int32, nvec, nplane, pbytes, obytes int", 72,
		"AVX2 3×3 depthwise weight-gradient kernel over flattened planes; see dwGradFlat2 in tensor/internal/asmgen.")
	rowReg := []string{"R8", "R10", "R11"}
	g.i("MOVQ out+0(FP), DI")
	g.i("MOVQ dy+8(FP), DX")
	g.i("MOVQ x+16(FP), SI")
	g.i("MOVQ offs+24(FP), BX")
	g.i("MOVQ nplane+48(FP), CX")
	g.p("%s_plane:", name)
	for p := range 3 {
		g.i("MOVLQSX %d(BX), %s", 8*p, rowReg[p])
		g.i("ADDQ SI, %s", rowReg[p])
	}
	for e := range 2 {
		for t := range 9 {
			g.i("VMOVUPS %d(DI), Y%d", 64*t+32*e, t)
		}
		g.i("MOVQ masks+32(FP), R9")
		g.i("MOVQ $%d, R12", 32*e) // byte offset of the vector
		g.i("MOVQ $%d, AX", e)     // vector
		g.i("CMPQ AX, nvec+40(FP)")
		g.i("JGE %s_store%d", name, e)
		if e == 1 {
			g.i("ADDQ $256, R9")
		}
		g.p("%s_vec%d:", name, e)
		for q := range 3 {
			g.i("VMOVDQU %d(R9), Y%d", 32*q, 10+q)
		}
		g.i("CMPL 224(R9), $0")
		g.i("JEQ %s_masked%d", name, e)
		// Inside: every load within the plane, the row masks all set.
		g.i("VMOVUPS (DX)(R12*1), Y9")
		for p := range 3 {
			for q := range 3 {
				t := 3*p + q
				tap := 14 + t%2
				g.i("VANDPS %d(%s)(R12*1), Y%d, Y%d", 4*q, rowReg[p], 10+q, tap)
				g.i("VFMADD231PS Y%d, Y9, Y%d", tap, t)
			}
		}
		g.i("JMP %s_step%d", name, e)
		g.p("%s_masked%d:", name, e)
		g.i("VMOVDQU 192(R9), Y13")
		g.i("VMASKMOVPS (DX)(R12*1), Y13, Y9")
		for p := range 3 {
			g.i("VMOVDQU %d(R9), Y13", 96+32*p)
			for q := range 3 {
				t := 3*p + q
				tap := 14 + t%2
				g.i("VANDPS Y13, Y%d, Y%d", 10+q, tap)
				g.i("VMASKMOVPS %d(%s)(R12*1), Y%d, Y%d", 4*q, rowReg[p], tap, tap)
				g.i("VFMADD231PS Y%d, Y9, Y%d", tap, t)
			}
		}
		g.p("%s_step%d:", name, e)
		g.i("ADDQ $512, R9")
		g.i("ADDQ $64, R12")
		g.i("ADDQ $2, AX")
		g.i("CMPQ AX, nvec+40(FP)")
		g.i("JLT %s_vec%d", name, e)
		g.p("%s_store%d:", name, e)
		for t := range 9 {
			g.i("VMOVUPS Y%d, %d(DI)", t, 64*t+32*e)
		}
	}
	g.i("ADDQ pbytes+56(FP), SI")
	g.i("ADDQ pbytes+56(FP), DX")
	g.i("ADDQ obytes+64(FP), DI")
	g.i("DECQ CX")
	g.i("JNZ %s_plane", name)
	g.done(name, false)
}

// dwGradPlane3x3S2Narrow2 emits
//
//	func name(out, dy, x, cols *float32, masks *int32, h, wbytes, nchunk, single, wo, cstride, ybytes, nplane, xplane, yplane int)
//
// the AVX2 kernel of the sums of dwGradPlane3x3S2Narrow512 (the weight
// gradient of a 3×3 correlation with stride 2 and zero padding 1 over
// planes of h rows of w ≤ 16 columns, two output rows of wo = ⌈w/2⌉ to a
// chunk of 16 lanes), the same fused multiply-adds in the same order: for
// nplane ≥ 1 planes, plane j's x at x + j·xplane, its dy at dy + j·yplane
// and its sums at out + 576·j (bytes), it adds to the 8 values at out +
// 64·t + 32·e, t = 3p + q, the lanes 8e to 8e+7 of dwGradPlane3x3S2Narrow512's
// sums, over nchunk chunks of two rows and, if single is 1, a last chunk
// of one row (ybytes = 8·wo bytes of dy apart), the rows of x wbytes
// apart.
//
// For each plane it first splits the rows of x by column into three
// planes C_q, q < 3, at cols + q·cstride (bytes), 16 floats a row, row a
// at 64·(a+1) bytes: C_q(a, j) = X(a, 2j+q−1) for j < wo and 0 for j ≥ wo
// (the buffer's other rows and lanes must be zero and stay so). Tap (p, q)
// of chunk k is then, in lanes l < wo, C_q(4k+p−1, l), and in lanes wo ≤ l
// < 16, C_q(4k+p+1, l−wo) (zero in a single chunk): lanes 0–7 the OR of a
// load of row 4k+p−1 and one of row 4k+p+1 wo lanes early (each zero where
// the other holds values), lanes 8–15 a load of row 4k+p+1 at 8−wo. Dy is
// loaded under masks[8:] (lanes 0–7) and masks[16:] (lanes 8–15), or
// masks[24:] and masks[32:] in a single chunk; the rows of x under
// masks[0:] (columns 0–7) and masks[8·5:] (8–15), and C_0's rows are
// stored one lane late under masks[8·6:] (lanes below wo−1).
//
// The sums are Y0–Y8, dy Y9, the taps Y10–Y11 and a zero Y12; the split
// takes Y0–Y4 (before the sums are loaded).
func dwGradPlane3x3S2Narrow2(g *gen, name string) {
	g.text(name, "out, dy, x, cols *float32, masks *int32, h, wbytes, nchunk, single, wo, cstride, ybytes, nplane, xplane, yplane int", 120,
		"AVX2 3×3 stride-2 depthwise weight-gradient kernel for planes up to 16 wide; see dwGradPlane3x3S2Narrow2 in tensor/internal/asmgen.")
	g.i("MOVQ out+0(FP), DI")
	g.i("MOVQ dy+8(FP), DX")
	g.i("MOVQ x+16(FP), SI")
	g.i("MOVQ masks+32(FP), R9")
	g.i("MOVQ wbytes+48(FP), R8")
	g.i("MOVQ nplane+96(FP), R10")
	g.i("MOVQ cstride+80(FP), BX")
	g.i("MOVQ wo+72(FP), R15")
	g.i("SHLQ $2, R15")
	g.i("NEGQ R15") // −4·wo
	g.i("VXORPS Y12, Y12, Y12")
	g.p("%s_plane:", name)
	// Split the rows into C_0, C_1, C_2.
	g.i("VMOVDQU 0(R9), Y3")
	g.i("VMOVDQU 160(R9), Y4")
	g.i("MOVQ SI, AX")
	g.i("MOVQ cols+24(FP), R13")
	g.i("ADDQ $64, R13") // row 0
	g.i("MOVQ h+40(FP), CX")
	g.p("%s_row:", name)
	g.i("VMASKMOVPS (AX), Y3, Y0")
	g.i("VMASKMOVPS 32(AX), Y4, Y1")
	g.i("VSHUFPS $0x88, Y1, Y0, Y2")
	g.i("VSHUFPS $0xdd, Y1, Y0, Y1")
	g.i("VPERMPD $0xd8, Y2, Y2")
	g.i("VPERMPD $0xd8, Y1, Y1")
	g.i("VMOVUPS Y2, (R13)(BX*1)") // C_1: column 2j
	g.i("VMOVUPS Y1, (R13)(BX*2)") // C_2: column 2j+1
	g.i("VANDPS 192(R9), Y1, Y1")
	g.i("VMOVUPS Y1, 4(R13)") // C_0: column 2j−1
	g.i("ADDQ $64, R13")
	g.i("ADDQ R8, AX")
	g.i("DECQ CX")
	g.i("JNZ %s_row", name)
	for e := range 2 {
		for t := range 9 {
			g.i("VMOVUPS %d(DI), Y%d", 64*t+32*e, t)
		}
		g.i("MOVQ cols+24(FP), R13") // row −1 of the chunk
		g.i("LEAQ %d(R13)(R15*1), R14", 128+32*e)
		g.i("LEAQ %d(DX), R12", 32*e)
		g.i("MOVQ nchunk+56(FP), CX")
		g.i("TESTQ CX, CX")
		g.i("JZ %s_last%d", name, e)
		g.i("VMOVDQU %d(R9), Y13", 32+32*e)
		g.p("%s_chunk%d:", name, e)
		g.i("VMASKMOVPS (R12), Y13, Y9")
		for p := range 3 {
			for q := range 3 {
				t := 3*p + q
				tap := 10 + t%2
				idx := []string{"", "(BX*1)", "(BX*2)"}[q]
				if e == 0 {
					g.i("VMOVUPS %d(R13)%s, Y%d", 64*p, idx, tap)
					g.i("VORPS %d(R14)%s, Y%d, Y%d", 64*p, idx, tap, tap)
				} else {
					g.i("VMOVUPS %d(R14)%s, Y%d", 64*p, idx, tap)
				}
				g.i("VFMADD231PS Y%d, Y9, Y%d", tap, t)
			}
		}
		g.i("ADDQ $256, R13")
		g.i("ADDQ $256, R14")
		g.i("ADDQ ybytes+88(FP), R12")
		g.i("DECQ CX")
		g.i("JNZ %s_chunk%d", name, e)
		g.p("%s_last%d:", name, e)
		g.i("CMPQ single+64(FP), $0")
		g.i("JEQ %s_store%d", name, e)
		g.i("VMOVDQU %d(R9), Y13", 96+32*e)
		g.i("VMASKMOVPS (R12), Y13, Y9")
		for p := range 3 {
			for q := range 3 {
				t := 3*p + q
				tap := 10 + t%2
				idx := []string{"", "(BX*1)", "(BX*2)"}[q]
				if e == 0 {
					g.i("VMOVUPS %d(R13)%s, Y%d", 64*p, idx, tap)
					g.i("VFMADD231PS Y%d, Y9, Y%d", tap, t)
				} else {
					g.i("VFMADD231PS Y12, Y9, Y%d", t)
				}
			}
		}
		g.p("%s_store%d:", name, e)
		for t := range 9 {
			g.i("VMOVUPS Y%d, %d(DI)", t, 64*t+32*e)
		}
	}
	g.i("ADDQ $576, DI")
	g.i("ADDQ xplane+104(FP), SI")
	g.i("ADDQ yplane+112(FP), DX")
	g.i("DECQ R10")
	g.i("JNZ %s_plane", name)
	g.done(name, false)
}

// dwSumLanes9 emits
//
//	func name(dw, sums, tmp *float32, nblock, stride int)
//
// the weight gradients of 8·nblock channels of a 3×3 kernel from their
// even and odd partial sums (the layout of GradTaps: tap t's even sums at
// 64·t bytes from the channel's, its odd ones 32 bytes on; channel o's at
// sums + o·stride bytes): for t < 9,
//
//	dw[9o + t] = (…((0 + P_t[0]) + P_t[1]) + …) + P_t[7],  P_t = E_t + O_t,
//
// each addition rounded to float32, as the lanes added one at a time.
// Taps 0–7 of a channel are its P_t (Y0–Y7) transposed (Y8–Y15) and
// added up lane by lane in Y0; tap 8 waits at tmp (64 float32s) for the
// block's 8 channels and is transposed and added up the same way.
func dwSumLanes9(g *gen, name string) {
	g.text(name, "dw, sums, tmp *float32, nblock, stride int", 40,
		"AVX2 sums of the lanes of a 3×3 kernel's partial weight-gradient sums; see dwSumLanes9 in tensor/internal/asmgen.")
	var r, t [8]string
	for i := range 8 {
		r[i], t[i] = fmt.Sprintf("Y%d", i), fmt.Sprintf("Y%d", 8+i)
	}
	// fold adds the columns out[0..7] to 0 in Y0, in order.
	fold := func(out [8]string) {
		g.i("VXORPS Y0, Y0, Y0")
		for _, q := range out {
			g.i("VADDPS %s, Y0, Y0", q)
		}
	}
	g.i("MOVQ dw+0(FP), DI")
	g.i("MOVQ sums+8(FP), SI")
	g.i("MOVQ tmp+16(FP), DX")
	g.i("MOVQ nblock+24(FP), CX")
	g.i("MOVQ stride+32(FP), BX")
	g.i("TESTQ CX, CX")
	g.i("JZ %s_done", name)
	g.p("%s_block:", name)
	g.i("MOVQ SI, AX")
	for c := range 8 {
		for tp := range 8 {
			g.i("VMOVUPS %d(AX), Y%d", 64*tp, tp)
			g.i("VADDPS %d(AX), Y%d, Y%d", 64*tp+32, tp, tp)
		}
		fold(transpose8(g, r, t))
		g.i("VMOVUPS Y0, %d(DI)", 36*c)
		g.i("VMOVUPS 512(AX), Y1")
		g.i("VADDPS 544(AX), Y1, Y1")
		g.i("VMOVUPS Y1, %d(DX)", 32*c)
		g.i("ADDQ BX, AX")
	}
	for c := range 8 {
		g.i("VMOVUPS %d(DX), Y%d", 32*c, c)
	}
	fold(transpose8(g, r, t))
	g.i("VMOVUPS Y0, (DX)")
	for c := range 8 {
		g.i("MOVL %d(DX), R8", 4*c)
		g.i("MOVL R8, %d(DI)", 36*c+32)
	}
	g.i("ADDQ $288, DI")
	g.i("MOVQ AX, SI")
	g.i("DECQ CX")
	g.i("JNZ %s_block", name)
	g.done(name, false)
}

// packC16Flat512 emits
//
//	func name(dst, src *float32, plane, n, wbytes, drow int)
//
// which interleaves 16 planes into pixels of 16 lanes: for k < n, with
// (r, b) = (⌊k/w⌋, k mod w), w = wbytes/64, lane l of the pixel at dst +
// r·drow + 64·b receives the element at src + l·plane + 4·k (strides in
// bytes): the rows of a map stored one after the other, or one row. It
// takes 16 elements of each plane at a time (a tail of n mod 16 under a
// load mask) through a 16×16 transpose (transpose16) and stores the
// pixels one by one, stepping to the next row every w. It prefetches the
// same elements of the next 16 planes (those of the next group of
// channels, which a caller packs next).
func packC16Flat512(g *gen, name string) {
	g.text(name, "dst, src *float32, plane, n, wbytes, drow int", 48,
		"AVX-512 interleaving of 16 planes into pixels of 16 lanes; see packC16Flat512 in tensor/internal/asmgen.")
	dwStepRegs(g, "plane+16(FP)")
	g.i("MOVQ src+8(FP), AX")
	g.i("LEAQ (AX)(R8*8), R12") // planes 8–15
	g.i("MOVQ dst+0(FP), DI")
	g.i("XORQ BX, BX") // 64·b
	g.i("MOVQ n+24(FP), CX")
	g.i("MOVQ wbytes+32(FP), DX")
	g.i("MOVQ drow+40(FP), R13")
	// The next 16 planes (the next call's), prefetched as these are read.
	g.i("LEAQ (AX)(R8*8), SI")
	g.i("LEAQ (SI)(R8*8), SI")
	g.i("LEAQ (R12)(R8*8), R15")
	g.i("LEAQ (R15)(R8*8), R15")
	// store emits the stores of the first m pixels of the block, leaving
	// the loop after pixel cnt (CX) if tail.
	store := func(out [16]string, tail bool, label string) {
		for j := range 16 {
			g.i("VMOVUPS %s, (DI)(BX*1)", out[j])
			g.i("ADDQ $64, BX")
			g.i("CMPQ BX, DX")
			g.i("JNE %s_s%d", label, j)
			g.i("XORQ BX, BX")
			g.i("ADDQ R13, DI")
			g.p("%s_s%d:", label, j)
			if tail && j < 15 {
				g.i("CMPQ CX, $%d", j+1)
				g.i("JEQ %s_done", name)
			}
		}
	}
	var rows [16]string
	for i := range rows {
		rows[i] = fmt.Sprintf("Z%d", i)
	}
	g.p("%s_block:", name)
	g.i("CMPQ CX, $16")
	g.i("JLT %s_tail", name)
	for k := range 8 {
		g.i("VMOVUPS %s, Z%d", dwIndex("AX", k), k)
		g.i("VMOVUPS %s, Z%d", dwIndex("R12", k), 8+k)
	}
	for k := range 8 {
		g.i("PREFETCHT0 %s", dwIndex("SI", k))
		g.i("PREFETCHT0 %s", dwIndex("R15", k))
	}
	store(transpose16(g), false, name+"_b")
	g.i("ADDQ $64, AX")
	g.i("ADDQ $64, R12")
	g.i("ADDQ $64, SI")
	g.i("ADDQ $64, R15")
	g.i("SUBQ $16, CX")
	g.i("JMP %s_block", name)
	g.p("%s_tail:", name)
	g.i("TESTQ CX, CX")
	g.i("JZ %s_done", name)
	g.i("MOVQ $1, R14")
	g.i("SHLQ CL, R14")
	g.i("DECQ R14")
	g.i("KMOVW R14, K1")
	for k := range 8 {
		g.i("VMOVUPS.Z %s, K1, Z%d", dwIndex("AX", k), k)
		g.i("VMOVUPS.Z %s, K1, Z%d", dwIndex("R12", k), 8+k)
	}
	for k := range 8 {
		g.i("PREFETCHT0 %s", dwIndex("SI", k))
		g.i("PREFETCHT0 %s", dwIndex("R15", k))
	}
	store(transpose16(g), true, name+"_t")
	g.done(name, false)
}

// transpose16 transposes the 16×16 block of float32 held in rows Z0–Z15
// (row i in Zi) through Z16–Z31; on return column j of the block is in
// Zj. Within each 128-bit lane, 4×4 blocks are transposed by VUNPCKLPS,
// VUNPCKHPS and VSHUFPS (as transpose8); the 128-bit lanes are then
// exchanged among the groups of 4 rows by two rounds of VSHUFF32X4.
func transpose16(g *gen) (out [16]string) {
	z := func(i int) string { return fmt.Sprintf("Z%d", i) }
	for a := range 4 {
		r := 4 * a
		g.i("VUNPCKLPS %s, %s, %s", z(r+1), z(r), z(16+r))
		g.i("VUNPCKHPS %s, %s, %s", z(r+1), z(r), z(16+r+1))
		g.i("VUNPCKLPS %s, %s, %s", z(r+3), z(r+2), z(16+r+2))
		g.i("VUNPCKHPS %s, %s, %s", z(r+3), z(r+2), z(16+r+3))
		// U[a][c] in Z(4a+c): column c of each 128-bit lane of rows 4a to 4a+3.
		g.i("VSHUFPS $0x44, %s, %s, %s", z(16+r+2), z(16+r), z(r))
		g.i("VSHUFPS $0xee, %s, %s, %s", z(16+r+2), z(16+r), z(r+1))
		g.i("VSHUFPS $0x44, %s, %s, %s", z(16+r+3), z(16+r+1), z(r+2))
		g.i("VSHUFPS $0xee, %s, %s, %s", z(16+r+3), z(16+r+1), z(r+3))
	}
	for c := range 4 {
		u := func(a int) string { return z(4*a + c) }
		v := 16 + 4*c
		g.i("VSHUFF32X4 $0x44, %s, %s, %s", u(1), u(0), z(v))
		g.i("VSHUFF32X4 $0xee, %s, %s, %s", u(1), u(0), z(v+1))
		g.i("VSHUFF32X4 $0x44, %s, %s, %s", u(3), u(2), z(v+2))
		g.i("VSHUFF32X4 $0xee, %s, %s, %s", u(3), u(2), z(v+3))
	}
	for c := range 4 {
		v := 16 + 4*c
		// Column 4m + c: 128-bit lane m of U[0..3][c].
		g.i("VSHUFF32X4 $0x88, %s, %s, %s", z(v+2), z(v), z(c))
		g.i("VSHUFF32X4 $0xdd, %s, %s, %s", z(v+2), z(v), z(4+c))
		g.i("VSHUFF32X4 $0x88, %s, %s, %s", z(v+3), z(v+1), z(8+c))
		g.i("VSHUFF32X4 $0xdd, %s, %s, %s", z(v+3), z(v+1), z(12+c))
	}
	for j := range out {
		out[j] = z(j)
	}
	return out
}
