package tensor

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"testing"

	"github.com/autonl-go/autonl/tensor/internal/dwconv"
	"github.com/autonl-go/autonl/tensor/internal/vec"
	"github.com/stretchr/testify/require"
)

// denseWorkload runs every dense kernel on inputs large enough to take
// their parallel paths (GEMM tiles, images, weight-gradient chunks,
// channels) and returns the results.
func denseWorkload() []*Tensor {
	rng := rand.New(rand.NewPCG(41, 42))
	var out []*Tensor
	a, b := denseRandn(rng, 3, 150, 260), denseRandn(rng, 300, 260)
	out = append(out, MatMul(a, b, false, true), MatMul(b, a, false, true))
	for _, tc := range []convCase{
		{n: 6, c: 16, h: 20, w: 18, cout: 24, kh: 3, kw: 3, stride: [2]int{1, 1}, pad: [2]int{1, 1}, groups: 1},
		{n: 5, c: 32, h: 18, w: 18, cout: 64, kh: 3, kw: 3, stride: [2]int{2, 2}, pad: [2]int{1, 1}, groups: 32},
		{n: 7, c: 48, h: 14, w: 14, cout: 40, kh: 1, kw: 1, stride: [2]int{1, 1}, groups: 1},
		{n: 1, c: 64, h: 30, w: 30, cout: 64, kh: 3, kw: 3, stride: [2]int{1, 1}, pad: [2]int{1, 1}, groups: 2},
		// Batched 1×1 products over narrow maps, and depthwise layers with
		// channels interleaved across lanes (stride 1, and 2 with the
		// polyphase input gradient).
		{n: 8, c: 96, h: 7, w: 7, cout: 40, kh: 1, kw: 1, stride: [2]int{1, 1}, groups: 1},
		{n: 6, c: 88, h: 7, w: 7, cout: 88, kh: 3, kw: 3, stride: [2]int{1, 1}, pad: [2]int{1, 1}, groups: 88},
		{n: 6, c: 72, h: 14, w: 14, cout: 72, kh: 3, kw: 3, stride: [2]int{2, 2}, pad: [2]int{1, 1}, groups: 72},
		// Depthwise 3×3 layers computed plane by plane without a padded
		// copy where the kernels have it (two outputs per channel: input
		// gradients add up), and an output (and input gradient) of 8 MiB,
		// written with streaming stores.
		{n: 3, c: 8, h: 16, w: 24, cout: 16, kh: 3, kw: 3, stride: [2]int{1, 1}, pad: [2]int{1, 1}, groups: 8},
		{n: 8, c: 64, h: 64, w: 64, cout: 64, kh: 3, kw: 3, stride: [2]int{1, 1}, pad: [2]int{1, 1}, groups: 64},
		// A stride-2 3×3 layer of odd height whose backward passes run
		// plane by plane where the kernels have them (the phases of the
		// input gradient, and the weight gradient without a copy).
		{n: 3, c: 16, h: 29, w: 36, cout: 16, kh: 3, kw: 3, stride: [2]int{2, 2}, pad: [2]int{1, 1}, groups: 16},
		// A 5×5 depthwise layer on a map wider than 16, whose forward pass
		// and input gradient run on flattened planes (FlatPlan) where the
		// kernels have them, in runs of planes with an odd remainder.
		{n: 2, c: 11, h: 30, w: 30, cout: 11, kh: 5, kw: 5, stride: [2]int{1, 1}, pad: [2]int{2, 2}, groups: 11},
	} {
		p := tc.params()
		x := denseRandn(rng, tc.n, tc.c, tc.h, tc.w)
		w := denseRandn(rng, tc.cout, tc.c/tc.groups, tc.kh, tc.kw)
		y := Conv2D(x, w, p)
		dy := denseRandn(rng, y.Shape()...)
		out = append(out, y, Conv2DGradInput(dy, w, x.Shape(), p), Conv2DGradWeight(x, dy, w.Shape(), p))
	}
	x := denseRandn(rng, 8, 64, 17, 17)
	y, s := BatchNormTrain(x, nil, nil, 1e-5)
	dx, dg, db := BatchNormGrad(y, x, nil, s)
	yc, sc := BatchNormTrainClamp(x, nil, nil, 1e-5, 0, 1)
	dxc, dgc, dbc := BatchNormClampGrad(y, x, yc, nil, sc, 0, 1)
	out = append(out, yc, dxc, dgc, dbc, ReLU6(y), ReLU6Grad(y, x))
	// Batch norm on maps whose channels are gathered (4×4, 8×8), read in
	// groups (16×16), and on an output large enough for streaming stores.
	for _, shape := range [][]int{{16, 300, 4, 4}, {12, 150, 8, 8}, {10, 100, 16, 16}, {8, 72, 64, 64}} {
		xb := denseRandn(rng, shape...)
		dyb := denseRandn(rng, shape...)
		yb, sb := BatchNormTrainClamp(xb, nil, nil, 1e-5, 0, 1)
		dxb, dgb, dbb := BatchNormClampGrad(dyb, xb, yb, nil, sb, 0, 1)
		out = append(out, yb, sb.Mean, sb.Var, dxb, dgb, dbb)
	}
	pp := Pool2DConfig{Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}}
	mp, _ := MaxPool2D(x, pp)
	return append(out, y, s.Mean, s.Var, dx, dg, db, AvgPool2D(x, pp), mp, GlobalAvgPool2D(x))
}

func denseDigest(ts []*Tensor) string {
	h := fnv.New64a()
	for _, t := range ts {
		for _, v := range t.Data() {
			u := math.Float32bits(v)
			h.Write([]byte{byte(u), byte(u >> 8), byte(u >> 16), byte(u >> 24)})
		}
	}
	return fmt.Sprintf("%016x", h.Sum64())
}

// TestDenseKernelsBitIdenticalAcrossGOMAXPROCS checks that the dense
// kernels give bit-for-bit the same results with GOMAXPROCS 1 and 2, both
// in this process (the worker pool keeps its size, but goroutines are
// scheduled differently) and in child processes started with GOMAXPROCS=1
// and 2, whose worker pools have one and two workers.
func TestDenseKernelsBitIdenticalAcrossGOMAXPROCS(t *testing.T) {
	run := func(procs int) []*Tensor {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		return denseWorkload()
	}
	one, two := run(1), run(2)
	for i := range one {
		require.Equal(t, one[i].Shape(), two[i].Shape(), "result %d", i)
		for j, v := range one[i].Data() {
			if math.Float32bits(v) != math.Float32bits(two[i].Data()[j]) {
				require.Failf(t, "results differ", "result %d element %d: %v with GOMAXPROCS=1, %v with 2", i, j, v, two[i].Data()[j])
			}
		}
	}

	if testing.Short() {
		t.Skip("child processes skipped in short mode")
	}
	want := denseDigest(one)
	re := regexp.MustCompile(`dense-digest=([0-9a-f]{16})`)
	for _, procs := range []string{"1", "2"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestDenseDeterminismChild$", "-test.v")
		cmd.Env = append(os.Environ(), "GOMAXPROCS="+procs, "AUTONL_DENSE_DETERMINISM_CHILD=1")
		outb, err := cmd.CombinedOutput()
		require.NoError(t, err, "child with GOMAXPROCS=%s: %s", procs, outb)
		m := re.FindSubmatch(outb)
		require.NotNil(t, m, "child with GOMAXPROCS=%s printed no digest: %s", procs, outb)
		require.Equal(t, want, string(m[1]), "child with GOMAXPROCS=%s", procs)
	}
}

// asmVariants returns the assembly variants among a package's kernel
// variants (all but the pure-Go twins, which do not fuse multiply-adds).
func asmVariants(names []string) []string {
	return slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == "generic" })
}

// TestDenseKernelsBitIdenticalAcrossVariants checks that the dense kernels
// give bit-for-bit the same results with every assembly variant of the
// depthwise and batch-norm kernels the CPU runs (AVX-512 and AVX2): the
// variants compute the same operations in the same order, with or without
// a padded copy of the depthwise planes.
func TestDenseKernelsBitIdenticalAcrossVariants(t *testing.T) {
	names := asmVariants(dwconv.Variants())
	require.Equal(t, names, asmVariants(vec.Variants()), "dwconv and vec variants")
	if len(names) < 2 {
		t.Skipf("one assembly variant at most: %v", names)
	}
	digests := map[string]string{}
	for _, name := range names {
		prevD, prevV := dwconv.Use(name), vec.Use(name)
		digests[name] = denseDigest(denseWorkload())
		dwconv.Use(prevD)
		vec.Use(prevV)
	}
	for _, name := range names[1:] {
		require.Equal(t, digests[names[0]], digests[name], "kernels %s against %s", name, names[0])
	}
}

// TestDenseDeterminismChild is the child process of
// TestDenseKernelsBitIdenticalAcrossGOMAXPROCS.
func TestDenseDeterminismChild(t *testing.T) {
	if os.Getenv("AUTONL_DENSE_DETERMINISM_CHILD") != "1" {
		t.Skip("run as a child process only")
	}
	fmt.Printf("workers=%d dense-digest=%s\n", runtime.GOMAXPROCS(0), denseDigest(denseWorkload()))
}
