package tensor

import (
	"fmt"

	"github.com/autonl-go/autonl/internal/parallel"
	"github.com/autonl-go/autonl/tensor/internal/gemm"
)

// Conv2DConfig configures a 2-D convolution. Pairs are in [H, W] order.
type Conv2DConfig struct {
	// Stride is the step between output positions; zero means 1.
	Stride [2]int
	// Padding is the number of implicit zeros added on both sides.
	Padding [2]int
	// Dilation is the spacing between kernel taps; zero means 1.
	Dilation [2]int
	// Groups splits the input and output channels into that many
	// independent convolutions; zero means 1. Groups equal to the number of
	// input channels is a depthwise convolution.
	Groups int
}

// convGeom is the validated geometry of a convolution: x is N×C×H×W, w is
// Cout×Cg×kh×kw with Cg = C/groups, y is N×Cout×Ho×Wo, and output channel
// o belongs to group o/Og with Og = Cout/groups.
type convGeom struct {
	n, c, h, w     int
	cout, cg, og   int
	groups         int
	kh, kw         int
	sh, sw         int
	ph, pw         int
	dh, dw         int
	ho, wo         int
	xShape, wShape []int
}

// newConvGeom validates the shapes and parameters of operation op and
// returns the geometry.
func newConvGeom(op string, xShape, wShape []int, p Conv2DConfig) *convGeom {
	for _, v := range [...]struct {
		name string
		v    [2]int
	}{{"stride", p.Stride}, {"padding", p.Padding}, {"dilation", p.Dilation}} {
		if v.v[0] < 0 || v.v[1] < 0 {
			panic(fmt.Sprintf("tensor: %s: negative %s %v", op, v.name, v.v))
		}
	}
	if p.Groups < 0 {
		panic(fmt.Sprintf("tensor: %s: negative groups %d", op, p.Groups))
	}
	if len(xShape) != 4 {
		panic(fmt.Sprintf("tensor: %s: input x %v is not 4-D N×C×H×W", op, xShape))
	}
	if len(wShape) != 4 {
		panic(fmt.Sprintf("tensor: %s: weight w %v is not 4-D Cout×(C/groups)×kh×kw", op, wShape))
	}
	g := &convGeom{
		n: xShape[0], c: xShape[1], h: xShape[2], w: xShape[3],
		cout: wShape[0], kh: wShape[2], kw: wShape[3],
		groups: orOne(p.Groups),
		sh:     orOne(p.Stride[0]), sw: orOne(p.Stride[1]),
		ph: p.Padding[0], pw: p.Padding[1],
		dh: orOne(p.Dilation[0]), dw: orOne(p.Dilation[1]),
		xShape: cloneInts(xShape), wShape: cloneInts(wShape),
	}
	if g.c%g.groups != 0 {
		panic(fmt.Sprintf("tensor: %s: groups %d does not divide input channels %d (x %v)", op, g.groups, g.c, xShape))
	}
	if g.cout%g.groups != 0 {
		panic(fmt.Sprintf("tensor: %s: groups %d does not divide output channels %d (w %v)", op, g.groups, g.cout, wShape))
	}
	g.cg, g.og = g.c/g.groups, g.cout/g.groups
	if wShape[1] != g.cg {
		panic(fmt.Sprintf("tensor: %s: weight w %v has %d input channels per group, want C/groups = %d/%d = %d (x %v)",
			op, wShape, wShape[1], g.c, g.groups, g.cg, xShape))
	}
	if g.kh < 1 || g.kw < 1 {
		panic(fmt.Sprintf("tensor: %s: empty kernel %d×%d (w %v)", op, g.kh, g.kw, wShape))
	}
	eh, ew := g.dh*(g.kh-1)+1, g.dw*(g.kw-1)+1 // dilated kernel extent
	if eh > g.h+2*g.ph || ew > g.w+2*g.pw {
		panic(fmt.Sprintf("tensor: %s: kernel %d×%d with dilation [%d %d] spans %d×%d, more than the padded input %d×%d (x %v, padding %v): output size < 1",
			op, g.kh, g.kw, g.dh, g.dw, eh, ew, g.h+2*g.ph, g.w+2*g.pw, xShape, p.Padding))
	}
	g.ho = (g.h+2*g.ph-eh)/g.sh + 1
	g.wo = (g.w+2*g.pw-ew)/g.sw + 1
	return g
}

func orOne(v int) int {
	if v == 0 {
		return 1
	}
	return v
}

func (g *convGeom) outShape() []int { return []int{g.n, g.cout, g.ho, g.wo} }

// depthwise reports whether every group has a single input channel (and
// there is more than one group), the case computed by direct loops.
func (g *convGeom) depthwise() bool { return g.groups > 1 && g.cg == 1 }

// pointwise reports whether the convolution is a 1×1 convolution with
// stride 1 and no padding, a plain matrix product per image and group.
func (g *convGeom) pointwise() bool {
	return g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0
}

// Sizes of the per-image, per-group blocks.
func (g *convGeom) kk() int      { return g.kh * g.kw }
func (g *convGeom) hw() int      { return g.h * g.w }
func (g *convGeom) howo() int    { return g.ho * g.wo }
func (g *convGeom) colRows() int { return g.cg * g.kk() }

// Slices of image n, group grp of x (Cg×H×W), w (Og×Cg·kh·kw) and y
// (Og×Ho·Wo).
func (g *convGeom) xBlock(x []float32, n, grp int) []float32 {
	off := (n*g.c + grp*g.cg) * g.hw()
	return x[off : off+g.cg*g.hw()]
}

func (g *convGeom) wBlock(w []float32, grp int) []float32 {
	off := grp * g.og * g.colRows()
	return w[off : off+g.og*g.colRows()]
}

func (g *convGeom) yBlock(y []float32, n, grp int) []float32 {
	off := (n*g.cout + grp*g.og) * g.howo()
	return y[off : off+g.og*g.howo()]
}

func (g *convGeom) checkDy(op string, dy *Tensor) {
	if !SameShape(dy.shape, g.outShape()) {
		panic(fmt.Sprintf("tensor: %s: dy %v does not match the output shape %v of x %v and w %v",
			op, dy.shape, g.outShape(), g.xShape, g.wShape))
	}
}

// Conv2DOutputShape returns the shape N×Cout×Ho×Wo of Conv2D(x, w, p) for x
// of shape xShape (N×C×H×W) and w of shape wShape (Cout×(C/groups)×kh×kw):
//
//	Ho = ⌊(H + 2·ph − dh·(kh−1) − 1) / sh⌋ + 1,  Wo likewise.
//
// It panics under the same conditions as Conv2D.
func Conv2DOutputShape(xShape, wShape []int, p Conv2DConfig) []int {
	return newConvGeom("Conv2DOutputShape", xShape, wShape, p).outShape()
}

// Conv2D returns the 2-D cross-correlation of x (N×C×H×W) with the filters
// w (Cout×(C/G)×kh×kw) under p, with G groups, as PyTorch's conv2d without
// bias:
//
//	y[n,o,i,j] = Σ_{c<C/G, p<kh, q<kw} x[n, g·C/G+c, i·sh − ph + p·dh, j·sw − pw + q·dw] · w[o,c,p,q]
//
// where g = o/(Cout/G) is the group of output channel o and x is zero
// outside its H×W extent. The result is N×Cout×Ho×Wo (see
// Conv2DOutputShape).
//
// 1×1 convolutions with stride 1 and no padding are one matrix product per
// image and group (one batched product, gemm.SgemmBatchN, for the whole
// batch when G = 1; on 1×1 maps of a batch with Cout ≥ C, the product
// Y [N×Cout] = X [N×C]·Wᵀ); depthwise convolutions (G = C > 1) use direct loops;
// all others unfold each image and group with im2col into a
// (C/G·kh·kw)×(Ho·Wo) matrix and multiply it by the group's
// (Cout/G)×(C/G·kh·kw) filters.
//
// It panics if x or w is not 4-D, a parameter is negative, G does not
// divide C or Cout, w's second dimension is not C/G, or the dilated kernel
// is larger than the padded input.
func Conv2D(x, w *Tensor, p Conv2DConfig) *Tensor {
	return conv2D(newConvGeom("Conv2D", x.shape, w.shape, p), x, w, nil, nil)
}

// conv2D computes Conv2D with geometry g, and applies ep (if not nil) to
// each part of the output once it is computed (see Conv2DFused).
//
// pw, if not nil, is w's α·op(A) packed beforehand (FrozenConvWeight),
// which the products of one group use instead of packing w.
func conv2D(g *convGeom, x, w *Tensor, ep *ConvEpilogue, pw *gemm.PackedA) *Tensor {
	y := newOutUninit(g.outShape()) // every path writes every element
	if y.Len() == 0 {
		return y
	}
	if g.depthwise() {
		depthwiseForward(g, x.data, w.data, y.data, ep)
		return y
	}
	if g.pointwise() && g.groups == 1 && g.hw() == 1 && g.n > 1 && g.cout >= g.c {
		// 1×1 maps that widen (the second layer of a squeeze-excite
		// unit): Y [N×Cout] = X [N×C] · Wᵀ [C×Cout], one product for the
		// batch, which reads W once, rather than N matrix-vector products
		// of Cout short dot products each (5-17 times slower at batch 8,
		// C = 6-48, Cout = 144-1152). Those that narrow keep them: their
		// long dot products are as fast.
		gemm.Sgemm(false, true, g.n, g.cout, g.c, 1, x.data, g.c, w.data, g.c, 0, y.data, g.cout)
		if ep != nil {
			for i := range y.data {
				ep.apply(y.data, i, i+1, i%g.cout)
			}
		}
		return y
	}
	if g.pointwise() && g.groups == 1 { // y_n = W [Cout×C] · x_n [C×HW], one product for the batch
		var (
			aff *gemm.Affine
			gep gemm.Epilogue
		)
		if ep != nil {
			aff, gep = ep.gemm(0)
		}
		if pw == nil || !gemm.SgemmPacked(pw, g.hw(), x.data, g.hw(), g.c*g.hw(), 0, y.data, g.hw(), g.cout*g.hw(), g.n, aff, gep) {
			gemm.SgemmBatchNEpilogue(false, g.cout, g.hw(), g.c, 1, w.data, g.c, x.data, g.hw(), g.c*g.hw(), 0, y.data, g.hw(), g.cout*g.hw(), g.n, aff, gep)
		}
		return y
	}
	g.eachImageGroup(func(n, grp int, col []float32) {
		xb, wb, yb := g.xBlock(x.data, n, grp), g.wBlock(w.data, grp), g.yBlock(y.data, n, grp)
		if g.pointwise() { // y_g = W_g [Og×Cg] · x_g [Cg×HW]
			gemm.Sgemm(false, false, g.og, g.hw(), g.cg, 1, wb, g.cg, xb, g.hw(), 0, yb, g.hw())
		} else {
			im2col(g, xb, col)
			if (ep != nil || pw != nil) && g.groups == 1 {
				// The epilogue in the product's tasks, in parallel and
				// while each tile is in the caches, rather than over the
				// image's output afterwards on one goroutine.
				var (
					aff *gemm.Affine
					gep gemm.Epilogue
				)
				if ep != nil {
					aff, gep = ep.gemm(n * g.cout * g.howo())
				}
				if pw == nil || !gemm.SgemmPacked(pw, g.howo(), col, g.howo(), 0, 0, yb, g.howo(), 0, 1, aff, gep) {
					gemm.SgemmBatchNEpilogue(false, g.og, g.howo(), g.colRows(), 1, wb, g.colRows(), col, g.howo(), 0, 0, yb, g.howo(), 0, 1, aff, gep)
				}
				return
			}
			gemm.Sgemm(false, false, g.og, g.howo(), g.colRows(), 1, wb, g.colRows(), col, g.howo(), 0, yb, g.howo())
		}
		if ep != nil {
			ep.rows(y.data, (n*g.cout+grp*g.og)*g.howo(), g.og, g.howo(), g.howo(), grp*g.og)
		}
	})
	return y
}

// eachImageGroup calls f for every image n and group grp of g, in
// parallel over the images, with col a scratch matrix of
// (C/G·kh·kw)×(Ho·Wo) for im2col and col2im (nil for 1×1 convolutions,
// which need none).
func (g *convGeom) eachImageGroup(f func(n, grp int, col []float32)) {
	parallel.For(g.n, 1, func(lo, hi int) {
		var col []float32
		if !g.pointwise() {
			col = getScratch(g.colRows() * g.howo())
			defer putScratch(col)
		}
		for n := lo; n < hi; n++ {
			for grp := range g.groups {
				f(n, grp, col)
			}
		}
	})
}

// Conv2DGradInput returns ∂L/∂x for y = Conv2D(x, w, p), given dy = ∂L/∂y
// (N×Cout×Ho×Wo) and the shape of x. It is the adjoint of Conv2D in x:
//
//	dx[n, g·C/G+c, h, v] = Σ_{o in group g, i, j, p, q : i·sh−ph+p·dh = h, j·sw−pw+q·dw = v} dy[n,o,i,j] · w[o,c,p,q]
//
// computed per image and group as col = W_gᵀ·dy_g followed by col2im
// (a direct product for 1×1 convolutions, batched over the images when
// G = 1, and direct loops for depthwise ones). It panics like Conv2D and if dy does not have the output shape.
func Conv2DGradInput(dy, w *Tensor, xShape []int, p Conv2DConfig) *Tensor {
	g := newConvGeom("Conv2DGradInput", xShape, w.shape, p)
	g.checkDy("Conv2DGradInput", dy)
	var dx *Tensor
	if g.depthwise() || g.pointwise() { // these paths write every element
		dx = newOutUninit(xShape)
	} else {
		dx = newOut(xShape) // col2im adds into it
	}
	if dx.Len() == 0 {
		return dx
	}
	if dy.Len() == 0 {
		clear(dx.data)
		return dx
	}
	if g.depthwise() {
		depthwiseGradInput(g, dy.data, w.data, dx.data)
		return dx
	}
	if g.pointwise() && g.groups == 1 { // dx_n = Wᵀ [C×Cout] · dy_n [Cout×HW], one product for the batch
		gemm.SgemmBatchN(true, g.c, g.hw(), g.cout, 1, w.data, g.c, dy.data, g.hw(), g.cout*g.hw(), 0, dx.data, g.hw(), g.c*g.hw(), g.n)
		return dx
	}
	g.eachImageGroup(func(n, grp int, col []float32) {
		dxb, wb, dyb := g.xBlock(dx.data, n, grp), g.wBlock(w.data, grp), g.yBlock(dy.data, n, grp)
		if g.pointwise() { // dx_g = W_gᵀ [Cg×Og] · dy_g [Og×HW]
			gemm.Sgemm(true, false, g.cg, g.hw(), g.og, 1, wb, g.cg, dyb, g.hw(), 0, dxb, g.hw())
			return
		}
		gemm.Sgemm(true, false, g.colRows(), g.howo(), g.og, 1, wb, g.colRows(), dyb, g.howo(), 0, col, g.howo())
		col2im(g, col, dxb)
	})
	return dx
}

// convWeightChunk is the number of images whose weight-gradient partials
// Conv2DGradWeight computes concurrently before adding them, in image
// order, to the result. It is a constant, not the number of workers, so
// that the result does not depend on GOMAXPROCS.
const convWeightChunk = 4

// Conv2DGradWeight returns ∂L/∂w for y = Conv2D(x, w, p), given x, dy =
// ∂L/∂y (N×Cout×Ho×Wo) and the shape of w:
//
//	dw[o,c,p,q] = Σ_{n,i,j} dy[n,o,i,j] · x[n, g·C/G+c, i·sh − ph + p·dh, j·sw − pw + q·dw]
//
// computed per image and group as dy_g·colᵀ. The per-image partial
// gradients are computed concurrently in chunks of a fixed number of images
// and added to the result in image order, so the result is the same
// whatever GOMAXPROCS is. 1×1 convolutions with G = 1 are instead one
// product over the whole batch, dy·xᵀ with inner dimension N·H·W
// (gemm.SgemmBatchK), and depthwise convolutions use direct loops,
// parallel over output channels. It panics like Conv2D and if dy does not
// have the output shape.
func Conv2DGradWeight(x, dy *Tensor, wShape []int, p Conv2DConfig) *Tensor {
	g := newConvGeom("Conv2DGradWeight", x.shape, wShape, p)
	g.checkDy("Conv2DGradWeight", dy)
	dw := newOut(wShape)
	if dw.Len() == 0 || dy.Len() == 0 {
		return dw
	}
	if g.depthwise() {
		depthwiseGradWeight(g, x.data, dy.data, dw.data)
		return dw
	}
	if g.pointwise() && g.groups == 1 { // dw = Σ_n dy_n [Cout×HW] · x_nᵀ [HW×C], one product over the batch
		gemm.SgemmBatchK(false, true, g.cout, g.c, g.hw(), 1, dy.data, g.hw(), g.cout*g.hw(), x.data, g.hw(), g.c*g.hw(), 0, dw.data, g.c, g.n)
		return dw
	}
	// imageGrad computes the gradient contribution of image n into out.
	imageGrad := func(n int, out, col []float32) {
		for grp := range g.groups {
			xb, dwb, dyb := g.xBlock(x.data, n, grp), g.wBlock(out, grp), g.yBlock(dy.data, n, grp)
			if g.pointwise() { // dw_g = dy_g [Og×HW] · x_gᵀ [HW×Cg]
				gemm.Sgemm(false, true, g.og, g.cg, g.hw(), 1, dyb, g.hw(), xb, g.hw(), 0, dwb, g.cg)
				continue
			}
			im2col(g, xb, col)
			gemm.Sgemm(false, true, g.og, g.colRows(), g.howo(), 1, dyb, g.howo(), col, g.howo(), 0, dwb, g.colRows())
		}
	}
	colSize := 0
	if !g.pointwise() {
		colSize = g.colRows() * g.howo()
	}
	if g.n == 1 {
		col := getScratch(colSize)
		imageGrad(0, dw.data, col)
		putScratch(col)
		return dw
	}
	size := dw.Len()
	partials := getScratch(min(g.n, convWeightChunk) * size)
	defer putScratch(partials)
	for n0 := 0; n0 < g.n; n0 += convWeightChunk {
		cnt := min(convWeightChunk, g.n-n0)
		parallel.For(cnt, 1, func(lo, hi int) {
			col := getScratch(colSize)
			defer putScratch(col)
			for i := lo; i < hi; i++ {
				imageGrad(n0+i, partials[i*size:(i+1)*size], col)
			}
		})
		for i := range cnt {
			addPartial(dw.data, partials[i*size:(i+1)*size])
		}
	}
	return dw
}

// addPartial computes dst[i] += src[i].
func addPartial(dst, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] += v
	}
}
