package main

import "fmt"

// The AVX-512 kernels of package dwconv. They compute dwTaps's and
// dwGradTaps's sums on vectors of 8 lanes that lie one after the other
// along each row (8 float32 apart in x and in y), two vectors to a 16-lane
// zmm register: every lane still receives its taps' fused multiply-adds in
// the same order, so the results are those of the AVX2 kernels bit for
// bit. A row's odd last vector is computed in a ymm register (tap kernels)
// or by masked instructions on the low half (weight-gradient kernel).

// dwOffRegs are the registers of the byte offsets of up to 9 taps in the
// AVX-512 kernels.
var dwOffRegs = [9]string{"AX", "BX", "CX", "DX", "R8", "R9", "R10", "R11", "R12"}

// bcastWeight512 broadcasts the weights of tap t at base register b into
// the zmm register dst: one weight to every lane, or with vecW a vector
// of 8 weights to both halves.
func bcastWeight512(g *gen, vecW bool, t int, b, dst string) {
	if vecW {
		g.i("VBROADCASTF64X4 %d(%s), %s", 32*t, b, dst)
	} else {
		g.i("VBROADCASTSS %d(%s), %s", 4*t, b, dst)
	}
}

// dwTaps512 emits
//
//	func name(y, x, w *float32, offs *int32, ntaps, nvec, nrows, xrow, yrow, acc int)
//
// dwTaps's kernel (same sums, bit for bit) for vectors one after the other
// along rows: vector v of row r starts at X = x + r·xrow + 32·v and Y = y +
// r·yrow + 32·v (xrow and yrow in bytes), for r < nrows and v < nvec.
// Each row is computed in blocks of 4, 2 and 1 zmm registers (8, 4 and 2
// vectors) and a ymm register for an odd last vector.
//
// With 9 taps (3×3 kernels) the weights stay in Z6–Z14 and the tap offsets
// in general registers for the whole call, and each block computes its 9
// taps without a loop; other tap counts loop over the taps per block,
// broadcasting each tap's weights into Z15.
//
// With vecW, w holds a vector of 8 weights per tap, as in dwTaps,
// broadcast to both halves of a zmm register. With nt, the vectors are
// stored with non-temporal stores, 32 bytes at a time (every Y must be
// 32-byte aligned), followed by an SFENCE.
func dwTaps512(g *gen, name string, vecW, nt bool) {
	s := avx512
	g.p("")
	g.p("// func %s(y, x, w *float32, offs *int32, ntaps, nvec, nrows, xrow, yrow, acc int)", name)
	g.p("// AVX-512 depthwise tap kernel for vectors along rows; see dwTaps512 in tensor/internal/asmgen.")
	if nt {
		g.p("// Non-temporal stores: every output vector must be 32-byte aligned.")
	}
	g.p("TEXT ·%s(SB), NOSPLIT, $0-80", name)
	// store writes zmm accumulator j to off(DI).
	store := func(j, off int) {
		if !nt {
			g.i("VMOVUPS %s, %d(DI)", s.r(j), off)
			return
		}
		g.i("VMOVNTPS Y%d, %d(DI)", j, off)
		g.i("VEXTRACTF64X4 $1, %s, Y15", s.r(j))
		g.i("VMOVNTPS Y15, %d(DI)", off+32)
	}
	storeY := func() {
		if nt {
			g.i("VMOVNTPS Y0, (DI)")
		} else {
			g.i("VMOVUPS Y0, (DI)")
		}
	}
	// rowEnd advances x and y to the next row and loops.
	rowEnd := func(lbl string) {
		g.i("MOVQ xrow+56(FP), R13")
		g.i("ADDQ R13, x+8(FP)")
		g.i("MOVQ yrow+64(FP), R13")
		g.i("ADDQ R13, y+0(FP)")
		g.i("DECQ R14")
		g.i("JNZ %s", lbl)
	}
	g.i("MOVQ nrows+48(FP), R14")
	g.i("TESTQ R14, R14")
	g.i("JZ %s_done", name)
	g.i("MOVQ ntaps+32(FP), AX")
	g.i("CMPQ AX, $9")
	g.i("JNE %s_gen", name)

	// 9 taps: weights in Z6-Z14, offsets (bytes) in dwOffRegs.
	wt := func(t int) string { return s.r(6 + t) }
	g.i("MOVQ w+16(FP), BX")
	for t := range 9 {
		bcastWeight512(g, vecW, t, "BX", wt(t))
	}
	g.i("MOVQ offs+24(FP), SI")
	for t, r := range dwOffRegs {
		g.i("MOVLQSX %d(SI), %s", 4*t, r)
		g.i("SHLQ $2, %s", r)
	}
	for _, acc := range []bool{false, true} {
		pre := name + "_r9"
		if acc {
			pre = name + "_r9acc"
			g.p("%s:", pre)
		} else {
			g.i("MOVQ acc+72(FP), R13")
			g.i("TESTQ R13, R13")
			g.i("JNZ %s_r9acc", name)
		}
		g.p("%s_row:", pre)
		g.i("MOVQ x+8(FP), SI")
		g.i("MOVQ y+0(FP), DI")
		g.i("MOVQ nvec+40(FP), R13")
		for _, bs := range []int{4, 2, 1} {
			lbl := fmt.Sprintf("%s_b%d", pre, bs)
			g.p("%s:", lbl)
			g.i("CMPQ R13, $%d", 2*bs)
			g.i("JLT %s_end", lbl)
			for j := range bs {
				if acc {
					g.i("VMOVUPS %d(DI), %s", 64*j, s.r(j))
				} else {
					g.i("VPXORD %s, %s, %s", s.r(j), s.r(j), s.r(j))
				}
			}
			for t, r := range dwOffRegs {
				for j := range bs {
					g.i("VFMADD231PS %d(SI)(%s*1), %s, %s", 64*j, r, wt(t), s.r(j))
				}
			}
			for j := range bs {
				store(j, 64*j)
			}
			g.i("ADDQ $%d, SI", 64*bs)
			g.i("ADDQ $%d, DI", 64*bs)
			g.i("SUBQ $%d, R13", 2*bs)
			if bs == 4 {
				g.i("JMP %s", lbl)
			}
			g.p("%s_end:", lbl)
		}
		g.i("TESTQ R13, R13")
		g.i("JZ %s_next", pre)
		if acc {
			g.i("VMOVUPS (DI), Y0")
		} else {
			g.i("VXORPS Y0, Y0, Y0")
		}
		for t, r := range dwOffRegs {
			g.i("VFMADD231PS (SI)(%s*1), Y%d, Y0", r, 6+t)
		}
		storeY()
		g.p("%s_next:", pre)
		rowEnd(pre + "_row")
		g.i("JMP %s_done", name)
	}

	// Other tap counts: a loop over the taps per block.
	g.p("%s_gen:", name)
	wstep := 4
	if vecW {
		wstep = 32
	}
	tapLoopHead := func(lbl string) {
		g.i("MOVQ w+16(FP), BX")
		g.i("MOVQ offs+24(FP), DX")
		g.i("MOVQ ntaps+32(FP), CX")
		g.p("%s_tap:", lbl)
		bcastWeight512(g, vecW, 0, "BX", "Z15")
		g.i("MOVLQSX (DX), AX")
		g.i("LEAQ (SI)(AX*4), AX")
	}
	tapLoopTail := func(lbl string) {
		g.i("ADDQ $%d, BX", wstep)
		g.i("ADDQ $4, DX")
		g.i("DECQ CX")
		g.i("JNZ %s_tap", lbl)
	}
	g.p("%s_grow:", name)
	g.i("MOVQ x+8(FP), SI")
	g.i("MOVQ y+0(FP), DI")
	g.i("MOVQ nvec+40(FP), R13")
	for _, bs := range []int{8, 4, 2, 1} {
		lbl := fmt.Sprintf("%s_g%d", name, bs)
		g.p("%s:", lbl)
		g.i("CMPQ R13, $%d", 2*bs)
		g.i("JLT %s_end", lbl)
		g.i("MOVQ acc+72(FP), AX")
		g.i("TESTQ AX, AX")
		g.i("JNZ %s_load", lbl)
		for j := range bs {
			g.i("VPXORD %s, %s, %s", s.r(j), s.r(j), s.r(j))
		}
		g.i("JMP %s_taps", lbl)
		g.p("%s_load:", lbl)
		for j := range bs {
			g.i("VMOVUPS %d(DI), %s", 64*j, s.r(j))
		}
		g.p("%s_taps:", lbl)
		tapLoopHead(lbl)
		for j := range bs {
			g.i("VFMADD231PS %d(AX), Z15, %s", 64*j, s.r(j))
		}
		tapLoopTail(lbl)
		for j := range bs {
			store(j, 64*j)
		}
		g.i("ADDQ $%d, SI", 64*bs)
		g.i("ADDQ $%d, DI", 64*bs)
		g.i("SUBQ $%d, R13", 2*bs)
		g.i("JMP %s", lbl)
		g.p("%s_end:", lbl)
	}
	lbl := name + "_gh"
	g.i("TESTQ R13, R13")
	g.i("JZ %s_next", name)
	g.i("VXORPS Y0, Y0, Y0")
	g.i("MOVQ acc+72(FP), AX")
	g.i("TESTQ AX, AX")
	g.i("JZ %s_taps", lbl)
	g.i("VMOVUPS (DI), Y0")
	g.p("%s_taps:", lbl)
	tapLoopHead(lbl)
	g.i("VFMADD231PS (AX), Y15, Y0")
	tapLoopTail(lbl)
	storeY()
	g.p("%s_next:", name)
	rowEnd(name + "_grow")
	g.done(name, nt)
}

// dwGradTaps512 emits
//
//	func name(out, dy, x *float32, offs *int64, ntaps, nvec, nrows, xrow, yrow int)
//
// dwGradTaps's kernel (same sums, bit for bit) for 1 ≤ ntaps ≤ 9 taps and
// vectors one after the other along rows: vector v of row r starts at
// DY = dy + r·yrow + 32·v and X = x + r·xrow + 32·v (bytes), for
// r < nrows and v < nvec. For t < ntaps, the even and odd partial sums at
// out + 64·t and out + 64·t + 32,
//
//	Σ_{r<nrows} Σ_{v<nvec, v even (odd)} DY(r,v) ⊙ X(r,v)[offs[t]]
//
// (offs in bytes, fused multiply-adds in increasing (r, v)), are the low
// and high halves of one zmm register: a pair of vectors (v, v+1), v even,
// adds to both halves with one instruction, and an odd last vector adds to
// the low half alone (mask K1). Taps past ntaps are computed from offset
// offs[0] and discarded.
func dwGradTaps512(g *gen, name string) {
	s := avx512
	g.text(name, "out, dy, x *float32, offs *int64, ntaps, nvec, nrows, xrow, yrow int", 72, "AVX-512 depthwise weight-gradient kernel for vectors along rows; see dwGradTaps512 in tensor/internal/asmgen.")
	g.i("MOVQ $0xff, AX")
	g.i("KMOVW AX, K1")
	g.i("MOVQ offs+24(FP), SI")
	g.i("MOVQ ntaps+32(FP), DI")
	g.i("MOVQ (SI), AX")
	for t := 1; t < 9; t++ {
		g.i("MOVQ AX, %s", dwOffRegs[t])
	}
	for t := 1; t < 9; t++ {
		g.i("CMPQ DI, $%d", t)
		g.i("JLE %s_offs", name)
		g.i("MOVQ %d(SI), %s", 8*t, dwOffRegs[t])
	}
	g.p("%s_offs:", name)
	g.i("MOVQ out+0(FP), SI")
	for t := range 9 {
		g.i("VPXORD %s, %s, %s", s.r(t), s.r(t), s.r(t))
	}
	for t := range 9 {
		if t > 0 {
			g.i("CMPQ DI, $%d", t)
			g.i("JLE %s_loaded", name)
		}
		g.i("VMOVUPS %d(SI), %s", 64*t, s.r(t))
	}
	g.p("%s_loaded:", name)
	g.i("MOVQ nrows+48(FP), R14")
	g.i("TESTQ R14, R14")
	g.i("JZ %s_store", name)
	g.p("%s_row:", name)
	g.i("MOVQ dy+8(FP), DI")
	g.i("MOVQ x+16(FP), SI")
	g.i("MOVQ nvec+40(FP), R13")
	g.i("SHRQ $1, R13")
	g.i("JZ %s_one", name)
	g.p("%s_pair:", name)
	g.i("VMOVUPS (DI), Z9")
	for t, r := range dwOffRegs {
		g.i("VFMADD231PS (SI)(%s*1), Z9, %s", r, s.r(t))
	}
	g.i("ADDQ $64, DI")
	g.i("ADDQ $64, SI")
	g.i("DECQ R13")
	g.i("JNZ %s_pair", name)
	g.p("%s_one:", name)
	g.i("MOVQ nvec+40(FP), R13")
	g.i("ANDQ $1, R13")
	g.i("JZ %s_next", name)
	g.i("VMOVUPS (DI), Y9")
	for t, r := range dwOffRegs {
		g.i("VFMADD231PS (SI)(%s*1), Z9, K1, %s", r, s.r(t))
	}
	g.p("%s_next:", name)
	g.i("MOVQ yrow+64(FP), R13")
	g.i("ADDQ R13, dy+8(FP)")
	g.i("MOVQ xrow+56(FP), R13")
	g.i("ADDQ R13, x+16(FP)")
	g.i("DECQ R14")
	g.i("JNZ %s_row", name)
	g.p("%s_store:", name)
	g.i("MOVQ out+0(FP), SI")
	g.i("MOVQ ntaps+32(FP), DI")
	for t := range 9 {
		if t > 0 {
			g.i("CMPQ DI, $%d", t)
			g.i("JLE %s_done", name)
		}
		g.i("VMOVUPS %s, %d(SI)", s.r(t), 64*t)
	}
	g.done(name, false)
}

// dwTaps3Rows512 emits
//
//	func name(y, x, top, bottom, w *float32, offs *int32, masks *uint16, nvec, nrows, xrow, yrow, acc int)
//
// dwTaps512's sums (bit for bit) for a 3×3 kernel whose row p reads the
// input row of the output row p after: tap (p, q) of output vector v of
// row r reads X(r+p) + offs[q] + 64·c + 32·h, where v = 2c + h, and the
// output vector is at y + r·yrow + 32·v, for r < nrows, nrows ≥ 1, and
// v < nvec ≤ 8. The input rows are X(0) = top, X(a) = x + (a−1)·xrow for
// 1 ≤ a ≤ nrows and X(nrows+1) = bottom (offs, xrow and yrow in bytes,
// possibly negative). w holds the 9 weights, or with vecW 9 vectors of 8,
// in (p, q) order.
//
// The input vectors of a row's first and last 16-lane chunk are loaded
// under masks, masks[q] for the first and masks[3+q] for the last (lanes
// outside read as zero, with their memory untouched), so that a kernel can
// read a plane without padding columns: the lanes of columns −1 and w
// read as the zeros of padding. Top and bottom rows of zeros give the
// padding rows.
//
// Each input row is loaded once and used by the three output rows that
// read it: the kernel steps over input rows a = 0, …, nrows+1, and at step
// a adds the taps of kernel row 0 to output row a, of row 1 to a−1 and of
// row 2 to a−2, which it then stores. Each output thus receives its taps
// in increasing (p, q), as in dwTaps512. The rows' accumulators take turns
// in three register slots, so the steps are unrolled three times; a row's
// vectors are 16-lane registers and, for odd nvec, one whose low half is
// stored. The weights stay in Z16–Z24, the masks in K1–K6.
//
// With nt, the vectors are stored with non-temporal stores, 32 bytes at a
// time (every output vector must be 32-byte aligned), and an SFENCE.
func dwTaps3Rows512(g *gen, name string, vecW, nt bool) {
	s := avx512
	g.text(name, "y, x, top, bottom, w *float32, offs *int32, masks *uint16, nvec, nrows, xrow, yrow, acc int", 96, "AVX-512 3×3 depthwise tap kernel over rows; see dwTaps3Rows512 in tensor/internal/asmgen.")
	w := func(p, q int) string { return s.r(16 + 3*p + q) }
	acc := func(slot, c int) string { return s.r(4*slot + c) }
	qReg := [3]string{"AX", "BX", "CX"}
	g.i("MOVQ masks+48(FP), AX")
	for k := range 6 {
		g.i("KMOVW %d(AX), K%d", 2*k, k+1)
	}
	g.i("MOVQ w+32(FP), BX")
	for t := range 9 {
		bcastWeight512(g, vecW, t, "BX", w(t/3, t%3))
	}
	g.i("MOVQ offs+40(FP), SI")
	for q, r := range qReg {
		g.i("MOVLQSX %d(SI), %s", 4*q, r)
	}
	for r := range 12 {
		g.i("VPXORD %s, %s, %s", s.r(r), s.r(r), s.r(r))
	}
	g.i("MOVQ nrows+64(FP), R10")
	g.i("TESTQ R10, R10")
	g.i("JZ %s_done", name)
	g.i("LEAQ 2(R10), R9") // steps
	g.i("MOVQ xrow+72(FP), R12")
	g.i("MOVQ yrow+80(FP), R13")
	g.i("MOVQ nvec+56(FP), R14")
	for n := 1; n <= 8; n++ {
		g.i("CMPQ R14, $%d", n)
		g.i("JEQ %s_n%d", name, n)
	}
	g.i("JMP %s_done", name)
	for n := 1; n <= 8; n++ {
		k, h := n/2, n%2
		nc := k + h
		pre := fmt.Sprintf("%s_n%d", name, n)
		g.p("%s:", pre)
		g.i("XORQ R11, R11") // a
		g.i("MOVQ x+8(FP), SI")
		g.i("SUBQ R12, SI") // x − xrow: X(a) for 1 ≤ a ≤ nrows
		g.i("MOVQ y+0(FP), DI")
		g.i("MOVQ DI, R8")
		g.p("%s_loop:", pre)
		for u := range 3 {
			s0, s1, s2 := u, (u+2)%3, (u+1)%3
			lbl := fmt.Sprintf("%s_s%d", pre, u)
			// DX = X(a).
			g.i("MOVQ SI, DX")
			g.i("TESTQ R11, R11")
			g.i("CMOVQEQ top+16(FP), DX")
			g.i("LEAQ 1(R11), R14")
			g.i("CMPQ R14, R9")
			g.i("CMOVQEQ bottom+24(FP), DX")
			// Slot s0 starts output row a: y's values with acc (rows
			// past the last are dummies), zero otherwise.
			g.i("CMPQ acc+88(FP), $0")
			g.i("JEQ %s_zero", lbl)
			g.i("CMPQ R11, R10")
			g.i("JGE %s_zero", lbl)
			for c := range nc {
				if c < k {
					g.i("VMOVUPS %d(DI), %s", 64*c, acc(s0, c))
				} else {
					g.i("VMOVUPS %d(DI), Y%d", 64*c, 4*s0+c)
				}
			}
			g.i("JMP %s_taps", lbl)
			g.p("%s_zero:", lbl)
			for c := range nc {
				g.i("VPXORD %s, %s, %s", acc(s0, c), acc(s0, c), acc(s0, c))
			}
			g.p("%s_taps:", lbl)
			for q, r := range qReg {
				for c := range nc {
					tr := s.r(12 + (q*nc+c)%4)
					switch {
					case c == 0:
						g.i("VMOVUPS.Z (DX)(%s*1), K%d, %s", r, 1+q, tr)
					case c == nc-1:
						g.i("VMOVUPS.Z %d(DX)(%s*1), K%d, %s", 64*c, r, 4+q, tr)
					default:
						g.i("VMOVUPS %d(DX)(%s*1), %s", 64*c, r, tr)
					}
					g.i("VFMADD231PS %s, %s, %s", tr, w(0, q), acc(s0, c))
					g.i("VFMADD231PS %s, %s, %s", tr, w(1, q), acc(s1, c))
					g.i("VFMADD231PS %s, %s, %s", tr, w(2, q), acc(s2, c))
				}
			}
			// Row a−2 is complete.
			g.i("CMPQ R11, $2")
			g.i("JLT %s_next", lbl)
			for c := range nc {
				a := acc(s2, c)
				switch {
				case c == k: // the half vector
					if nt {
						g.i("VMOVNTPS Y%d, %d(R8)", 4*s2+c, 64*c)
					} else {
						g.i("VMOVUPS Y%d, %d(R8)", 4*s2+c, 64*c)
					}
				case nt:
					g.i("VMOVNTPS Y%d, %d(R8)", 4*s2+c, 64*c)
					g.i("VEXTRACTF64X4 $1, %s, Y15", a)
					g.i("VMOVNTPS Y15, %d(R8)", 64*c+32)
				default:
					g.i("VMOVUPS %s, %d(R8)", a, 64*c)
				}
			}
			g.i("ADDQ R13, R8")
			g.p("%s_next:", lbl)
			g.i("ADDQ R12, SI")
			g.i("ADDQ R13, DI")
			g.i("INCQ R11")
			g.i("CMPQ R11, R9")
			g.i("JEQ %s_done", name)
		}
		g.i("JMP %s_loop", pre)
	}
	g.done(name, nt)
}

// dwGradTaps3Rows512 emits
//
//	func name(out, dy, x, top, bottom *float32, offs *int32, masks *uint16, nvec, nrows, xrow, yrow int)
//
// dwGradTaps512's sums (bit for bit) for the 9 taps of a 3×3 kernel whose
// row p reads the input row of the output row p after, as dwTaps3Rows512
// reads them (input rows X(0) = top, X(a) = x + (a−1)·xrow, X(nrows+1) =
// bottom; first and last chunks of a row loaded under masks[0..2] and
// masks[3..5]; offs in bytes): for tap t = 3p+q, the even and odd partial
// sums at out + 64·t and out + 64·t + 32 (the halves of one zmm register)
// receive
//
//	Σ_{r<nrows} Σ_{v<nvec, v even (odd)} DY(r,v) ⊙ X(r+p)[offs[q] + 32·v]
//
// with DY(r,v) = dy + r·yrow + 32·v, fused-multiply-added in increasing
// (r, v), for nvec ≥ 3 (a first and a last chunk) and nrows ≥ 1.
//
// The kernel steps over input rows a = 0, …, nrows+1 and multiplies each
// chunk of row a, loaded once per q, by the output-gradient chunks of the
// rows a−p that exist (p = 0, 1, 2), so that each tap still adds its rows
// in increasing r. The 9 sums stay in Z0–Z8; an odd last vector adds to
// the low halves alone (mask K7).
func dwGradTaps3Rows512(g *gen, name string) {
	s := avx512
	g.text(name, "out, dy, x, top, bottom *float32, offs *int32, masks *uint16, nvec, nrows, xrow, yrow int", 88, "AVX-512 3×3 depthwise weight-gradient kernel over rows; see dwGradTaps3Rows512 in tensor/internal/asmgen.")
	acc := func(p, q int) string { return s.r(3*p + q) }
	xq := [3]string{"AX", "BX", "CX"}
	dyr := [3]string{"R8", "R9", "R10"} // dy rows a, a−1, a−2
	g.i("MOVQ masks+48(FP), DX")
	for k := range 6 {
		g.i("KMOVW %d(DX), K%d", 2*k, k+1)
	}
	g.i("MOVQ $0xff, DX")
	g.i("KMOVW DX, K7")
	g.i("MOVQ out+0(FP), DX")
	for t := range 9 {
		g.i("VMOVUPS %d(DX), %s", 64*t, s.r(t))
	}
	g.i("MOVQ nrows+64(FP), R14")
	g.i("TESTQ R14, R14")
	g.i("JZ %s_store", name)
	g.i("XORQ R13, R13") // a
	g.i("MOVQ x+16(FP), SI")
	g.i("SUBQ xrow+72(FP), SI") // x − xrow: X(a) for 1 ≤ a ≤ nrows
	g.i("MOVQ dy+8(FP), R8")
	g.i("MOVQ R8, R9")
	g.i("SUBQ yrow+80(FP), R9")
	g.i("MOVQ R9, R10")
	g.i("SUBQ yrow+80(FP), R10")
	g.p("%s_step:", name)
	// X(a) + offs[q] into AX, BX, CX.
	g.i("MOVQ SI, DX")
	g.i("TESTQ R13, R13")
	g.i("CMOVQEQ top+24(FP), DX")
	g.i("LEAQ -1(R13), R12")
	g.i("CMPQ R12, R14")
	g.i("CMOVQEQ bottom+32(FP), DX")
	g.i("MOVQ offs+40(FP), R12")
	for q, r := range xq {
		g.i("MOVLQSX %d(R12), %s", 4*q, r)
		g.i("ADDQ DX, %s", r)
	}
	// The kernel rows p with 0 ≤ a−p < nrows: pmin = max(0, a−nrows+1),
	// pmax = min(2, a); dispatch on 3·pmin + pmax.
	g.i("MOVQ R13, DX")
	g.i("SUBQ R14, DX")
	g.i("INCQ DX")
	g.i("XORQ R12, R12")
	g.i("CMPQ DX, R12")
	g.i("CMOVQLT R12, DX") // pmin
	g.i("LEAQ (DX)(DX*2), DX")
	g.i("MOVQ $2, R12")
	g.i("CMPQ R13, R12")
	g.i("CMOVQLT R13, R12") // pmax
	g.i("ADDQ R12, DX")
	type pset struct{ lo, hi int }
	psets := []pset{{0, 2}, {0, 0}, {0, 1}, {1, 2}, {2, 2}, {1, 1}}
	for _, ps := range psets {
		g.i("CMPQ DX, $%d", 3*ps.lo+ps.hi)
		g.i("JEQ %s_p%d%d", name, ps.lo, ps.hi)
	}
	g.i("JMP %s_next", name) // not reached
	// body emits one chunk at byte offset R11 from the row pointers: with
	// maskBase > 0 the input loads use masks K(maskBase+q); half chunks
	// load the low 8 lanes of dy and update the low halves.
	body := func(ps pset, maskBase int, half bool) {
		for p := ps.lo; p <= ps.hi; p++ {
			if half {
				g.i("VMOVUPS (%s)(R11*1), Y%d", dyr[p], 9+p)
			} else {
				g.i("VMOVUPS (%s)(R11*1), Z%d", dyr[p], 9+p)
			}
		}
		for q, r := range xq {
			tr := s.r(12 + q)
			if maskBase > 0 {
				g.i("VMOVUPS.Z (%s)(R11*1), K%d, %s", r, maskBase+q, tr)
			} else {
				g.i("VMOVUPS (%s)(R11*1), %s", r, tr)
			}
			for p := ps.lo; p <= ps.hi; p++ {
				if half {
					g.i("VFMADD231PS %s, Z%d, K7, %s", tr, 9+p, acc(p, q))
				} else {
					g.i("VFMADD231PS %s, Z%d, %s", tr, 9+p, acc(p, q))
				}
			}
		}
	}
	for _, ps := range psets {
		pre := fmt.Sprintf("%s_p%d%d", name, ps.lo, ps.hi)
		g.p("%s:", pre)
		g.i("XORQ R11, R11")
		g.i("MOVQ nvec+56(FP), R12")
		body(ps, 1, false)
		g.i("ADDQ $64, R11")
		g.i("INCQ R12")
		g.i("SHRQ $1, R12")
		g.i("SUBQ $2, R12") // middle chunks
		g.i("JZ %s_last", pre)
		g.p("%s_mid:", pre)
		body(ps, 0, false)
		g.i("ADDQ $64, R11")
		g.i("DECQ R12")
		g.i("JNZ %s_mid", pre)
		g.p("%s_last:", pre)
		g.i("TESTQ $1, nvec+56(FP)")
		g.i("JNZ %s_half", pre)
		body(ps, 4, false)
		g.i("JMP %s_next", name)
		g.p("%s_half:", pre)
		body(ps, 4, true)
		g.i("JMP %s_next", name)
	}
	g.p("%s_next:", name)
	g.i("ADDQ xrow+72(FP), SI")
	g.i("MOVQ R9, R10")
	g.i("MOVQ R8, R9")
	g.i("ADDQ yrow+80(FP), R8")
	g.i("INCQ R13")
	g.i("LEAQ 2(R14), DX")
	g.i("CMPQ R13, DX")
	g.i("JLT %s_step", name)
	g.p("%s_store:", name)
	g.i("MOVQ out+0(FP), DX")
	for t := range 9 {
		g.i("VMOVUPS %s, %d(DX)", s.r(t), 64*t)
	}
	g.i("VZEROUPPER")
	g.i("RET")
}
