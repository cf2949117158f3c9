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
