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

// s2Prologue emits the start shared by the stride-2 plane kernels, whose
// masks argument is at 32(FP) and row strides at 64(FP) and 72(FP): nmask
// masks into K1, K2, …, the permutation indices of table (128 bytes) into
// Z25 and Z26, and the row strides called row0 and row1 into R12 and R13.
func s2Prologue(g *gen, nmask int, table, row0, row1 string) {
	g.i("MOVQ masks+32(FP), AX")
	for k := range nmask {
		g.i("KMOVW %d(AX), K%d", 2*k, k+1)
	}
	g.i("LEAQ %s<>(SB), AX", table)
	g.i("VMOVUPS (AX), Z25")
	g.i("VMOVUPS 64(AX), Z26")
	g.i("MOVQ %s+64(FP), R12", row0)
	g.i("MOVQ %s+72(FP), R13", row1)
}

// s2NextPlane emits the step of the stride-2 plane kernels to their next
// plane: the plane strides at 88(FP) and 96(FP), called step0 and step1,
// added to the pointer arguments ptr0 and ptr1 (name+offset).
func s2NextPlane(g *gen, step0, ptr0, step1, ptr1 string) {
	g.i("MOVQ %s+88(FP), AX", step0)
	g.i("ADDQ AX, %s(FP)", ptr0)
	g.i("MOVQ %s+96(FP), AX", step1)
	g.i("ADDQ AX, %s(FP)", ptr1)
}

// s2Masks returns the mask registers of s2Split's loads for the first
// chunk of a row (only the load from column −1 masked, K1) or its last
// (every load masked, K2–K5), 0 for none.
func s2Masks(first, last bool) [4]int {
	switch {
	case last:
		return [4]int{2, 3, 4, 5}
	case first:
		return [4]int{0, 0, 1, 0}
	}
	return [4]int{}
}

// s2Split emits the loads of a chunk of 32 input columns from 32c − 1 on
// (addr(d) is the address of the float32 d/4 columns after column 32c)
// that give the chunk's 16 output columns their taps of a kernel row:
// r[0] the even columns 32c + 2l (tap q = 1), r[2] the odd ones 32c + 2l
// + 1 (q = 2) and r[3] the odd ones shifted, 32c + 2l − 1 (q = 0); r[1]
// and r[4] are scratch. masks[k] (K registers, 0 for a whole load) are
// those of the loads from columns 32c, 32c + 16, 32c − 1 and 32c + 15,
// lanes outside them read as zero. The permutation indices of
// dwPlane3x3S2Data are in Z25 (even) and Z26 (odd).
func s2Split(g *gen, addr func(disp int) string, masks [4]int, r [5]string) {
	load := func(disp int, mask int, dst string) {
		if mask > 0 {
			g.i("VMOVUPS.Z %s, K%d, %s", addr(disp), mask, dst)
		} else {
			g.i("VMOVUPS %s, %s", addr(disp), dst)
		}
	}
	load(0, masks[0], r[0])
	load(64, masks[1], r[1])
	g.i("VMOVAPS %s, %s", r[0], r[2])
	load(-4, masks[2], r[3])
	load(60, masks[3], r[4])
	g.i("VPERMT2PS %s, Z25, %s", r[1], r[0])
	g.i("VPERMT2PS %s, Z26, %s", r[1], r[2])
	g.i("VPERMT2PS %s, Z25, %s", r[4], r[3])
}

// dwPlane3x3S2512 emits
//
//	func name(y, x, zero, w *float32, masks *uint16, nchunk, ho, hodd, xrow, yrow, nplane, xplane, yplane int)
//
// a 3×3 correlation with stride 2 of a strip of input rows read in
// place: for output rows i < ho (ho ≥ 1) and chunks c < nchunk ≤ 4 of 16
// output columns, it sets the chunk at y + i·yrow + 64·c to
//
//	s = Σ_{p,q<3} w[3p+q] · X(2i+p)[32c + 2l + q − 1]   (lane l; fused, (p, q) increasing, from 0)
//
// where the padded input rows are X(0) = zero, X(a) = x + (a−1)·xrow for
// 1 ≤ a < 2·ho, and X(2·ho) = zero if hodd is 1, x + (2·ho−1)·xrow
// otherwise (xrow and yrow in bytes); zero is a row of zeros. It does so
// for nplane ≥ 1 planes, plane k's x at x + k·xplane, its y at y +
// k·yplane and its weights at w + 36·k. Element X(a)[b] is float32 b of
// the row, b from −1 on; the loads of a row's chunks are masked (lanes outside read as zero, their memory untouched):
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
	g.text(name, "y, x, zero, w *float32, masks *uint16, nchunk, ho, hodd, xrow, yrow, nplane, xplane, yplane int", 104, "AVX-512 3×3 stride-2 depthwise kernel over rows; see dwPlane3x3S2512 in tensor/internal/asmgen.")
	w := func(p, q int) string { return s.r(16 + 3*p + q) }
	acc := func(slot, c int) string { return s.r(4*slot + c) }
	s2Prologue(g, 6, "dwS2Perm", "xrow", "yrow")
	g.i("MOVQ R12, R15")
	g.i("SHLQ $%d, R15", dwS2PrefetchShift)
	g.i("MOVQ nchunk+40(FP), R14")
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
				off := 128 * c
				// Z8 even (q = 1), Z12 odd (q = 2), Z10 shifted (q = 0).
				s2Split(g, func(disp int) string { return fmt.Sprintf("%d(DX)", off+disp) }, s2Masks(c == 0, c == n-1),
					[5]string{"Z8", "Z9", "Z12", "Z10", "Z11"})
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
		g.i("MOVQ w+24(FP), BX")
		for t := range 9 {
			g.i("VBROADCASTSS %d(BX), %s", 4*t, w(t/3, t%3))
		}
		g.i("MOVQ zero+16(FP), DX")
		row(false, target{0, 0, true})
		g.i("MOVQ x+8(FP), SI")
		g.i("MOVQ y+0(FP), DI")
		g.i("MOVQ ho+48(FP), R10")
		g.p("%s_loop:", pre)
		for u := range 2 {
			a, b := u, 1-u
			g.i("MOVQ SI, DX")
			row(true, target{1, a, false})
			g.i("LEAQ (SI)(R12*1), DX")
			g.i("CMPQ R10, $1")
			g.i("JNE %s_b%d", pre, u)
			g.i("CMPQ hodd+56(FP), $0")
			g.i("CMOVQNE zero+16(FP), DX")
			g.p("%s_b%d:", pre, u)
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
			g.i("JZ %s_next", pre)
		}
		g.i("JMP %s_loop", pre)
		g.p("%s_next:", pre)
		g.i("DECQ nplane+80(FP)")
		g.i("JZ %s_done", name)
		s2NextPlane(g, "xplane", "x+8", "yplane", "y+0")
		g.i("ADDQ $36, w+24(FP)")
		g.i("JMP %s", pre)
	}
	g.done(name, false)
}

// flatChunks and flatPlanes are the shape of dwPlaneFlat512's groups:
// flatChunks chunks of 16 outputs of each of flatPlanes planes; flatMaxKw
// is the widest kernel it is emitted for.
const flatChunks, flatPlanes, flatMaxKw = 4, 3, 8

// dwPlaneFlat512 emits, for a kernel kw columns wide (kw ≤ 16),
//
//	func name(y, x, w *float32, offs *int32, masks *uint16, kh, gbytes, ctail, nunit, xstep, wstep, xb, wb, wq, cmoff, gstride int)
//
// a correlation of planes read in place whose outputs, in each plane's
// own order, are taken 16 at a time whatever the rows (chunks). A unit of
// flatPlanes planes, plane j at x + j·xb and y + j·xb with its weights at
// w + j·wb, is computed in groups of flatChunks chunks of each plane, the
// chunks' starts 64 bytes apart from the plane's start; for g <
// gbytes/(64·flatChunks), and for a last group g = gbytes/(64·flatChunks)
// of ctail < flatChunks chunks, slot s of group g of plane j (chunk c =
// flatChunks·g + s) gets
//
//	Σ_{p<kh} Σ_{q<kw} W(p, q) · S(p, q)   (fused, (p, q) increasing, from 0)
//
// where W(p, q) is the float32 offs[2p+1] + q·wq bytes after the plane's
// weights and S(p, q) the 16 values offs[2p] + 4q bytes (possibly
// negative) after the chunk's start in x, with the lanes outside the
// column mask CM[q·flatChunks + s] zero. S(p, q) is not loaded: the tap
// row's window of 16·(flatChunks+1) values from offs[2p] bytes after the
// group's start is loaded once, vector v under the load mask LM[p·(flatChunks+2) + v]
// (lanes outside it zero, their memory untouched; without masks if
// LM[p·(flatChunks+2) + flatChunks+1] is 0xFFFF, which the caller sets when
// the first c+1 vectors are wholly inside the plane), and S(p, q) of slot s
// is VALIGND $q of its vectors s and s+1 under the column mask, zeroing.
// The slot is stored at the chunk's place in y under the mask
// SM[s]. The group's masks are at M = masks + g·gstride (bytes): LM = M,
// CM = M + cmoff, SM = CM + 2·kw·flatChunks. A mask serves the same chunk
// of every plane of the unit. The load masks keep the lanes inside the
// plane and the column masks those whose tap column falls inside the row
// (and inside the plane's outputs): together they clear the taps that
// fall in the padding, as masked loads of each tap would. This is done for
// nunit units, unit u at x + u·xstep, y + u·xstep and w + u·wstep; with xb
// = wb = 0 a unit is one plane (computed and stored flatPlanes times).
// kh and nunit are at least 1, gbytes or ctail too.
//
// A tap row costs flatChunks+1 loads per plane where loading each tap
// costs kw·flatChunks; each column mask serves flatPlanes planes and each
// weight flatChunks chunks. The accumulators are Z0–Z11 (slot s of plane
// j in Z(4j+s)), the windows Z12–Z26 (vector v of plane j in Z(12+5j+v)),
// the weights Z27–Z29 and the shifted taps Z30–Z31.
func dwPlaneFlat512(g *gen, name string, kw int) {
	const sig = "y, x, w *float32, offs *int32, masks *uint16, kh, gbytes, ctail, nunit, xstep, wstep, xb, wb, wq, cmoff, gstride int"
	g.text(name, sig, 128, "AVX-512 depthwise kernel over flattened planes, %d-column kernels; see dwPlaneFlat512 in tensor/internal/asmgen.", kw)
	const C, P = flatChunks, flatPlanes
	// plane returns the address of plane j at displacement disp from the
	// plane-0 address in base, R14 holding xb.
	plane := func(base string, j, disp int) string {
		return [P]string{fmt.Sprintf("%d(%s)", disp, base), fmt.Sprintf("%d(%s)(R14*1)", disp, base),
			fmt.Sprintf("%d(%s)(R14*2)", disp, base)}[j]
	}
	// group emits the group at byte offset R12 with its masks at R9, for
	// its first c chunks, leaving R9 at the next group's masks.
	group := func(c int, label string) {
		for j := range P {
			for s := range c {
				g.i("VPXORD Z%d, Z%d, Z%d", 4*j+s, 4*j+s, 4*j+s)
			}
		}
		g.i("MOVQ offs+24(FP), BX")
		g.i("MOVQ kh+40(FP), DX")
		g.i("MOVQ R9, R10")
		g.i("MOVQ R9, R15")
		g.i("ADDQ cmoff+112(FP), R15")
		g.p("%s:", label)
		g.i("MOVLQSX (BX), R13")
		g.i("MOVLQSX 4(BX), AX")
		g.i("ADDQ SI, R13")
		g.i("ADDQ R12, R13")
		g.i("ADDQ R8, AX")
		// Windows wholly inside the plane (flag LM[C+1] = 0xFFFF) are
		// loaded without masks: masked loads cost more on Zen 5.
		g.i("CMPW %d(R10), $-1", 2*(C+1))
		g.i("JEQ %s_full", label)
		for v := range c + 1 {
			g.i("KMOVW %d(R10), K%d", 2*v, 1+v%2)
			for j := range P {
				g.i("VMOVUPS.Z %s, K%d, Z%d", plane("R13", j, 64*v), 1+v%2, 12+5*j+v)
			}
		}
		g.i("JMP %s_taps", label)
		g.p("%s_full:", label)
		for v := range c + 1 {
			for j := range P {
				g.i("VMOVUPS %s, Z%d", plane("R13", j, 64*v), 12+5*j+v)
			}
		}
		g.p("%s_taps:", label)
		for q := range kw {
			for j := range P {
				g.i("VBROADCASTSS %s, Z%d", [P]string{"(AX)", "(AX)(CX*1)", "(AX)(CX*2)"}[j], 27+j)
			}
			if q < kw-1 {
				g.i("ADDQ wq+104(FP), AX")
			}
			for s := range c {
				g.i("KMOVW %d(R15), K%d", 2*(q*C+s), 3+s)
				for j := range P {
					t := 30 + (s*P+j)%2
					if q == 0 {
						g.i("VMOVAPS.Z Z%d, K%d, Z%d", 12+5*j+s, 3+s, t)
					} else {
						g.i("VALIGND.Z $%d, Z%d, Z%d, K%d, Z%d", q, 12+5*j+s, 12+5*j+s+1, 3+s, t)
					}
					g.i("VFMADD231PS Z%d, Z%d, Z%d", t, 27+j, 4*j+s)
				}
			}
		}
		g.i("ADDQ $8, BX")
		g.i("ADDQ $%d, R10", 2*(C+2))
		g.i("DECQ DX")
		g.i("JNZ %s", label)
		g.i("LEAQ (DI)(R12*1), R13")
		for s := range c {
			g.i("KMOVW %d(R15), K%d", 2*(kw*C+s), 3+s)
			for j := range P {
				g.i("VMOVUPS Z%d, K%d, %s", 4*j+s, 3+s, plane("R13", j, 64*s))
			}
		}
		g.i("ADDQ gstride+120(FP), R9")
	}
	g.i("MOVQ y+0(FP), DI")
	g.i("MOVQ x+8(FP), SI")
	g.i("MOVQ w+16(FP), R8")
	g.i("MOVQ xb+88(FP), R14")
	g.i("MOVQ wb+96(FP), CX")
	g.p("%s_unit:", name)
	g.i("MOVQ masks+32(FP), R9")
	g.i("XORQ R12, R12") // byte offset of the group's first chunk
	g.i("CMPQ R12, gbytes+48(FP)")
	g.i("JGE %s_tail", name)
	g.p("%s_group:", name)
	group(C, name+"_row")
	g.i("ADDQ $%d, R12", 64*C)
	g.i("CMPQ R12, gbytes+48(FP)")
	g.i("JLT %s_group", name)
	g.p("%s_tail:", name)
	g.i("MOVQ ctail+56(FP), AX")
	for c := 1; c < C; c++ {
		g.i("CMPQ AX, $%d", c)
		g.i("JEQ %s_tail%d", name, c)
	}
	g.p("%s_next:", name)
	g.i("ADDQ xstep+72(FP), SI")
	g.i("ADDQ xstep+72(FP), DI")
	g.i("ADDQ wstep+80(FP), R8")
	g.i("DECQ nunit+64(FP)")
	g.i("JNZ %s_unit", name)
	g.i("JMP %s_done", name)
	for c := 1; c < C; c++ {
		g.p("%s_tail%d:", name, c)
		group(c, fmt.Sprintf("%s_row%d", name, c))
		g.i("JMP %s_next", name)
	}
	g.done(name, false)
}

// dwGradPlane3x3S2512 emits
//
//	func name(out, dy, x, zero *float32, masks *uint16, nchunk, ho, hodd, xrow, yrow, nplane, xplane, yplane int)
//
// the weight-gradient sums of a 3×3 correlation with stride 2 of nplane ≥
// 1 planes read in place, plane k at x + k·xplane with its dy at dy +
// k·yplane and its sums at out + 576·k (bytes): for the 9 taps t = 3p + q
// it adds to the 16 values at out + 64·t
//
//	Σ_{i<ho} Σ_{c<nchunk} D(i, c) ⊙ S(2i+p, c, q)   (fused, (i, c) increasing)
//
// where D(i, c) is the 16 values at dy + i·yrow + 64·c and S(a, c, q) the
// 16 values X(a)[32c + 2l + q − 1], l < 16, with X(a) the padded input
// rows of dwPlane3x3S2512: X(0) = zero, X(a) = x + (a−1)·xrow, and X(2·ho)
// = zero if hodd is 1 (the plane has 2·ho − 1 rows). zero is a row of
// zeros from column −1 on. The low 8 lanes of a chunk are output vector
// 2c and the high 8 vector 2c + 1, so that out + 64·t holds the even and
// the odd partial sums of GradTaps. Loads of the first chunk from column
// −1 and of the last chunk are masked as in dwPlane3x3S2512 (masks[0] and
// masks[1..4]), the last chunk's dy under masks[5] and its multiply-adds
// under masks[6] (lanes outside keep their sums). ho ≥ 1, nchunk ≥ 1, no
// limit on nchunk: a plane's sums stay in Z0–Z8, one per tap. The input
// rows 2i and 2i+1 are prefetched 1<<dwS2PrefetchShift rows ahead, and
// dy as many rows ahead (for the last rows of a plane, the next plane's).
func dwGradPlane3x3S2512(g *gen, name string) {
	g.text(name, "out, dy, x, zero *float32, masks *uint16, nchunk, ho, hodd, xrow, yrow, nplane, xplane, yplane int", 104, "AVX-512 3×3 stride-2 depthwise weight-gradient kernel over rows; see dwGradPlane3x3S2512 in tensor/internal/asmgen.")
	s2Prologue(g, 7, "dwS2Perm", "xrow", "yrow")
	g.i("MOVQ R12, R15")
	g.i("SHLQ $%d, R15", dwS2PrefetchShift)
	g.i("MOVQ R13, DX")
	g.i("SHLQ $%d, DX", dwS2PrefetchShift)
	g.i("MOVQ out+0(FP), SI")
	// chunk emits the sums of one chunk: dy at (DI)(BX*1), the three
	// input rows 2i−1, 2i and 2i+1 at R8, R9 and R11, CX bytes in.
	chunk := func(first, last bool) {
		g.i("LEAQ (DI)(DX*1), AX")
		g.i("PREFETCHT0 (AX)(BX*1)")
		for _, base := range []string{"R9", "R11"} {
			g.i("LEAQ (%s)(R15*1), AX", base)
			g.i("PREFETCHT0 (AX)(CX*1)")
			g.i("PREFETCHT0 64(AX)(CX*1)")
		}
		if last {
			g.i("VMOVUPS.Z (DI)(BX*1), K6, Z9")
		} else {
			g.i("VMOVUPS (DI)(BX*1), Z9")
		}
		for p, base := range []string{"R8", "R9", "R11"} {
			s2Split(g, func(disp int) string { return fmt.Sprintf("%d(%s)(CX*1)", disp, base) }, s2Masks(first, last),
				[5]string{"Z10", "Z11", "Z12", "Z13", "Z14"})
			for q, v := range []string{"Z13", "Z10", "Z12"} {
				if last {
					g.i("VFMADD231PS %s, Z9, K7, Z%d", v, 3*p+q)
				} else {
					g.i("VFMADD231PS %s, Z9, Z%d", v, 3*p+q)
				}
			}
		}
		if !last {
			g.i("ADDQ $128, CX")
			g.i("ADDQ $64, BX")
		}
	}
	g.p("%s_plane:", name)
	for t := range 9 {
		g.i("VMOVUPS %d(SI), Z%d", 64*t, t)
	}
	g.i("MOVQ dy+8(FP), DI")
	g.i("MOVQ x+16(FP), R9")
	g.i("MOVQ zero+24(FP), R8")
	g.i("MOVQ ho+48(FP), R10")
	g.p("%s_row:", name)
	g.i("LEAQ (R9)(R12*1), R11")
	g.i("CMPQ R10, $1")
	g.i("JNE %s_chunks", name)
	g.i("CMPQ hodd+56(FP), $0")
	g.i("CMOVQNE zero+24(FP), R11")
	g.p("%s_chunks:", name)
	g.i("XORQ CX, CX")
	g.i("XORQ BX, BX")
	g.i("MOVQ nchunk+40(FP), R14")
	g.i("DECQ R14")
	g.i("JZ %s_last", name)
	chunk(true, false)
	g.i("DECQ R14")
	g.i("JZ %s_last", name)
	g.p("%s_mid:", name)
	chunk(false, false)
	g.i("DECQ R14")
	g.i("JNZ %s_mid", name)
	g.p("%s_last:", name)
	chunk(false, true)
	g.i("DECQ R10")
	g.i("JZ %s_store", name)
	g.i("MOVQ R11, R8")
	g.i("LEAQ (R9)(R12*2), R9")
	g.i("ADDQ R13, DI")
	g.i("JMP %s_row", name)
	g.p("%s_store:", name)
	for t := range 9 {
		g.i("VMOVUPS Z%d, %d(SI)", t, 64*t)
	}
	g.i("ADDQ $576, SI")
	s2NextPlane(g, "xplane", "x+16", "yplane", "dy+8")
	g.i("DECQ nplane+80(FP)")
	g.i("JNZ %s_plane", name)
	g.done(name, false)
}

// dwGradInput3x3S2Data emits the permutation indices of
// dwGradInput3x3S2512: the low halves of two zmm registers, lane by lane
// in turn, then their high halves.
func dwGradInput3x3S2Data(g *gen) {
	g.p("")
	g.p("// Lane indices of VPERMT2PS: the lanes of two zmm registers in turn, low halves, then high halves.")
	for h := range 2 {
		for i := range 16 {
			g.p("DATA dwS2Zip<>+%d(SB)/4, $%d", 64*h+4*i, 8*h+i/2+16*(i%2))
		}
	}
	g.p("GLOBL dwS2Zip<>(SB), RODATA|NOPTR, $128")
}

// dwGradInput3x3S2512 emits
//
//	func name(dx, dy, zero, w *float32, masks *uint16, nchunk, ho, hodd, dyrow, dxrow, nplane, dxplane, dyplane int)
//
// the input gradient of a 3×3 correlation with stride 2 and padding 1,
// phase by phase: with D(u) the dy row at dy + u·dyrow (u < ho) and
// D(ho) = zero, and A = D(u)[z], A1 = D(u)[z+1], B =
// D(u+1)[z], B1 = D(u+1)[z+1] for the 16 columns z = 16c + l of chunk c
// < nchunk, it sets the dx rows 2u and 2u + 1 (at dx + 2u·dxrow and dx +
// (2u+1)·dxrow, in bytes) at columns 2z and 2z + 1 to
//
//	dx[2u][2z]     = w11·A
//	dx[2u][2z+1]   = w12·A + w10·A1
//	dx[2u+1][2z]   = w21·A + w01·B
//	dx[2u+1][2z+1] = w22·A + w20·A1 + w02·B + w00·B1
//
// (wpq = w[3p+q], fused multiply-adds in this order from 0): the sums of
// the correlation of dy spread over zeros with the flipped kernel, whose
// other taps read zeros. The even and the odd columns are interleaved
// with VPERMT2PS (indices of dwGradInput3x3S2Data in Z25, Z26) and stored
// as two zmm registers per row. The last chunk's loads of A and B are
// masked by masks[0], of A1 and B1 by masks[1], its stores by masks[2]
// and masks[3]; row 2·ho − 1 is not written if hodd is 1. It does so for
// nplane ≥ 1 planes, plane k's dx at dx + k·dxplane, its dy at dy +
// k·dyplane and its 9 weights at w + 36·k (bytes); zero is a row of
// zeros.
func dwGradInput3x3S2512(g *gen, name string) {
	g.text(name, "dx, dy, zero, w *float32, masks *uint16, nchunk, ho, hodd, dyrow, dxrow, nplane, dxplane, dyplane int", 104, "AVX-512 3×3 stride-2 depthwise input-gradient kernel by output phases; see dwGradInput3x3S2512 in tensor/internal/asmgen.")
	w := func(p, q int) string { return fmt.Sprintf("Z%d", 16+3*p+q) }
	s2Prologue(g, 4, "dwS2Zip", "dyrow", "dxrow")
	// chunk emits one chunk: dy rows u and u+1 at SI and R8, CX bytes in,
	// dx rows 2u and 2u+1 at DI and R9, BX bytes in; the odd row is
	// skipped if R15 is not 0.
	chunk := func(last bool) {
		load := func(disp, mask int, src, dst string) {
			if last {
				g.i("VMOVUPS.Z %d(%s)(CX*1), K%d, %s", disp, src, mask, dst)
			} else {
				g.i("VMOVUPS %d(%s)(CX*1), %s", disp, src, dst)
			}
		}
		store := func(disp, mask int, src, dst string) {
			if last {
				g.i("VMOVUPS %s, K%d, %d(%s)(BX*1)", src, mask, disp, dst)
			} else {
				g.i("VMOVUPS %s, %d(%s)(BX*1)", src, disp, dst)
			}
		}
		load(0, 1, "SI", "Z4")
		load(4, 2, "SI", "Z5")
		load(0, 1, "R8", "Z6")
		load(4, 2, "R8", "Z7")
		for k := range 4 {
			g.i("VPXORD Z%d, Z%d, Z%d", k, k, k)
		}
		// Z0 even and Z1 odd columns of row 2u, Z2 and Z3 of row 2u+1.
		for _, f := range []struct {
			acc  int
			p, q []int
			src  []string
		}{
			{0, []int{1}, []int{1}, []string{"Z4"}},
			{1, []int{1, 1}, []int{2, 0}, []string{"Z4", "Z5"}},
			{2, []int{2, 0}, []int{1, 1}, []string{"Z4", "Z6"}},
			{3, []int{2, 2, 0, 0}, []int{2, 0, 2, 0}, []string{"Z4", "Z5", "Z6", "Z7"}},
		} {
			for k, src := range f.src {
				g.i("VFMADD231PS %s, %s, Z%d", src, w(f.p[k], f.q[k]), f.acc)
			}
		}
		skip := name + "_skip"
		if last {
			skip += "last"
		}
		for r, dst := range []string{"DI", "R9"} {
			if r == 1 {
				g.i("TESTQ R15, R15")
				g.i("JNZ %s", skip)
			}
			even, odd, lo := fmt.Sprintf("Z%d", 2*r), fmt.Sprintf("Z%d", 2*r+1), fmt.Sprintf("Z%d", 8+r)
			g.i("VMOVAPS %s, %s", even, lo)
			g.i("VPERMT2PS %s, Z25, %s", odd, lo)
			g.i("VPERMT2PS %s, Z26, %s", odd, even)
			store(0, 3, lo, dst)
			store(64, 4, even, dst)
		}
		g.p("%s:", skip)
		if !last {
			g.i("ADDQ $64, CX")
			g.i("ADDQ $128, BX")
		}
	}
	g.p("%s_plane:", name)
	g.i("MOVQ w+24(FP), AX")
	for t := range 9 {
		g.i("VBROADCASTSS %d(AX), %s", 4*t, w(t/3, t%3))
	}
	g.i("MOVQ dx+0(FP), DI")
	g.i("MOVQ dy+8(FP), SI")
	g.i("MOVQ ho+48(FP), R10")
	g.p("%s_row:", name)
	g.i("LEAQ (SI)(R12*1), R8")
	g.i("LEAQ (DI)(R13*1), R9")
	g.i("XORQ R15, R15")
	g.i("CMPQ R10, $1")
	g.i("CMOVQEQ zero+16(FP), R8")
	g.i("CMOVQEQ hodd+56(FP), R15")
	g.i("XORQ CX, CX")
	g.i("XORQ BX, BX")
	g.i("MOVQ nchunk+40(FP), R14")
	g.i("DECQ R14")
	g.i("JZ %s_last", name)
	g.p("%s_mid:", name)
	chunk(false)
	g.i("DECQ R14")
	g.i("JNZ %s_mid", name)
	g.p("%s_last:", name)
	chunk(true)
	g.i("ADDQ R12, SI")
	g.i("LEAQ (DI)(R13*2), DI")
	g.i("DECQ R10")
	g.i("JNZ %s_row", name)
	g.i("ADDQ $36, w+24(FP)")
	s2NextPlane(g, "dxplane", "dx+0", "dyplane", "dy+8")
	g.i("DECQ nplane+80(FP)")
	g.i("JNZ %s_plane", name)
	g.done(name, false)
}
