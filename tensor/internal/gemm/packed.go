package gemm

import (
	"fmt"

	"github.com/autonl-go/autonl/internal/parallel"
)

// PackedA is α·op(A) of an m×k product packed once, as the drivers pack
// it for every product, for products that share their A: the weights of
// a layer at inference, multiplied by one batch of activations after
// another. Its layout is that of runCols: k block pc (kcur = min(kc,
// k−pc) columns) at data[pc·mp:], mp = m rounded up to a multiple of mr,
// its panel of rows [i, i+mr) at data[pc·mp + i·kcur:], rows past m
// zero. It belongs to the micro-kernel in use when it was made (mr and kc
// depend on it); SgemmPacked declines it under another. It is read-only
// once made and safe for concurrent use.
type PackedA struct {
	m, k   int
	alpha  float32
	transA bool
	kernel string // kernelConfig.name
	mr, kc int
	data   []float32
}

// PackA returns α·op(A) packed for the micro-kernel in use, op(A) the
// m×k matrix a[i·lda+p] or, if transA, a[p·lda+i]. The values are those
// every product would pack (α·a rounded to float32), so products with it
// are bit for bit those computed from A. It panics as Sgemm does for A.
func PackA(transA bool, m, k int, alpha float32, a []float32, lda int) *PackedA {
	if m < 0 || k < 0 {
		panic(fmt.Sprintf("gemm: PackA: negative dimension m=%d k=%d", m, k))
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	checkMatrix("A", ar, ac, a, lda)
	kc := cfg
	mp := roundUp(m, kc.mr)
	pa := &PackedA{m: m, k: k, alpha: alpha, transA: transA, kernel: kc.name, mr: kc.mr, kc: kc.kc, data: make([]float32, mp*k)}
	mPanels := mp / kc.mr
	units := ceilDiv(k, kc.kc) * mPanels
	parallel.For(units, max(1, 1<<14/(kc.mr*kc.kc)), func(lo, hi int) {
		for u := lo; u < hi; u++ {
			pc, i := u/mPanels*kc.kc, u%mPanels*kc.mr
			kcur := min(kc.kc, k-pc)
			packA(pa.data[pc*mp+i*kcur:], kc.mr, transA, a, lda, i, min(kc.mr, m-i), pc, kcur, kcur, 0, alpha)
		}
	})
	return pa
}

// Dims returns m and k.
func (pa *PackedA) Dims() (m, k int) { return pa.m, pa.k }

// block returns the packed rows [i0, i0+mc) of k block pc (kcur wide),
// for i0 a multiple of mr.
func (pa *PackedA) block(pc, kcur, i0, mc int) []float32 {
	mp := roundUp(pa.m, pa.mr)
	return pa.data[pc*mp+i0*kcur : pc*mp+(i0+roundUp(mc, pa.mr))*kcur]
}

// SgemmPacked is SgemmBatchNEpilogue with the packed α·op(A) pa in place
// of α, A and lda (m and k are pa's), without packing A:
//
//	C_i ← α·op(A)·B_i + β·C_i,  then aff and ep,  i < nb,
//
// bit for bit the results of SgemmBatchNEpilogue with the A pa was packed
// from. It reports false, and computes nothing, when the product does not
// pack A (a batch of matrix-vector products: nb = 0, n ≤ 1, m ≤ 1, k =
// 0 or α = 0), reads it in place (runDirectA: there, on 7×7 maps, reading
// A in place is faster than reading it packed) or pa belongs to another
// micro-kernel than the one in use; the caller then calls
// SgemmBatchNEpilogue with A. It panics as SgemmBatchNEpilogue does.
func SgemmPacked(pa *PackedA, n int, b []float32, ldb, strideB int, beta float32, c []float32, ldc, strideC, nb int, aff *Affine, ep Epilogue) bool {
	m, k := pa.m, pa.k
	if nb < 0 || n < 0 {
		panic(fmt.Sprintf("gemm: SgemmPacked: negative batch %d or n %d", nb, n))
	}
	if nb == 0 {
		return false
	}
	checkMatrix("B", k, n, b[(nb-1)*strideB:], ldb)
	checkMatrix("C", m, n, c[(nb-1)*strideC:], ldc)
	if aff != nil {
		aff.check(m)
	}
	if n <= 1 || m <= 1 || k == 0 || pa.alpha == 0 || pa.kernel != cfg.name || pa.mr != cfg.mr || pa.kc != cfg.kc {
		return false
	}
	// The product as the caller computes it from A when this declines.
	plain := gemmArgs{kernelConfig: cfg, m: m, n: nb * n, k: k, alpha: pa.alpha, transA: pa.transA, lda: k, segN: true, n0: n}
	if plain.useDirectA() {
		return false
	}
	g := &gemmArgs{kernelConfig: cfg, m: m, n: nb * n, k: k, alpha: 1, pa: pa,
		b: b, ldb: ldb, beta: beta, c: c, ldc: ldc,
		segN: true, n0: n, strideB: strideB, strideC: strideC, aff: aff, ep: ep}
	g.run()
	return true
}
