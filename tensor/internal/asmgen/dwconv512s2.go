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
	g.p("")
	g.p("// func %s(y, x, top, bottom, w *float32, masks *uint16, nchunk, ho, xrow, yrow int)", name)
	g.p("// AVX-512 3×3 stride-2 depthwise kernel over rows; see dwPlane3x3S2512 in tensor/internal/asmgen.")
	g.p("TEXT ·%s(SB), NOSPLIT, $0-80", name)
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
	g.p("%s_done:", name)
	g.i("VZEROUPPER")
	g.i("RET")
}
