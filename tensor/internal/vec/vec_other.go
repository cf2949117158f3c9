//go:build !amd64 || purego

package vec

// useAsm is false: only the pure-Go kernels exist.
const useAsm = false

// variants lists the kernel variants this build runs: the twins.
func variants() []string { return []string{"generic"} }

// kernel is the name of the variant in use.
var kernel string

func setVariant(name string) { kernel = name }

func clampAsm(dst, x []float32, lo, hi float32) int                             { return 0 }
func addAsm(dst, a, b []float32) int                                            { return 0 }
func mulAsm(dst, a, b []float32) int                                            { return 0 }
func scaleAsm(dst, x []float32, s float32) int                                  { return 0 }
func clampMaskAsm(dx, x, dy []float32, lo, hi float32) int                      { return 0 }
func positiveMaskAsm(dx, x, dy []float32) int                                   { return 0 }
func sumsAsm(acc *Acc, x []float32, shift float32) int                          { return 0 }
func dotsAsm(acc *Acc, dy, x []float32, mean float32) int                       { return 0 }
func dotsMaskAsm(acc *Acc, dy, x, y []float32, mean, lo, hi float32) int        { return 0 }
func normAsm(dst, x []float32, mean, a, b, lo, hi float32) int                  { return 0 }
func bnGradAsm(dx, dy, x []float32, mean, k, db, kx float32) int                { return 0 }
func bnGradMaskAsm(dx, dy, x, y []float32, mean, k, db, kx, lo, hi float32) int { return 0 }

func dotsMaskXAsm(acc *Acc, dy, x []float32, f Affine) int                { return 0 }
func bnGradMaskXAsm(dx, dy, x []float32, k, db, kx float32, f Affine) int { return 0 }

func normNTAsm(dst, x []float32, mean, a, b, lo, hi float32) int            { return 0 }
func bnGradMaskXNTAsm(dx, dy, x []float32, k, db, kx float32, f Affine) int { return 0 }

func swishAsm(dst, x []float32) int   { return 0 }
func sigmoidAsm(dst, x []float32) int { return 0 }

func normSwishAsm(dst, x []float32, mean, a, b, lo, hi float32) bool { return false }

func sum64Asm(x []float32) (float64, bool) { return 0, false }
