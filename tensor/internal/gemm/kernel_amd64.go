//go:build amd64 && !purego

package gemm

import "golang.org/x/sys/cpu"

//go:generate go run ../asmgen -kind gemm -out kernel_amd64.s

// sgemmKernel6x16AVX2 and sgemmKernel12x32AVX512 are the assembly
// micro-kernels of kernelFunc for 6×16 (AVX2+FMA) and 12×32 (AVX-512F)
// tiles, with fused multiply-adds; store is 0 or 1.
//
//go:noescape
func sgemmKernel6x16AVX2(k int, a, b *float32, ldb int, c *float32, ldc int, store int)

//go:noescape
func sgemmKernel12x32AVX512(k int, a, b *float32, ldb int, c *float32, ldc int, store int)

// asmKernel wraps an assembly kernel of tile mr×nr in a kernelFunc that
// checks the slice bounds first.
func asmKernel(mr, nr int, f func(k int, a, b *float32, ldb int, c *float32, ldc int, store int)) kernelFunc {
	return func(k int, a, b []float32, ldb int, c []float32, ldc int, store bool) {
		if k <= 0 {
			if store {
				for i := range mr {
					clear(c[i*ldc : i*ldc+nr])
				}
			}
			return
		}
		_ = a[k*mr-1]
		_ = b[(k-1)*ldb+nr-1]
		_ = c[(mr-1)*ldc+nr-1]
		st := 0
		if store {
			st = 1
		}
		f(k, &a[0], &b[0], ldb, &c[0], ldc, st)
	}
}

var (
	avx2Config = kernelConfig{name: "avx2_6x16", mr: 6, nr: 16, kc: 256, mc: 144,
		fn: asmKernel(6, 16, sgemmKernel6x16AVX2)}
	avx512Config = kernelConfig{name: "avx512_12x32", mr: 12, nr: 32, kc: 192, mc: 144,
		fn: asmKernel(12, 32, sgemmKernel12x32AVX512)}
)

// simdConfigs lists the SIMD micro-kernels this CPU can run, best first.
func simdConfigs() []kernelConfig {
	var cs []kernelConfig
	if cpu.X86.HasAVX512F {
		cs = append(cs, avx512Config)
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		cs = append(cs, avx2Config)
	}
	return cs
}
