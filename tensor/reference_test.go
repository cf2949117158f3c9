package tensor_test

// Comparisons of the kernels with PyTorch. The reference data in
// testdata/*.safetensors is written by testdata/gen/gen.py, which computes
// in float64 from float32 inputs; these tests need no Python. Every group
// logs its worst relative error max|got−want|/max|want|; run with -v to see
// them.

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/autonl-go/autonl/internal/testref"
	"github.com/autonl-go/autonl/tensor"
)

// poolParams are the parameters of a pool.safetensors case.
type poolParams struct {
	Op                      string // "avg", "max" or "global"
	Kernel, Stride, Padding [2]int
	CountIncludePad         bool `json:"count_include_pad"`
}

func (p poolParams) params() tensor.Pool2DConfig {
	return tensor.Pool2DConfig{Kernel: p.Kernel, Stride: p.Stride, Padding: p.Padding, ExcludePad: !p.CountIncludePad}
}

// channelBias reshapes a per-channel vector [C] to [C 1 1], to broadcast
// over N×C×H×W.
func channelBias(b *tensor.Tensor) *tensor.Tensor { return b.Reshape(b.Len(), 1, 1) }

func TestReferenceConv2D(t *testing.T) {
	testref.Load(t, "conv2d.safetensors").Run(t, "case", "tensor conv2d", func(t *testing.T, c *testref.Case, chk *testref.Checker) {
		// The metadata keys stride, padding, dilation and groups are
		// the field names of Conv2DConfig.
		var p tensor.Conv2DConfig
		c.Params(&p)
		x, w, b, dy := c.Tensor("x"), c.Tensor("w"), c.Tensor("b"), c.Tensor("dy")
		want := c.Tensor("y")
		require.Equal(t, want.Shape(), tensor.Conv2DOutputShape(x.Shape(), w.Shape(), p), "%+v", p)

		chk.Check(t, c.Name, "y", tensor.Add(tensor.Conv2D(x, w, p), channelBias(b)), want)
		chk.Check(t, c.Name, "dx", tensor.Conv2DGradInput(dy, w, x.Shape(), p), c.Tensor("dx"))
		chk.Check(t, c.Name, "dw", tensor.Conv2DGradWeight(x, dy, w.Shape(), p), c.Tensor("dw"))
		chk.Check(t, c.Name, "db", tensor.Sum(dy, false, 0, 2, 3), c.Tensor("db"))
	})
}

// matMulGrads computes the gradients of y = MatMul(a, b, transA, transB)
// for the upstream gradient dy with MatMul itself, reduced over broadcast
// batch dimensions, as autograd does.
func matMulGrads(a, b, dy *tensor.Tensor, transA, transB bool) (da, db *tensor.Tensor) {
	if transA { // a holds Aᵀ: ∂a = op(B)·dyᵀ
		da = tensor.MatMul(b, dy, transB, true)
	} else { // ∂a = dy·op(B)ᵀ
		da = tensor.MatMul(dy, b, false, !transB)
	}
	if transB { // b holds Bᵀ: ∂b = dyᵀ·op(A)
		db = tensor.MatMul(dy, a, true, transA)
	} else { // ∂b = op(A)ᵀ·dy
		db = tensor.MatMul(a, dy, !transA, false)
	}
	return tensor.SumTo(da, a.Shape()), tensor.SumTo(db, b.Shape())
}

func TestReferenceMatMul(t *testing.T) {
	testref.Load(t, "matmul.safetensors").Run(t, "case", "tensor matmul", func(t *testing.T, c *testref.Case, chk *testref.Checker) {
		var p struct{ TransA, TransB bool }
		c.Params(&p)
		a, b, dy := c.Tensor("a"), c.Tensor("b"), c.Tensor("dy")
		chk.Check(t, c.Name, "y", tensor.MatMul(a, b, p.TransA, p.TransB), c.Tensor("y"))
		da, db := matMulGrads(a, b, dy, p.TransA, p.TransB)
		chk.Check(t, c.Name, "da", da, c.Tensor("da"))
		chk.Check(t, c.Name, "db", db, c.Tensor("db"))
	})
}

func TestReferencePool(t *testing.T) {
	testref.Load(t, "pool.safetensors").Run(t, "case", "tensor pool", func(t *testing.T, c *testref.Case, chk *testref.Checker) {
		var pp poolParams
		c.Params(&pp)
		p := pp.params()
		x, dy := c.Tensor("x"), c.Tensor("dy")
		var y, dx *tensor.Tensor
		switch pp.Op {
		case "avg":
			y, dx = tensor.AvgPool2D(x, p), tensor.AvgPool2DGrad(dy, x.Shape(), p)
		case "max":
			var argmax []int32
			y, argmax = tensor.MaxPool2D(x, p)
			got := make([]int, len(argmax))
			for i, a := range argmax {
				got[i] = int(a)
			}
			require.Equal(t, c.Ints("argmax"), got, "argmax of %+v", pp)
			dx = tensor.MaxPool2DGrad(dy, argmax, x.Shape())
		case "global":
			y, dx = tensor.GlobalAvgPool2D(x), tensor.GlobalAvgPool2DGrad(dy, x.Shape())
		default:
			t.Fatalf("unknown pooling op %q", pp.Op)
		}
		chk.Check(t, c.Name, pp.Op+" y", y, c.Tensor("y"))
		chk.Check(t, c.Name, pp.Op+" dx", dx, c.Tensor("dx"))
	})
}

func TestReferenceBatchNorm(t *testing.T) {
	testref.Load(t, "batchnorm.safetensors").Run(t, "case", "tensor batchnorm", func(t *testing.T, c *testref.Case, chk *testref.Checker) {
		var p struct{ Eps, Momentum float64 }
		c.Params(&p)
		eps := float32(p.Eps)
		x, gamma, beta, dy := c.Tensor("x"), c.Tensor("gamma"), c.Tensor("beta"), c.Tensor("dy")

		y, s := tensor.BatchNormTrain(x, gamma, beta, eps)
		chk.Check(t, c.Name, "y", y, c.Tensor("y"))
		chk.Check(t, c.Name, "mean", s.Mean, c.Tensor("mean"))
		chk.Check(t, c.Name, "var", s.Var, c.Tensor("var"))
		refVar := c.Tensor("var")
		invStd := tensor.New(refVar.Shape()...)
		for i, v := range refVar.Data() {
			invStd.Data()[i] = float32(1 / math.Sqrt(float64(v)+p.Eps))
		}
		chk.Check(t, c.Name, "invstd", s.InvStd, invStd)

		dx, dgamma, dbeta := tensor.BatchNormGrad(dy, x, gamma, s)
		chk.Check(t, c.Name, "dx", dx, c.Tensor("dx"))
		chk.Check(t, c.Name, "dgamma", dgamma, c.Tensor("dgamma"))
		chk.Check(t, c.Name, "dbeta", dbeta, c.Tensor("dbeta"))

		// The batch statistics give PyTorch's running statistics:
		// r ← (1−m)·r + m·stat, with the unbiased variance.
		m := float32(p.Momentum)
		count := float32(x.Len() / x.Dim(1))
		rm, rv := c.Tensor("running_mean0"), c.Tensor("running_var0")
		for i := range rm.Data() {
			rm.Data()[i] = (1-m)*rm.Data()[i] + m*s.Mean.Data()[i]
			rv.Data()[i] = (1-m)*rv.Data()[i] + m*s.Var.Data()[i]*count/(count-1)
		}
		chk.Check(t, c.Name, "running_mean", rm, c.Tensor("running_mean"))
		chk.Check(t, c.Name, "running_var", rv, c.Tensor("running_var"))

		yEval := tensor.BatchNormInference(x, gamma, beta, c.Tensor("running_mean0"), c.Tensor("running_var0"), eps)
		chk.Check(t, c.Name, "y_eval", yEval, c.Tensor("y_eval"))
	})
}

func TestReferenceSoftmax(t *testing.T) {
	testref.Load(t, "softmax.safetensors").Run(t, "sm", "tensor softmax", func(t *testing.T, c *testref.Case, chk *testref.Checker) {
		var p struct{ Axis int }
		c.Params(&p)
		x, dy := c.Tensor("x"), c.Tensor("dy")
		chk.Check(t, c.Name, "softmax", tensor.Softmax(x, p.Axis), c.Tensor("softmax"))
		chk.Check(t, c.Name, "dsoftmax", tensor.SoftmaxGrad(c.Tensor("softmax"), dy, p.Axis), c.Tensor("dsoftmax"))
		chk.Check(t, c.Name, "logsoftmax", tensor.LogSoftmax(x, p.Axis), c.Tensor("logsoftmax"))
		chk.Check(t, c.Name, "dlogsoftmax", tensor.LogSoftmaxGrad(c.Tensor("logsoftmax"), dy, p.Axis), c.Tensor("dlogsoftmax"))
	})
}

func TestReferenceActivations(t *testing.T) {
	f := testref.Load(t, "activation.safetensors")
	chk := testref.NewChecker(t, "tensor activations")
	for _, act := range []struct {
		name string
		fwd  func(x *tensor.Tensor) *tensor.Tensor
		grad func(x, y, dy *tensor.Tensor) *tensor.Tensor // y = fwd(x)
	}{
		{"relu", tensor.ReLU, func(x, _, dy *tensor.Tensor) *tensor.Tensor { return tensor.ReLUGrad(x, dy) }},
		{"relu6", tensor.ReLU6, func(x, _, dy *tensor.Tensor) *tensor.Tensor { return tensor.ReLU6Grad(x, dy) }},
		{"sigmoid", tensor.Sigmoid, func(_, y, dy *tensor.Tensor) *tensor.Tensor { return tensor.SigmoidGrad(y, dy) }},
		{"silu", tensor.Swish, func(x, _, dy *tensor.Tensor) *tensor.Tensor { return tensor.SwishGrad(x, dy) }},
		{"hardswish", tensor.HardSwish, func(x, _, dy *tensor.Tensor) *tensor.Tensor { return tensor.HardSwishGrad(x, dy) }},
		{"hardsigmoid", tensor.HardSigmoid, func(x, _, dy *tensor.Tensor) *tensor.Tensor { return tensor.HardSigmoidGrad(x, dy) }},
		{"tanh", tensor.Tanh, func(_, y, dy *tensor.Tensor) *tensor.Tensor { return tensor.TanhGrad(y, dy) }},
	} {
		t.Run(act.name, func(t *testing.T) {
			// "random" keeps away from kinks; "kinks" sits on them, where
			// the subgradient convention must be PyTorch's.
			for _, name := range f.Cases("") {
				c := f.Case(t, name)
				x, dy := c.Tensor("x"), c.Tensor("dy")
				chk.Check(t, name, act.name+" y", act.fwd(x), c.Tensor(act.name+"/y"))
				chk.Check(t, name, act.name+" dx", act.grad(x, c.Tensor(act.name+"/y"), dy), c.Tensor(act.name+"/dx"))
			}
		})
	}
}
