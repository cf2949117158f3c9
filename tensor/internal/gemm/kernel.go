package gemm

// kernelGeneric4x8 is the portable micro-kernel for mr = 4, nr = 8:
//
//	c[i·ldc+j] += Σ_{p<kc} a[p·4+i]·b[p·8+j],  i < 4, j < 8,
//
// where a is a packed panel of 4 rows of A and b a packed panel of 8
// columns of B (see packA and packB). The sum over p runs in increasing
// order and is added to c once at the end.
//
// Go does not vectorize and has 15 usable floating-point registers on
// amd64, so the kernel computes one row of the block at a time with eight
// accumulators, re-reading the 8 KiB B panel from L1 for each row; the p
// loop is unrolled four times. A SIMD kernel replaces this function (and
// mr, nr) wholesale.
func kernelGeneric4x8(kc int, a, b, c []float32, ldc int) {
	a = a[:kc*4]
	b = b[:kc*8]
	for i := range 4 {
		var c0, c1, c2, c3, c4, c5, c6, c7 float32
		p := 0
		for ; p+4 <= kc; p += 4 {
			aa := a[p*4+i : p*4+i+13]
			bb := (*[32]float32)(b[p*8 : p*8+32])
			ai := aa[0]
			c0 += ai * bb[0]
			c1 += ai * bb[1]
			c2 += ai * bb[2]
			c3 += ai * bb[3]
			c4 += ai * bb[4]
			c5 += ai * bb[5]
			c6 += ai * bb[6]
			c7 += ai * bb[7]
			ai = aa[4]
			c0 += ai * bb[8]
			c1 += ai * bb[9]
			c2 += ai * bb[10]
			c3 += ai * bb[11]
			c4 += ai * bb[12]
			c5 += ai * bb[13]
			c6 += ai * bb[14]
			c7 += ai * bb[15]
			ai = aa[8]
			c0 += ai * bb[16]
			c1 += ai * bb[17]
			c2 += ai * bb[18]
			c3 += ai * bb[19]
			c4 += ai * bb[20]
			c5 += ai * bb[21]
			c6 += ai * bb[22]
			c7 += ai * bb[23]
			ai = aa[12]
			c0 += ai * bb[24]
			c1 += ai * bb[25]
			c2 += ai * bb[26]
			c3 += ai * bb[27]
			c4 += ai * bb[28]
			c5 += ai * bb[29]
			c6 += ai * bb[30]
			c7 += ai * bb[31]
		}
		for ; p < kc; p++ {
			ai := a[p*4+i]
			bb := (*[8]float32)(b[p*8 : p*8+8])
			c0 += ai * bb[0]
			c1 += ai * bb[1]
			c2 += ai * bb[2]
			c3 += ai * bb[3]
			c4 += ai * bb[4]
			c5 += ai * bb[5]
			c6 += ai * bb[6]
			c7 += ai * bb[7]
		}
		r := (*[8]float32)(c[i*ldc : i*ldc+8])
		r[0] += c0
		r[1] += c1
		r[2] += c2
		r[3] += c3
		r[4] += c4
		r[5] += c5
		r[6] += c6
		r[7] += c7
	}
}
