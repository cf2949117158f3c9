package vec

// Sum64 returns the sum of x in float64 in a fixed order: sixteen partial
// sums, x[j] going to sum j mod 16 in increasing j, then added pairwise,
// s[l] + s[l+8] for l < 8, then those + the one 4 further on, 2 further
// on and 1 further on. The partial sums' additions overlap rather than
// wait for each other (an AVX-512 kernel where it runs, with the twin's
// results bit for bit), and the order depends on len(x) alone.
func Sum64(x []float32) float64 {
	if useAsm {
		if s, ok := sum64Asm(x); ok {
			return s
		}
	}
	return Sum64Generic(x)
}

// Sum64Generic is the pure-Go twin of Sum64.
func Sum64Generic(x []float32) float64 {
	var s [16]float64
	j := 0
	for ; j+16 <= len(x); j += 16 {
		v := x[j : j+16 : j+16]
		for l := range 16 {
			s[l] += float64(v[l])
		}
	}
	for l, v := range x[j:] {
		s[l] += float64(v)
	}
	for w := 8; w >= 1; w /= 2 {
		for l := range w {
			s[l] += s[l+w]
		}
	}
	return s[0]
}
