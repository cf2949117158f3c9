package tensor

// getScratch returns a slice of length n for temporary use inside a kernel,
// such as an im2col buffer, from the same pool as getBuffer but without
// clearing it: its contents are arbitrary. Return it with putScratch.
func getScratch(n int) []float32 {
	c := sizeClass(n)
	if n < 1<<minPoolClass || c > maxPoolClass {
		return make([]float32, n)
	}
	if b := poolGet(c); b != nil {
		return b[:n]
	}
	return make([]float32, n, 1<<c)
}

// putScratch returns a slice from getScratch to the pool. It must not be
// used afterwards.
func putScratch(b []float32) {
	Release(&Tensor{data: b})
}
