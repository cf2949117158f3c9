package main

import "fmt"

// Registers of gemmDirect8x49's main loop: the 8×48 sums in Z0–Z23 (row
// i, vector v in Z(3i+v)), row p of B in Z25–Z27 and the broadcast
// element of A in Z30. Its 49th column reuses Z0–Z9 once the first 48
// are stored.
const (
	directRows = 8
	directVecs = 3
)

// gemmDirect8x49 emits an AVX-512 micro-kernel for 8×49 blocks of C (the
// 1×1 convolutions of 7×7 maps) that reads A in place, with the Go
// declaration
//
//	func name(k int, a *float32, lda int, b *float32, ldb int, bc *float32, c *float32, ldc int, store int)
//
// where bc holds column 48 of B, bc[p] = b[p·ldb+48]. It computes, for
// i < 8,
//
//	s_ij = Σ_{p<k} a[i·lda+p]·b[p·ldb+j]   for j < 48: fused multiply-adds, p increasing, from 0
//	s_i48 = ((v0+v2) + (v1+v3))            v_l = (t_l + t_{l+4}), t_l = (r_l + r_{l+8})
//	r_l = Σ_{p<k, p ≡ l mod 16} a[i·lda+p]·bc[p]   (fused multiply-adds, p increasing, from 0)
//	c[i·ldc+j] = s_ij            if store != 0
//	c[i·ldc+j] = c[i·ldc+j]+s_ij otherwise
//
// for k ≥ 1. The first 48 columns are held by rows, as gemmKernel holds
// them: at each step three vectors of row p of B and each a[i·lda+p]
// broadcast from its row of A, so their sums are those of the packed
// kernels bit for bit. The 49th column is a dot product of each row of A
// with bc, 16 lanes at a time, once the first 48 are stored: a gather
// of column p of A at each step, which kept the packed kernels' order,
// cost a tenth of the time (Intel Xeon).
func gemmDirect8x49(g *gen, name string) {
	acc := func(i, v int) string { return fmt.Sprintf("Z%d", directVecs*i+v) }
	bReg := func(v int) string { return fmt.Sprintf("Z%d", 25+v) }
	// row returns the address of a[i·lda + p] plus disp bytes: SI and R11
	// point at rows 0 and 4 at column p, R8 is lda in bytes and R10 three
	// times it.
	row := func(i, disp int) string {
		base := "SI"
		if i >= 4 {
			base = "R11"
		}
		switch i % 4 {
		case 1:
			return fmt.Sprintf("%d(%s)(R8*1)", disp, base)
		case 2:
			return fmt.Sprintf("%d(%s)(R8*2)", disp, base)
		case 3:
			return fmt.Sprintf("%d(%s)(R10*1)", disp, base)
		}
		return fmt.Sprintf("%d(%s)", disp, base)
	}
	const nr = 16 * directVecs
	g.p("")
	g.p("// func %s(k int, a *float32, lda int, b *float32, ldb int, bc *float32, c *float32, ldc int, store int)", name)
	g.p("// AVX-512 8×49 micro-kernel reading A in place; see gemmDirect8x49 in tensor/internal/asmgen.")
	// The frame holds the 49th column's sums on the way to C.
	g.p("TEXT ·%s(SB), NOSPLIT, $64-72", name)
	g.i("MOVQ k+0(FP), CX")
	g.i("MOVQ a+8(FP), SI")
	g.i("MOVQ lda+16(FP), R8")
	g.i("SHLQ $2, R8")
	g.i("LEAQ (R8)(R8*2), R10")
	g.i("LEAQ (SI)(R8*4), R11")
	g.i("MOVQ b+24(FP), DX")
	g.i("MOVQ ldb+32(FP), R9")
	g.i("SHLQ $2, R9")
	for i := range directRows {
		for v := range directVecs {
			g.i("VPXORD %s, %s, %s", acc(i, v), acc(i, v), acc(i, v))
		}
	}
	step := func(u int) {
		for v := range directVecs {
			g.i("VMOVUPS %d(DX), %s", 64*v, bReg(v))
		}
		g.i("ADDQ R9, DX")
		for i := range directRows {
			g.i("VBROADCASTSS %s, Z30", row(i, 4*u))
			for v := range directVecs {
				g.i("VFMADD231PS %s, Z30, %s", bReg(v), acc(i, v))
			}
		}
	}
	const unroll = 4
	g.i("MOVQ CX, BX")
	g.i("SHRQ $2, BX")
	g.i("JZ %s_tail", name)
	g.p("%s_loop4:", name)
	for u := range unroll {
		step(u)
	}
	g.i("ADDQ $%d, SI", 4*unroll)
	g.i("ADDQ $%d, R11", 4*unroll)
	g.i("DECQ BX")
	g.i("JNZ %s_loop4", name)
	g.p("%s_tail:", name)
	g.i("MOVQ CX, BX")
	g.i("ANDQ $3, BX")
	g.i("JZ %s_store", name)
	g.p("%s_loop1:", name)
	step(0)
	g.i("ADDQ $4, SI")
	g.i("ADDQ $4, R11")
	g.i("DECQ BX")
	g.i("JNZ %s_loop1", name)
	g.p("%s_store:", name)
	g.i("MOVQ c+48(FP), DI")
	g.i("MOVQ ldc+56(FP), R9")
	g.i("SHLQ $2, R9")
	g.i("MOVQ store+64(FP), AX")
	g.i("TESTQ AX, AX")
	g.i("JNZ %s_overwrite", name)
	for i := range directRows {
		for v := range directVecs {
			g.i("VADDPS %d(DI), %s, %s", 64*v, acc(i, v), acc(i, v))
			g.i("VMOVUPS %s, %d(DI)", acc(i, v), 64*v)
		}
		if i < directRows-1 {
			g.i("ADDQ R9, DI")
		}
	}
	g.i("JMP %s_col", name)
	g.p("%s_overwrite:", name)
	for i := range directRows {
		for v := range directVecs {
			g.i("VMOVUPS %s, %d(DI)", acc(i, v), 64*v)
		}
		if i < directRows-1 {
			g.i("ADDQ R9, DI")
		}
	}
	// The 49th column: r in Z0–Z7 (row i in Zi), 16 columns of A at a
	// time times bc in Z8, the last k mod 16 under the mask K1 (masked
	// lanes of A are neither read nor summed).
	g.p("%s_col:", name)
	g.i("MOVQ a+8(FP), SI")
	g.i("LEAQ (SI)(R8*4), R11")
	g.i("MOVQ bc+40(FP), DX")
	for i := range directRows {
		g.i("VPXORD Z%d, Z%d, Z%d", i, i, i)
	}
	g.i("MOVQ CX, BX")
	g.i("SHRQ $4, BX")
	g.i("JZ %s_coltail", name)
	g.p("%s_colloop:", name)
	g.i("VMOVUPS (DX), Z8")
	for i := range directRows {
		g.i("VFMADD231PS %s, Z8, Z%d", row(i, 0), i)
	}
	g.i("ADDQ $64, SI")
	g.i("ADDQ $64, R11")
	g.i("ADDQ $64, DX")
	g.i("DECQ BX")
	g.i("JNZ %s_colloop", name)
	g.p("%s_coltail:", name)
	g.i("ANDQ $15, CX")
	g.i("JZ %s_reduce", name)
	g.i("MOVL $1, BX")
	g.i("SHLL CX, BX")
	g.i("DECL BX")
	g.i("KMOVW BX, K1")
	g.i("VMOVUPS.Z (DX), K1, Z8")
	for i := range directRows {
		g.i("VFMADD231PS %s, Z8, K1, Z%d", row(i, 0), i)
	}
	// Sum each row's 16 lanes pairwise as sumLanes does, all rows at
	// once: lanes l and l+8 (rows in pairs), l and l+4 (rows in fours),
	// then within each 128-bit quarter l and l+2, and l and l+1. Quarter
	// q of Z0 ends with row q's sum in lane 0 and row q+4's in lane 1.
	g.p("%s_reduce:", name)
	for i := 0; i < directRows; i += 2 {
		g.i("VSHUFF32X4 $0x44, Z%d, Z%d, Z8", i+1, i)
		g.i("VSHUFF32X4 $0xEE, Z%d, Z%d, Z9", i+1, i)
		g.i("VADDPS Z9, Z8, Z%d", i)
	}
	for i := 0; i < directRows; i += 4 {
		g.i("VSHUFF32X4 $0x88, Z%d, Z%d, Z8", i+2, i)
		g.i("VSHUFF32X4 $0xDD, Z%d, Z%d, Z9", i+2, i)
		g.i("VADDPS Z9, Z8, Z%d", i)
	}
	g.i("VSHUFPS $0x44, Z4, Z0, Z8")
	g.i("VSHUFPS $0xEE, Z4, Z0, Z9")
	g.i("VADDPS Z9, Z8, Z0")
	g.i("VSHUFPS $0x88, Z0, Z0, Z8")
	g.i("VSHUFPS $0xDD, Z0, Z0, Z9")
	g.i("VADDPS Z9, Z8, Z0")
	g.i("VMOVUPS Z0, (SP)")
	g.i("MOVQ c+48(FP), DI")
	g.i("TESTQ AX, AX")
	g.i("JNZ %s_colover", name)
	for i := range directRows {
		g.i("VMOVSS %d(SP), X8", 16*(i%4)+4*(i/4))
		g.i("VADDSS %d(DI), X8, X8", 4*nr)
		g.i("VMOVSS X8, %d(DI)", 4*nr)
		if i < directRows-1 {
			g.i("ADDQ R9, DI")
		}
	}
	g.i("JMP %s_done", name)
	g.p("%s_colover:", name)
	for i := range directRows {
		g.i("MOVL %d(SP), BX", 16*(i%4)+4*(i/4))
		g.i("MOVL BX, %d(DI)", 4*nr)
		if i < directRows-1 {
			g.i("ADDQ R9, DI")
		}
	}
	g.done(name, false)
}
