package main

import "fmt"

// Registers of gemmDirect8x49: the 8×48 sums in Z0–Z23 (row i, vector v
// in Z(3i+v)), the 49th column's sums in Y24 (lane i is row i), row p of
// B in Z25–Z27, column p of the block of A in Y28, the byte offsets of
// the block's rows in Y29, and the broadcast element of A in Z30.
const (
	directRows = 8
	directVecs = 3
	// directIota names the table 0, 1, …, 7 of int32.
	directIota = "gemmDirectIota"
)

// gemmDirectData emits directIota.
func gemmDirectData(g *gen) {
	g.p("")
	for i := range directRows {
		g.p("DATA %s<>+%d(SB)/4, $%d", directIota, 4*i, i)
	}
	g.p("GLOBL %s<>(SB), RODATA|NOPTR, $%d", directIota, 4*directRows)
}

// gemmDirect8x49 emits an AVX-512 micro-kernel for 8×49 blocks of C (the
// 1×1 convolutions of 7×7 maps) that reads A in place, with the Go
// declaration
//
//	func name(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, store int)
//
// It computes, for i < 8 and j < 49,
//
//	s = Σ_{p<k} a[i·lda+p]·b[p·ldb+j]   (fused multiply-adds, p increasing, from 0)
//	c[i·ldc+j] = s            if store != 0
//	c[i·ldc+j] = c[i·ldc+j]+s otherwise
//
// for k ≥ 1 and 28·lda < 2³¹ (the byte offsets of the rows fit 32
// bits). The first 48 columns are held by rows, as gemmKernel holds
// them: at each step three vectors of row p of B and each a[i·lda+p]
// broadcast from its row of A. The 49th is one accumulator whose lane i is row i,
// fed by column p of the block of A, gathered, times b[p·ldb+48]
// broadcast by the multiply-add, as gemmKernelCols feeds its extra column
// from a packed panel. Every sum is formed by the same fused
// multiply-adds in the same order as in the packed kernels, so the
// results are theirs bit for bit, without packing A: for narrow products
// with a large A, packing it cost a fifth of the time.
func gemmDirect8x49(g *gen, name string) {
	acc := func(i, v int) string { return fmt.Sprintf("Z%d", directVecs*i+v) }
	bReg := func(v int) string { return fmt.Sprintf("Z%d", 25+v) }
	// row returns the address of a[i·lda + p] at step u of the unrolled
	// loop: SI and R11 point at rows 0 and 4 at column p, R8 is lda in
	// bytes and R10 three times it.
	row := func(i, u int) string {
		base := "SI"
		if i >= 4 {
			base = "R11"
		}
		switch i % 4 {
		case 1:
			return fmt.Sprintf("%d(%s)(R8*1)", 4*u, base)
		case 2:
			return fmt.Sprintf("%d(%s)(R8*2)", 4*u, base)
		case 3:
			return fmt.Sprintf("%d(%s)(R10*1)", 4*u, base)
		}
		return fmt.Sprintf("%d(%s)", 4*u, base)
	}
	const nr = 16 * directVecs
	g.p("")
	g.p("// func %s(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, store int)", name)
	g.p("// AVX-512 8×49 micro-kernel reading A in place; see gemmDirect8x49 in tensor/internal/asmgen.")
	// The frame holds the 49th column's sums on the way to C.
	g.p("TEXT ·%s(SB), NOSPLIT, $32-64", name)
	g.i("MOVQ k+0(FP), CX")
	g.i("MOVQ a+8(FP), SI")
	g.i("MOVQ lda+16(FP), R8")
	g.i("SHLQ $2, R8")
	g.i("LEAQ (R8)(R8*2), R10")
	g.i("LEAQ (SI)(R8*4), R11")
	g.i("MOVQ b+24(FP), DX")
	g.i("MOVQ ldb+32(FP), R9")
	g.i("SHLQ $2, R9")
	// The byte offsets of the rows, i·lda·4, computed here rather than
	// loaded from the caller's stores: those wait in the store buffer
	// behind the stores of the last block of C, which cost 4% (Xeon).
	g.i("VPBROADCASTD R8, Y29")
	g.i("VPMULLD %s<>(SB), Y29, Y29", directIota)
	for i := range directRows {
		for v := range directVecs {
			g.i("VPXORD %s, %s, %s", acc(i, v), acc(i, v), acc(i, v))
		}
	}
	g.i("VPXORD Z24, Z24, Z24")
	step := func(u int) {
		for v := range directVecs {
			g.i("VMOVUPS %d(DX), %s", 64*v, bReg(v))
		}
		g.i("KXNORW K2, K2, K2")
		g.i("VGATHERDPS %d(SI)(Y29*1), K2, Y28", 4*u)
		g.i("VFMADD231PS.BCST %d(DX), Y28, Y24", 4*nr)
		g.i("ADDQ R9, DX")
		for i := range directRows {
			g.i("VBROADCASTSS %s, Z30", row(i, u))
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
	g.i("ANDQ $3, CX")
	g.i("JZ %s_store", name)
	g.p("%s_loop1:", name)
	step(0)
	g.i("ADDQ $4, SI")
	g.i("ADDQ $4, R11")
	g.i("DECQ CX")
	g.i("JNZ %s_loop1", name)
	g.p("%s_store:", name)
	g.i("MOVQ c+40(FP), DI")
	g.i("MOVQ ldc+48(FP), R9")
	g.i("SHLQ $2, R9")
	g.i("VMOVUPS Y24, (SP)")
	g.i("MOVQ store+56(FP), AX")
	g.i("TESTQ AX, AX")
	g.i("JNZ %s_overwrite", name)
	for i := range directRows {
		for v := range directVecs {
			g.i("VADDPS %d(DI), %s, %s", 64*v, acc(i, v), acc(i, v))
			g.i("VMOVUPS %s, %d(DI)", acc(i, v), 64*v)
		}
		g.i("VMOVSS %d(SP), X28", 4*i)
		g.i("VADDSS %d(DI), X28, X28", 4*nr)
		g.i("VMOVSS X28, %d(DI)", 4*nr)
		if i < directRows-1 {
			g.i("ADDQ R9, DI")
		}
	}
	g.i("JMP %s_done", name)
	g.p("%s_overwrite:", name)
	for i := range directRows {
		for v := range directVecs {
			g.i("VMOVUPS %s, %d(DI)", acc(i, v), 64*v)
		}
		g.i("MOVL %d(SP), AX", 4*i)
		g.i("MOVL AX, %d(DI)", 4*nr)
		if i < directRows-1 {
			g.i("ADDQ R9, DI")
		}
	}
	g.done(name, false)
}
