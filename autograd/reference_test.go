package autograd_test

// Comparisons of forward values and backward rules with PyTorch's autograd.
// The reference data in testdata/*.safetensors is written by
// testdata/gen/gen.py; these tests need no Python. Each case runs the op on
// Params, calls BackwardWith with the stored random upstream gradient dy
// (or Backward for scalar losses) and compares every input's Grad. Every
// group logs its worst relative error; run with -v to see them.

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/internal/testref"
	"github.com/autonl-go/autonl/tensor"
)

// grad pairs a Param with the name of its reference gradient.
type grad struct {
	ref string
	v   *autograd.Var
}

// checkGrads compares the gradients of Params with the case's reference
// tensors.
func checkGrads(t *testing.T, chk *testref.Checker, c *testref.Case, prefix string, grads ...grad) {
	t.Helper()
	for _, g := range grads {
		chk.Check(t, c.Name, prefix+g.ref, g.v.Grad, c.Tensor(g.ref))
	}
}

func TestReferenceConv2D(t *testing.T) {
	testref.Load(t, "conv2d.safetensors").Run(t, "case", "autograd conv2d", func(t *testing.T, c *testref.Case, chk *testref.Checker) {
		var p tensor.Conv2DConfig // keys stride, padding, dilation, groups
		c.Params(&p)
		x, w, b := autograd.Param(c.Tensor("x")), autograd.Param(c.Tensor("w")), autograd.Param(c.Tensor("b"))
		y := autograd.Conv2D(x, w, b, p)
		chk.Check(t, c.Name, "y", y.Value, c.Tensor("y"))
		y.BackwardWith(c.Tensor("dy"))
		checkGrads(t, chk, c, "", grad{"dx", x}, grad{"dw", w}, grad{"db", b})

		// Without a bias, and with an input that needs no gradient.
		x2, w2 := autograd.Const(c.Tensor("x")), autograd.Param(c.Tensor("w"))
		y2 := autograd.Conv2D(x2, w2, nil, p)
		chk.Check(t, c.Name, "y (no bias)", y2.Value, tensor.Sub(c.Tensor("y"), c.Tensor("b").Reshape(b.Value.Len(), 1, 1)))
		y2.BackwardWith(c.Tensor("dy"))
		require.Nil(t, x2.Grad)
		chk.Check(t, c.Name, "dw (no bias)", w2.Grad, c.Tensor("dw"))
	})
}

func TestReferenceMatMul(t *testing.T) {
	testref.Load(t, "matmul.safetensors").Run(t, "case", "autograd matmul", func(t *testing.T, c *testref.Case, chk *testref.Checker) {
		var p struct{ TransA, TransB bool }
		c.Params(&p)
		a, b := autograd.Param(c.Tensor("a")), autograd.Param(c.Tensor("b"))
		y := autograd.MatMul(a, b, p.TransA, p.TransB)
		chk.Check(t, c.Name, "y", y.Value, c.Tensor("y"))
		y.BackwardWith(c.Tensor("dy"))
		checkGrads(t, chk, c, "", grad{"da", a}, grad{"db", b})
	})
}

func TestReferencePool(t *testing.T) {
	testref.Load(t, "pool.safetensors").Run(t, "case", "autograd pool", func(t *testing.T, c *testref.Case, chk *testref.Checker) {
		var pp struct {
			Op                      string
			Kernel, Stride, Padding [2]int
			CountIncludePad         bool `json:"count_include_pad"`
		}
		c.Params(&pp)
		p := tensor.Pool2DConfig{Kernel: pp.Kernel, Stride: pp.Stride, Padding: pp.Padding, ExcludePad: !pp.CountIncludePad}
		x := autograd.Param(c.Tensor("x"))
		var y *autograd.Var
		switch pp.Op {
		case "avg":
			y = autograd.AvgPool2D(x, p)
		case "max":
			y = autograd.MaxPool2D(x, p)
		case "global":
			y = autograd.GlobalAvgPool2D(x)
		default:
			t.Fatalf("unknown pooling op %q", pp.Op)
		}
		chk.Check(t, c.Name, pp.Op+" y", y.Value, c.Tensor("y"))
		y.BackwardWith(c.Tensor("dy"))
		checkGrads(t, chk, c, pp.Op+" ", grad{"dx", x})
	})
}

func TestReferenceBatchNorm(t *testing.T) {
	testref.Load(t, "batchnorm.safetensors").Run(t, "case", "autograd batchnorm", func(t *testing.T, c *testref.Case, chk *testref.Checker) {
		var p struct{ Eps float64 }
		c.Params(&p)
		eps := float32(p.Eps)

		x, gamma, beta := autograd.Param(c.Tensor("x")), autograd.Param(c.Tensor("gamma")), autograd.Param(c.Tensor("beta"))
		y, s := autograd.BatchNormTrain(x, gamma, beta, eps)
		chk.Check(t, c.Name, "y", y.Value, c.Tensor("y"))
		chk.Check(t, c.Name, "mean", s.Mean, c.Tensor("mean"))
		chk.Check(t, c.Name, "var", s.Var, c.Tensor("var"))
		y.BackwardWith(c.Tensor("dy"))
		checkGrads(t, chk, c, "", grad{"dx", x}, grad{"dgamma", gamma}, grad{"dbeta", beta})

		x, gamma, beta = autograd.Param(c.Tensor("x")), autograd.Param(c.Tensor("gamma")), autograd.Param(c.Tensor("beta"))
		y = autograd.BatchNormEval(x, gamma, beta, c.Tensor("running_mean0"), c.Tensor("running_var0"), eps)
		chk.Check(t, c.Name, "y_eval", y.Value, c.Tensor("y_eval"))
		y.BackwardWith(c.Tensor("dy"))
		checkGrads(t, chk, c, "", grad{"dx_eval", x}, grad{"dgamma_eval", gamma}, grad{"dbeta_eval", beta})
	})
}

// scalar returns the single value of a one-element tensor as a scalar
// tensor, so that a loss compares with PyTorch's 0-d result whatever its
// shape.
func scalar(v *autograd.Var) *tensor.Tensor { return tensor.Scalar(v.Value.Item()) }

func TestReferenceCrossEntropy(t *testing.T) {
	testref.Load(t, "softmax.safetensors").Run(t, "ce", "autograd cross entropy", func(t *testing.T, c *testref.Case, chk *testref.Checker) {
		var p struct{ Smoothing float64 }
		c.Params(&p)
		labels := c.Ints("labels")

		logits := autograd.Param(c.Tensor("logits"))
		loss := autograd.CrossEntropy(logits, labels, float32(p.Smoothing))
		chk.Check(t, c.Name, "loss", scalar(loss), c.Tensor("loss"))
		loss.Backward()
		checkGrads(t, chk, c, "", grad{"dlogits", logits})

		logp := autograd.Param(c.Tensor("logp"))
		nll := autograd.NLLLoss(logp, labels)
		chk.Check(t, c.Name, "nll", scalar(nll), c.Tensor("nll"))
		nll.Backward()
		checkGrads(t, chk, c, "", grad{"dlogp", logp})

		if p.Smoothing == 0 {
			// Without smoothing, cross entropy is NLLLoss∘LogSoftmax.
			logits := autograd.Param(c.Tensor("logits"))
			loss := autograd.NLLLoss(autograd.LogSoftmax(logits, 1), labels)
			chk.Check(t, c.Name, "loss (nll∘logsoftmax)", scalar(loss), c.Tensor("loss"))
			loss.Backward()
			checkGrads(t, chk, c, "(nll∘logsoftmax) ", grad{"dlogits", logits})
		}
	})
}

func TestReferenceSoftmax(t *testing.T) {
	testref.Load(t, "softmax.safetensors").Run(t, "sm", "autograd softmax", func(t *testing.T, c *testref.Case, chk *testref.Checker) {
		var p struct{ Axis int }
		c.Params(&p)
		for _, op := range []struct {
			name string
			f    func(v *autograd.Var, axis int) *autograd.Var
		}{{"softmax", autograd.Softmax}, {"logsoftmax", autograd.LogSoftmax}} {
			x := autograd.Param(c.Tensor("x"))
			y := op.f(x, p.Axis)
			chk.Check(t, c.Name, op.name, y.Value, c.Tensor(op.name))
			y.BackwardWith(c.Tensor("dy"))
			chk.Check(t, c.Name, "d"+op.name, x.Grad, c.Tensor("d"+op.name))
		}
	})
}

func TestReferenceActivations(t *testing.T) {
	f := testref.Load(t, "activation.safetensors")
	chk := testref.NewChecker(t, "autograd activations")
	for _, act := range []struct {
		name string
		f    func(v *autograd.Var) *autograd.Var
	}{
		{"relu", autograd.ReLU},
		{"relu6", autograd.ReLU6},
		{"sigmoid", autograd.Sigmoid},
		{"silu", autograd.Swish},
		{"hardswish", autograd.HardSwish},
		{"hardsigmoid", autograd.HardSigmoid},
		{"tanh", autograd.Tanh},
	} {
		t.Run(act.name, func(t *testing.T) {
			// "random" keeps away from kinks; "kinks" sits on them.
			for _, name := range f.Cases("") {
				c := f.Case(t, name)
				x := autograd.Param(c.Tensor("x"))
				y := act.f(x)
				chk.Check(t, name, act.name+" y", y.Value, c.Tensor(act.name+"/y"))
				y.BackwardWith(c.Tensor("dy"))
				chk.Check(t, name, act.name+" dx", x.Grad, c.Tensor(act.name+"/dx"))
			}
		})
	}
}
