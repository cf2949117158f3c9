package main

import "fmt"

// dwGradFlat512 emits, for a kernel of kh rows and kw columns (kh·kw
// sums, 5·kh window vectors, 4 chunks of dy and 4 taps in the 32
// registers: 3×3),
//
//	func name(out, dy, x *float32, offs *int32, masks *uint16, gbytes, ctail, nplane, pbytes, obytes, cmoff, gstride int)
//
// the weight-gradient sums of a stride-1 correlation over planes read in
// place, taken 16 outputs at a time in each plane's own order whatever
// the rows (chunks), with the geometry and the masks of a FlatPlan (see
// dwPlaneFlat512): for nplane ≥ 1 planes, plane j's x at x + j·pbytes, its
// dy at dy + j·pbytes and its sums at out + j·obytes (bytes), it adds to
// the 16 values at out + 64·t, t = p·kw + q,
//
//	Σ_c D(c) ⊙ S(c, p, q)   (fused, chunks c increasing)
//
// over the plane's chunks c, 64 bytes apart from its start, in groups of
// flatChunks (gbytes/(64·flatChunks) groups, whose chunks must lie wholly
// inside the plane) and a last group of ctail chunks (0 ≤ ctail ≤
// flatChunks), where D(c) is the chunk of dy (in the last group, under the
// store mask SM[s] of its slot s: lanes past the plane zero) and S(c, p, q)
// the tap (p, q) of the chunk formed as in dwPlaneFlat512: from the tap
// row's window loaded once per group (offs[2p] bytes after the group's
// start, under the load masks or without them when the group's flag says
// the window is inside the plane), VALIGND $q under the column mask
// CM[q·flatChunks + s], zeroing. The masks of group g are at masks +
// g·gstride bytes, CM at cmoff bytes after them and SM after CM, as in
// dwPlaneFlat512. The low 8 lanes of a sum are those of the even 8-lane
// vectors of the plane, the high 8 those of the odd ones: the layout of
// GradTaps' even and odd sums.
//
// The sums are Z0–Z(kh·kw−1), the chunks of dy the next 4 registers, the
// windows of the kh tap rows the next 5·kh, and the taps Z28–Z31 (one
// per slot, so that the multiply-adds of a tap's slots wait only on their
// sum). The taps are taken column by column, so that each column mask is
// loaded once per group.
func dwGradFlat512(g *gen, name string, kh, kw int) {
	const C = flatChunks
	kk := kh * kw
	dyReg := kk
	winReg := dyReg + C
	const tapReg = 28
	if winReg+5*kh > tapReg {
		panic(fmt.Sprintf("dwGradFlat512: a %d×%d kernel does not fit the registers", kh, kw))
	}
	g.text(name, "out, dy, x *float32, offs *int32, masks *uint16, gbytes, ctail, nplane, pbytes, obytes, cmoff, gstride int", 96,
		"AVX-512 %d×%d depthwise weight-gradient kernel over flattened planes; see dwGradFlat512 in tensor/internal/asmgen.", kh, kw)
	// group emits the group at byte offset R12 with its masks at R9, for
	// its first c chunks (dy under the store masks if masked), leaving R9
	// at the next group's masks.
	group := func(c int, masked bool, label string) {
		g.i("MOVQ R9, R15")
		g.i("ADDQ cmoff+80(FP), R15")
		for s := range c {
			if masked {
				g.i("KMOVW %d(R15), K%d", 2*(kw*C+s), 3+s)
				g.i("VMOVUPS.Z %d(DX)(R12*1), K%d, Z%d", 64*s, 3+s, dyReg+s)
			} else {
				g.i("VMOVUPS %d(DX)(R12*1), Z%d", 64*s, dyReg+s)
			}
		}
		for p := range kh {
			lm := 2 * p * (C + 2) // the tap row's load masks, bytes after R9
			win := winReg + 5*p
			g.i("MOVLQSX %d(BX), R13", 8*p)
			g.i("ADDQ SI, R13")
			g.i("ADDQ R12, R13")
			// Windows wholly inside the plane are loaded without masks.
			g.i("CMPW %d(R9), $-1", lm+2*(C+1))
			g.i("JEQ %s_full%d", label, p)
			for v := range c + 1 {
				g.i("KMOVW %d(R9), K%d", lm+2*v, 1+v%2)
				g.i("VMOVUPS.Z %d(R13), K%d, Z%d", 64*v, 1+v%2, win+v)
			}
			g.i("JMP %s_win%d", label, p)
			g.p("%s_full%d:", label, p)
			for v := range c + 1 {
				g.i("VMOVUPS %d(R13), Z%d", 64*v, win+v)
			}
			g.p("%s_win%d:", label, p)
		}
		for q := range kw {
			for s := range c {
				g.i("KMOVW %d(R15), K%d", 2*(q*C+s), 3+s)
			}
			for p := range kh {
				win := winReg + 5*p
				for s := range c {
					if q == 0 {
						g.i("VMOVAPS.Z Z%d, K%d, Z%d", win+s, 3+s, tapReg+s)
					} else {
						g.i("VALIGND.Z $%d, Z%d, Z%d, K%d, Z%d", q, win+s, win+s+1, 3+s, tapReg+s)
					}
					g.i("VFMADD231PS Z%d, Z%d, Z%d", tapReg+s, dyReg+s, p*kw+q)
				}
			}
		}
		g.i("ADDQ gstride+88(FP), R9")
	}
	g.i("MOVQ out+0(FP), DI")
	g.i("MOVQ dy+8(FP), DX")
	g.i("MOVQ x+16(FP), SI")
	g.i("MOVQ offs+24(FP), BX")
	g.i("MOVQ nplane+56(FP), CX")
	g.p("%s_plane:", name)
	for t := range kk {
		g.i("VMOVUPS %d(DI), Z%d", 64*t, t)
	}
	g.i("MOVQ masks+32(FP), R9")
	g.i("XORQ R12, R12") // byte offset of the group's first chunk
	g.i("CMPQ R12, gbytes+40(FP)")
	g.i("JGE %s_tail", name)
	g.p("%s_group:", name)
	group(C, false, name+"_g")
	g.i("ADDQ $%d, R12", 64*C)
	g.i("CMPQ R12, gbytes+40(FP)")
	g.i("JLT %s_group", name)
	g.p("%s_tail:", name)
	g.i("MOVQ ctail+48(FP), AX")
	for c := 1; c <= C; c++ {
		g.i("CMPQ AX, $%d", c)
		g.i("JEQ %s_tail%d", name, c)
	}
	g.p("%s_next:", name)
	for t := range kk {
		g.i("VMOVUPS Z%d, %d(DI)", t, 64*t)
	}
	g.i("ADDQ pbytes+64(FP), SI")
	g.i("ADDQ pbytes+64(FP), DX")
	g.i("ADDQ obytes+72(FP), DI")
	g.i("DECQ CX")
	g.i("JNZ %s_plane", name)
	g.i("JMP %s_done", name)
	for c := 1; c <= C; c++ {
		g.p("%s_tail%d:", name, c)
		group(c, true, fmt.Sprintf("%s_t%d", name, c))
		g.i("JMP %s_next", name)
	}
	g.done(name, false)
}

// dwPlane3x3S2Narrow512 emits
//
//	func name(y, x, w *float32, tab *int32, masks *uint16, nchunk, wbytes, ybytes, nplane, xplane, yplane int)
//
// a 3×3 correlation with stride 2 and zero padding 1 of nplane ≥ 1 planes
// of h rows of w ≤ 16 columns, plane j at x + j·xplane with its kernel at
// w + 36·j and its outputs (⌈h/2⌉ rows of wo = ⌈w/2⌉ ≤ 8) at y + j·yplane
// (bytes), two output rows at a time in one vector: chunk k < nchunk holds
// rows 2k and 2k+1 in its lanes l < wo and wo ≤ l < 2·wo, columns l mod wo.
// For each tap row p it loads the input rows 4k+p−1 and 4k+p+1 (wbytes
// apart, 16 columns from column 0; among the 5 rows 4k−1+m, m < 5, of the
// chunk, row m under the load mask masks[5k+m]: the lanes inside the row,
// or none outside the plane), and forms tap (p, q) of every lane with
// VPERMI2PS from them, the index vector tab[16q:] (input column 2j+q−1 of
// the lane's row), zeroing the lanes outside the result mask
// masks[5·nchunk + q] (column −1). The taps are added to 0 in increasing
// (p, q) with fused multiply-adds, as Taps adds them, and chunk k is
// stored at y + k·ybytes under masks[5·nchunk + 3 + k].
//
// The weights are Z0–Z8, the index vectors Z9–Z11, the rows Z12–Z16,
// the sum Z17 and the taps Z19–Z20.
func dwPlane3x3S2Narrow512(g *gen, name string) {
	g.text(name, "y, x, w *float32, tab *int32, masks *uint16, nchunk, wbytes, ybytes, nplane, xplane, yplane int", 88,
		"AVX-512 3×3 stride-2 depthwise kernel for planes up to 16 wide, two output rows to a vector; see dwPlane3x3S2Narrow512 in tensor/internal/asmgen.")
	narrowS2Tables(g, "nchunk+40(FP)", "")
	g.i("MOVQ wbytes+48(FP), BX")
	g.i("MOVQ y+0(FP), DI")
	g.i("MOVQ x+8(FP), SI")
	g.i("MOVQ w+16(FP), DX")
	g.i("MOVQ nplane+64(FP), CX")
	g.i("MOVQ xplane+72(FP), R8")
	g.p("%s_plane:", name)
	for t := range 9 {
		g.i("VBROADCASTSS %d(DX), Z%d", 4*t, t)
	}
	g.i("MOVQ SI, R13")
	g.i("SUBQ BX, R13") // row −1
	g.i("MOVQ DI, R14")
	g.i("MOVQ R9, R11")
	g.i("XORQ R12, R12") // chunk
	g.p("%s_chunk:", name)
	narrowS2Rows(g, 5)
	g.i("VPXORD Z17, Z17, Z17")
	for p := range 3 {
		for q := range 3 {
			t := 19 + (3*p+q)%2
			g.i("VMOVDQA32 Z%d, Z%d", 9+q, t)
			g.i("VPERMI2PS.Z Z%d, Z%d, K%d, Z%d", 12+p+2, 12+p, 1+q, t)
			g.i("VFMADD231PS Z%d, Z%d, Z17", t, 3*p+q)
		}
	}
	g.i("KMOVW (R10)(R12*2), K6")
	g.i("VMOVUPS Z17, K6, (R14)")
	g.i("ADDQ $10, R11")
	g.i("LEAQ (R13)(BX*4), R13")
	g.i("ADDQ ybytes+56(FP), R14")
	g.i("INCQ R12")
	g.i("CMPQ R12, nchunk+40(FP)")
	g.i("JLT %s_chunk", name)
	g.i("ADDQ xplane+72(FP), SI")
	g.i("ADDQ yplane+80(FP), DI")
	g.i("ADDQ $36, DX")
	g.i("DECQ CX")
	g.i("JNZ %s_plane", name)
	g.done(name, false)
}

// dwGradPlane3x3S2Narrow512 emits
//
//	func name(out, dy, x *float32, tab *int32, masks *uint16, nchunk, single, wbytes, ybytes, nplane, xplane, yplane int)
//
// the weight-gradient sums of the correlation of dwPlane3x3S2Narrow512
// over the same chunks of two output rows: for nplane ≥ 1 planes, plane j's
// x at x + j·xplane, its dy at dy + j·yplane and its sums at out + 576·j
// (bytes), it adds to the 16 values at out + 64·t, t = 3p + q,
//
//	Σ_k D(k) ⊙ S(k, p, q)   (fused, chunks k increasing)
//
// where S(k, p, q) is tap (p, q) of chunk k as dwPlane3x3S2Narrow512 forms
// it (masks and index vectors alike) and D(k) the chunk's dy, ybytes
// apart, under its store mask. Chunks k < nchunk hold two output rows; if
// single is 1 a last chunk k = nchunk holds one, its second rows of input
// zero (so that the taps of its lanes past wo are zero). The low 8 lanes of
// a sum and the high 8 stand for GradTaps' even and odd sums.
//
// The sums are Z0–Z8, the index vectors Z9–Z11, the rows Z12–Z16, a
// zero row Z22, the chunk's dy Z17 and the taps Z18–Z21.
func dwGradPlane3x3S2Narrow512(g *gen, name string) {
	g.text(name, "out, dy, x *float32, tab *int32, masks *uint16, nchunk, single, wbytes, ybytes, nplane, xplane, yplane int", 96,
		"AVX-512 3×3 stride-2 depthwise weight-gradient kernel for planes up to 16 wide, two output rows to a vector; see dwGradPlane3x3S2Narrow512 in tensor/internal/asmgen.")
	g.i("VPXORD Z22, Z22, Z22")
	narrowS2Tables(g, "nchunk+40(FP)", "single+48(FP)")
	g.i("MOVQ wbytes+56(FP), BX")
	g.i("MOVQ out+0(FP), DI")
	g.i("MOVQ x+16(FP), SI")
	g.i("MOVQ dy+8(FP), DX")
	g.i("MOVQ nplane+72(FP), CX")
	g.i("MOVQ xplane+80(FP), R8")
	g.i("MOVQ yplane+88(FP), R15")
	// chunk emits the chunk at rows R13 (row −1 of the chunk) with its
	// masks at R11 and its dy at R14, the index of its store mask in R12.
	chunk := func(single bool) {
		g.i("PREFETCHT0 (R14)(R15*1)") // the next plane's dy of this chunk
		g.i("KMOVW (R10)(R12*2), K6")
		g.i("VMOVUPS.Z (R14), K6, Z17")
		if single {
			narrowS2Rows(g, 3)
		} else {
			narrowS2Rows(g, 5)
		}
		for p := range 3 {
			second := 12 + p + 2
			if single {
				second = 22
			}
			for q := range 3 {
				t := 18 + (3*p+q)%4
				g.i("VMOVDQA32 Z%d, Z%d", 9+q, t)
				g.i("VPERMI2PS.Z Z%d, Z%d, K%d, Z%d", second, 12+p, 1+q, t)
				g.i("VFMADD231PS Z%d, Z17, Z%d", t, 3*p+q)
			}
		}
	}
	g.p("%s_plane:", name)
	for t := range 9 {
		g.i("VMOVUPS %d(DI), Z%d", 64*t, t)
	}
	g.i("MOVQ SI, R13")
	g.i("SUBQ BX, R13") // row −1
	g.i("MOVQ DX, R14")
	g.i("MOVQ R9, R11")
	g.i("XORQ R12, R12") // chunk
	g.i("CMPQ R12, nchunk+40(FP)")
	g.i("JGE %s_last", name)
	g.p("%s_chunk:", name)
	chunk(false)
	g.i("ADDQ $10, R11")
	g.i("LEAQ (R13)(BX*4), R13")
	g.i("ADDQ ybytes+64(FP), R14")
	g.i("INCQ R12")
	g.i("CMPQ R12, nchunk+40(FP)")
	g.i("JLT %s_chunk", name)
	g.p("%s_last:", name)
	g.i("CMPQ single+48(FP), $0")
	g.i("JEQ %s_store", name)
	chunk(true)
	g.p("%s_store:", name)
	for t := range 9 {
		g.i("VMOVUPS Z%d, %d(DI)", t, 64*t)
	}
	g.i("ADDQ $576, DI")
	g.i("ADDQ xplane+80(FP), SI")
	g.i("ADDQ yplane+88(FP), DX")
	g.i("DECQ CX")
	g.i("JNZ %s_plane", name)
	g.done(name, false)
}

// dwGradC16512 emits
//
//	func name(tot0, tot1 *float64, dy, x *float32, offs *int32, nvec, nrows, xstep, xrow, yrow int)
//
// the weight-gradient sums of a 3×3 kernel over 16 channels interleaved
// into pixels of 16 lanes (the interleaved kernels of package tensor with
// two groups of 8 channels at once): for the taps t < 9 at offs[t] bytes,
// and the vectors (r, v), r < nrows, v < nvec, with X = x + r·(xrow +
// nvec·xstep) + v·xstep and Y = dy + r·(yrow + 64·nvec) + 64·v (bytes:
// xrow and yrow are the steps from a row's end to the next row's start),
// it computes
//
//	E_t = Σ_{v even} Y ⊙ X[offs[t]],  O_t = Σ_{v odd} Y ⊙ X[offs[t]]   (fused, (r, v) increasing, from 0)
//
// and adds float64(E_t + O_t) to the 8 float64 at tot0 + 64·t (lanes 0–7)
// and at tot1 + 64·t (lanes 8–15): per lane, the sums of GradTaps (even
// and odd) and their float64 totals that the 8-lane kernels give for each
// group of 8 channels. The sums are Z0–Z17 (tap t's even and odd sums in
// Z(2t) and Z(2t+1)), dy Z18–Z19.
func dwGradC16512(g *gen, name string) {
	g.text(name, "tot0, tot1 *float64, dy, x *float32, offs *int32, nvec, nrows, xstep, xrow, yrow int", 80,
		"AVX-512 3×3 depthwise weight-gradient kernel over 16 interleaved channels; see dwGradC16512 in tensor/internal/asmgen.")
	offReg := []string{"AX", "BX", "CX", "DX", "R8", "R9", "R10", "R11", "R15"}
	g.i("MOVQ offs+32(FP), SI")
	for t := range 9 {
		g.i("MOVLQSX %d(SI), %s", 4*t, offReg[t])
	}
	for r := range 18 {
		g.i("VPXORD Z%d, Z%d, Z%d", r, r, r)
	}
	g.i("MOVQ dy+16(FP), R12")
	g.i("MOVQ x+24(FP), R13")
	g.i("MOVQ xstep+56(FP), DI")
	g.i("MOVQ nrows+48(FP), R14")
	g.p("%s_row:", name)
	g.i("MOVQ nvec+40(FP), SI")
	g.p("%s_pair:", name)
	g.i("CMPQ SI, $2")
	g.i("JLT %s_one", name)
	g.i("VMOVUPS (R12), Z18")
	g.i("VMOVUPS 64(R12), Z19")
	for t := range 9 {
		g.i("VFMADD231PS (R13)(%s*1), Z18, Z%d", offReg[t], 2*t)
	}
	g.i("ADDQ DI, R13")
	for t := range 9 {
		g.i("VFMADD231PS (R13)(%s*1), Z19, Z%d", offReg[t], 2*t+1)
	}
	g.i("ADDQ DI, R13")
	g.i("ADDQ $128, R12")
	g.i("SUBQ $2, SI")
	g.i("JMP %s_pair", name)
	g.p("%s_one:", name)
	g.i("TESTQ SI, SI")
	g.i("JZ %s_next", name)
	g.i("VMOVUPS (R12), Z18")
	for t := range 9 {
		g.i("VFMADD231PS (R13)(%s*1), Z18, Z%d", offReg[t], 2*t)
	}
	g.i("ADDQ DI, R13")
	g.i("ADDQ $64, R12")
	g.p("%s_next:", name)
	// From the row's end to the next row's start.
	g.i("ADDQ yrow+72(FP), R12")
	g.i("ADDQ xrow+64(FP), R13")
	g.i("DECQ R14")
	g.i("JNZ %s_row", name)
	g.i("MOVQ tot0+0(FP), SI")
	g.i("MOVQ tot1+8(FP), DI")
	for t := range 9 {
		g.i("VADDPS Z%d, Z%d, Z18", 2*t+1, 2*t)
		g.i("VCVTPS2PD Y18, Z19")
		g.i("VADDPD %d(SI), Z19, Z19", 64*t)
		g.i("VMOVUPD Z19, %d(SI)", 64*t)
		g.i("VEXTRACTF64X4 $1, Z18, Y18")
		g.i("VCVTPS2PD Y18, Z19")
		g.i("VADDPD %d(DI), Z19, Z19", 64*t)
		g.i("VMOVUPD Z19, %d(DI)", 64*t)
	}
	g.done(name, false)
}

// narrowS2Tables emits the prologue of the narrow stride-2 kernels: the
// index vectors tab into Z9–Z11, masks into R9, the result masks of the
// 3 tap columns into K1–K3 and the address of the store masks into R10,
// the chunks (with their masks, 10 bytes apiece) counted by the argument
// at nchunk plus, if not "", the one at single.
func narrowS2Tables(g *gen, nchunk, single string) {
	g.i("MOVQ tab+24(FP), AX")
	for q := range 3 {
		g.i("VMOVDQU32 %d(AX), Z%d", 64*q, 9+q)
	}
	g.i("MOVQ masks+32(FP), R9")
	g.i("MOVQ %s, AX", nchunk)
	if single != "" {
		g.i("ADDQ %s, AX", single)
	}
	g.i("LEAQ (R9)(AX*8), R10")
	g.i("LEAQ (R10)(AX*2), R10") // the result masks, 10 bytes per chunk on
	for q := range 3 {
		g.i("KMOVW %d(R10), K%d", 2*q, 1+q)
	}
	g.i("ADDQ $6, R10") // the store masks
}

// narrowS2Rows emits the loads of the first n of the 5 input rows of a
// chunk of the narrow stride-2 kernels, wbytes (BX) apart from R13 (row
// −1 of the chunk), into Z12 on, with their masks at R11, after
// prefetching the 5 rows of the next plane (R8 bytes on).
func narrowS2Rows(g *gen, n int) {
	g.i("LEAQ (R13)(R8*1), AX")
	for i := range 5 {
		g.i("PREFETCHT0 %d(AX)", 64*i)
	}
	g.i("MOVQ R13, AX")
	for m := range n {
		if m > 0 {
			g.i("ADDQ BX, AX")
		}
		g.i("KMOVW %d(R11), K%d", 2*m, 4+m%2)
		g.i("VMOVUPS.Z (AX), K%d, Z%d", 4+m%2, 12+m)
	}
}
