package main

import "fmt"

// dwPlane3x3S2Data emits the permutation indices of dwPlane3x3S2512:
// the even and the odd lanes of a pair of 16-lane registers.
func dwPlane3x3S2Data(g *gen) {
	g.p("")
	g.p("// Lane indices of VPERMT2PS: even lanes, then odd lanes, of two zmm registers.")
	for i := range 16 {
		g.p("DATA dwS2Perm<>+%d(SB)/4, $%d", 4*i, 2*i)
	}
	for i := range 16 {
		g.p("DATA dwS2Perm<>+%d(SB)/4, $%d", 64+4*i, 2*i+1)
	}
	g.p("GLOBL dwS2Perm<>(SB), RODATA|NOPTR, $128")
}

// dwS2PrefetchShift sets how far ahead dwPlane3x3S2512 prefetches its
// input: 1<<dwS2PrefetchShift rows (the rows that follow the plane's last
// are the next plane's, read next in a loop over planes).
const dwS2PrefetchShift = 3

// dwPlane3x3S2512 emits
//
//	func name(y, x, top, bottom, w *float32, masks *uint16, nchunk, ho, xrow, yrow int)
//
// a 3×3 correlation with stride 2 of a strip of input rows read in
// place: for output rows i < ho (ho ≥ 1) and chunks c < nchunk ≤ 4 of 16
// output columns, it sets the chunk at y + i·yrow + 64·c to
//
//	s = Σ_{p,q<3} w[3p+q] · X(2i+p)[32c + 2l + q − 1]   (lane l; fused, (p, q) increasing, from 0)
//
// where the padded input rows are X(0) = top, X(a) = x + (a−1)·xrow for
// 1 ≤ a < 2·ho and X(2·ho) = bottom (xrow and yrow in bytes). Element
// X(a)[b] is float32 b of the row, b from −1 on; the loads of a row's
// chunks are masked (lanes outside read as zero, their memory untouched):
// masks[0] is the mask of the first chunk's load from column 32c − 1, and
// masks[1..4] those of the last chunk's loads from columns 32c, 32c + 16,
// 32c − 1 and 32c + 15, masks[5] the mask of the last chunk's store. The
// other loads and stores are whole.
//
// Each input row is loaded once per chunk, its even columns, odd columns
// and odd columns shifted by one (taps q = 1, 2, 0) formed with VPERMT2PS,
// and used by the output rows that read it: row 2i+2 is kernel row 2 of
// output row i and kernel row 0 of output row i+1, whose accumulators
// alternate between Z0–Z3 and Z4–Z7 (the loop is unrolled twice). The
// weights stay in Z16–Z24, the permutation indices in Z25–Z26.
func dwPlane3x3S2512(g *gen, name string) {
	s := avx512
	g.text(name, "y, x, top, bottom, w *float32, masks *uint16, nchunk, ho, xrow, yrow int", 80, "AVX-512 3×3 stride-2 depthwise kernel over rows; see dwPlane3x3S2512 in tensor/internal/asmgen.")
	w := func(p, q int) string { return s.r(16 + 3*p + q) }
	acc := func(slot, c int) string { return s.r(4*slot + c) }
	g.i("MOVQ masks+40(FP), AX")
	for k := range 6 {
		g.i("KMOVW %d(AX), K%d", 2*k, k+1)
	}
	g.i("MOVQ w+32(FP), BX")
	for t := range 9 {
		g.i("VBROADCASTSS %d(BX), %s", 4*t, w(t/3, t%3))
	}
	g.i("LEAQ dwS2Perm<>(SB), AX")
	g.i("VMOVUPS (AX), Z25")
	g.i("VMOVUPS 64(AX), Z26")
	g.i("MOVQ xrow+64(FP), R12")
	g.i("MOVQ yrow+72(FP), R13")
	g.i("MOVQ R12, R15")
	g.i("SHLQ $%d, R15", dwS2PrefetchShift)
	g.i("MOVQ nchunk+48(FP), R14")
	for n := 1; n <= 4; n++ {
		g.i("CMPQ R14, $%d", n)
		g.i("JEQ %s_n%d", name, n)
	}
	g.i("JMP %s_done", name)
	for n := 1; n <= 4; n++ {
		pre := fmt.Sprintf("%s_n%d", name, n)
		// row emits the taps of the input row at DX: for each target,
		// its kernel row into its slot's accumulators (cleared first with
		// clear).
		type target struct {
			p, slot int
			clear   bool
		}
		row := func(pf bool, ts ...target) {
			for c := range n {
				if pf {
					g.i("PREFETCHT0 %d(DX)(R15*1)", 128*c)
					g.i("PREFETCHT0 %d(DX)(R15*1)", 128*c+64)
				}
				last := c == n-1
				off := 128 * c
				load := func(disp int, mask int, dst string) {
					if mask > 0 {
						g.i("VMOVUPS.Z %d(DX), K%d, %s", off+disp, mask, dst)
					} else {
						g.i("VMOVUPS %d(DX), %s", off+disp, dst)
					}
				}
				m0, m1, mm, mm1 := 0, 0, 0, 0
				switch {
				case last:
					m0, m1, mm, mm1 = 2, 3, 4, 5
				case c == 0:
					mm = 1
				}
				// Z8 even (q = 1), Z12 odd (q = 2), Z10 shifted (q = 0).
				load(0, m0, "Z8")
				load(64, m1, "Z9")
				g.i("VMOVAPS Z8, Z12")
				load(-4, mm, "Z10")
				load(60, mm1, "Z11")
				g.i("VPERMT2PS Z9, Z25, Z8")
				g.i("VPERMT2PS Z9, Z26, Z12")
				g.i("VPERMT2PS Z11, Z25, Z10")
				for _, t := range ts {
					if t.clear {
						g.i("VPXORD %s, %s, %s", acc(t.slot, c), acc(t.slot, c), acc(t.slot, c))
					}
				}
				for q, v := range []string{"Z10", "Z8", "Z12"} {
					for _, t := range ts {
						g.i("VFMADD231PS %s, %s, %s", v, w(t.p, q), acc(t.slot, c))
					}
				}
			}
		}
		g.p("%s:", pre)
		g.i("MOVQ top+16(FP), DX")
		row(false, target{0, 0, true})
		g.i("MOVQ x+8(FP), SI")
		g.i("MOVQ y+0(FP), DI")
		g.i("MOVQ ho+56(FP), R10")
		g.p("%s_loop:", pre)
		for u := range 2 {
			a, b := u, 1-u
			g.i("MOVQ SI, DX")
			row(true, target{1, a, false})
			g.i("LEAQ (SI)(R12*1), DX")
			g.i("CMPQ R10, $1")
			g.i("CMOVQEQ bottom+24(FP), DX")
			row(true, target{2, a, false}, target{0, b, true})
			for c := range n {
				if c == n-1 {
					g.i("VMOVUPS %s, K6, %d(DI)", acc(a, c), 64*c)
				} else {
					g.i("VMOVUPS %s, %d(DI)", acc(a, c), 64*c)
				}
			}
			g.i("ADDQ R13, DI")
			g.i("LEAQ (SI)(R12*2), SI")
			g.i("DECQ R10")
			g.i("JZ %s_done", name)
		}
		g.i("JMP %s_loop", pre)
	}
	g.done(name, false)
}

// dwPlaneFlat512 emits
//
//	func name(y, x, w *float32, offs *int32, masks *uint16, ntaps, nchunk, nwhole, last int)
//
// a correlation of a plane read in place whose outputs, in the plane's
// own order, are taken 16 at a time whatever the rows: for chunks c <
// nchunk it sets the 16 values at y + 64·c to
//
//	s = Σ_{t<ntaps} w[t] · L(c, t)   (fused, t increasing, from 0)
//
// where L(c, t) is the 16 values at x + 64·c + offs[t] (offs in bytes,
// possibly negative) loaded under the mask masks[c·ntaps + t], lanes
// outside it zero and their memory untouched: the masks clear the lanes
// whose tap falls outside the plane (its padding). Chunks c < nwhole are
// stored whole, the others under the mask last (nwhole ≥ nchunk − 1).
// ntaps ≥ 1.
//
// Four chunks are computed at a time (accumulators Z0–Z3, masks K1–K4),
// the taps in a loop, each weight broadcast once per four chunks; the
// remaining chunks one at a time.
func dwPlaneFlat512(g *gen, name string) {
	g.text(name, "y, x, w *float32, offs *int32, masks *uint16, ntaps, nchunk, nwhole, last int", 72, "AVX-512 depthwise kernel over flattened planes; see dwPlaneFlat512 in tensor/internal/asmgen.")
	g.i("MOVQ y+0(FP), DI")
	g.i("MOVQ x+8(FP), SI")
	g.i("MOVQ masks+32(FP), R8")
	g.i("MOVQ ntaps+40(FP), R9")
	g.i("LEAQ (R9)(R9*1), R10") // bytes of masks per chunk
	g.i("MOVQ nwhole+56(FP), R11")
	g.i("SHRQ $2, R11")  // groups of four whole chunks
	g.i("XORQ R12, R12") // chunk
	g.i("TESTQ R11, R11")
	g.i("JZ %s_ones", name)
	g.p("%s_group:", name)
	for k := range 4 {
		g.i("VPXORD Z%d, Z%d, Z%d", k, k, k)
	}
	g.i("MOVQ w+16(FP), AX")
	g.i("MOVQ offs+24(FP), BX")
	g.i("MOVQ R8, CX")
	g.i("MOVQ R9, DX")
	g.p("%s_gtap:", name)
	g.i("VBROADCASTSS (AX), Z4")
	g.i("MOVLQSX (BX), R13")
	g.i("ADDQ SI, R13")
	g.i("LEAQ (CX)(R10*2), R14") // masks of chunks 2 and 3
	for k, a := range []string{"(CX)", "(CX)(R10*1)", "(R14)", "(R14)(R10*1)"} {
		g.i("KMOVW %s, K%d", a, k+1)
	}
	for k := range 4 {
		g.i("VMOVUPS.Z %d(R13), K%d, Z%d", 64*k, k+1, 8+k)
	}
	for k := range 4 {
		g.i("VFMADD231PS Z%d, Z4, Z%d", 8+k, k)
	}
	g.i("ADDQ $4, AX")
	g.i("ADDQ $4, BX")
	g.i("ADDQ $2, CX")
	g.i("DECQ DX")
	g.i("JNZ %s_gtap", name)
	for k := range 4 {
		g.i("VMOVUPS Z%d, %d(DI)", k, 64*k)
	}
	g.i("ADDQ $256, DI")
	g.i("ADDQ $256, SI")
	g.i("LEAQ (R8)(R10*4), R8")
	g.i("ADDQ $4, R12")
	g.i("DECQ R11")
	g.i("JNZ %s_group", name)
	g.p("%s_ones:", name)
	g.i("CMPQ R12, nchunk+48(FP)")
	g.i("JGE %s_done", name)
	g.i("VPXORD Z0, Z0, Z0")
	g.i("MOVQ w+16(FP), AX")
	g.i("MOVQ offs+24(FP), BX")
	g.i("MOVQ R8, CX")
	g.i("MOVQ R9, DX")
	g.p("%s_otap:", name)
	g.i("MOVLQSX (BX), R13")
	g.i("KMOVW (CX), K1")
	g.i("VMOVUPS.Z (SI)(R13*1), K1, Z8")
	g.i("VBROADCASTSS (AX), Z4")
	g.i("VFMADD231PS Z8, Z4, Z0")
	g.i("ADDQ $4, AX")
	g.i("ADDQ $4, BX")
	g.i("ADDQ $2, CX")
	g.i("DECQ DX")
	g.i("JNZ %s_otap", name)
	// Store mask: whole below nwhole, last otherwise.
	g.i("MOVQ $0xffff, AX")
	g.i("CMPQ R12, nwhole+56(FP)")
	g.i("CMOVQGE last+64(FP), AX")
	g.i("KMOVW AX, K7")
	g.i("VMOVUPS Z0, K7, (DI)")
	g.i("ADDQ $64, DI")
	g.i("ADDQ $64, SI")
	g.i("ADDQ R10, R8")
	g.i("INCQ R12")
	g.i("JMP %s_ones", name)
	g.done(name, false)
}
