package vec

// LaneSums adds each x[j] to acc[j mod 16] in float64, in increasing j:
// sixteen partial sums whose additions overlap rather than wait for each
// other, in an order fixed by len(x) alone (an AVX-512 kernel where it
// runs, with the twin's results bit for bit).
func LaneSums(acc *[16]float64, x []float32) {
	if useAsm && laneSumsAsm(acc, x) {
		return
	}
	LaneSumsGeneric(acc, x)
}

// LaneSumsGeneric is the pure-Go twin of LaneSums.
func LaneSumsGeneric(acc *[16]float64, x []float32) {
	j := 0
	for ; j+16 <= len(x); j += 16 {
		v := x[j : j+16 : j+16]
		for l := range 16 {
			acc[l] += float64(v[l])
		}
	}
	for l, v := range x[j:] {
		acc[l] += float64(v)
	}
}
