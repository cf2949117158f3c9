package autograd

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/autonl-go/autonl/tensor"
)

// GradCheckReport is the outcome of CheckGrad: the element whose analytic
// and numeric gradients differ most.
type GradCheckReport struct {
	// Input and Index locate the worst element: inputs[Input].Data()[Index].
	Input, Index int
	// Analytic is the gradient from the backward rules, Numeric the central
	// finite difference.
	Analytic, Numeric float64
	// Error is |Analytic − Numeric| / max(1, |Numeric|), an absolute error
	// for small gradients and a relative one for large gradients.
	Error float64
	// Elements is the number of input elements checked.
	Elements int
}

// String describes the worst element.
func (r GradCheckReport) String() string {
	return fmt.Sprintf("worst of %d elements: input %d element %d: analytic %.6g, numeric %.6g, error %.3g",
		r.Elements, r.Input, r.Index, r.Analytic, r.Numeric, r.Error)
}

// GradCheckConfig configures CheckGradWith.
type GradCheckConfig struct {
	// Step is the finite-difference step h. Zero means 1e-2, a step that
	// keeps float32 rounding small against the difference it measures.
	Step float64
	// Seed seeds the random projection of the output. Zero means 1.
	Seed uint64
}

// CheckGrad compares the gradients computed by the backward rules of f with
// central finite differences and reports the worst element.
//
// f maps Vars holding the given inputs to an output of any shape. The check
// uses the scalar L = Σᵢ rᵢ·f(x)ᵢ with fixed random weights r, so that every
// output element takes part: it computes ∂L/∂x by BackwardWith(r) and,
// for every element x_j of every input, (L(x_j+h) − L(x_j−h)) / 2h, with L
// summed in float64. The inputs are not modified.
//
// Inputs must keep a distance larger than the step from points where f is
// not differentiable, such as 0 for ReLU.
func CheckGrad(f func(in ...*Var) *Var, inputs ...*tensor.Tensor) GradCheckReport {
	return CheckGradWith(GradCheckConfig{}, f, inputs...)
}

// CheckGradWith is CheckGrad with options.
func CheckGradWith(opts GradCheckConfig, f func(in ...*Var) *Var, inputs ...*tensor.Tensor) GradCheckReport {
	h := opts.Step
	if h == 0 {
		h = 1e-2
	}
	seed := opts.Seed
	if seed == 0 {
		seed = 1
	}
	prev := SetGradEnabled(true)
	defer SetGradEnabled(prev)

	vars := make([]*Var, len(inputs))
	for i, t := range inputs {
		vars[i] = Param(t.Clone())
	}
	out := f(vars...)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	weights := tensor.Uniform(rng, -1, 1, out.Value.Shape()...)
	if out.requiresGrad {
		out.BackwardWith(weights)
	}

	loss := func() float64 {
		var sum float64
		NoGrad(func() {
			y := f(vars...).Value.Data()
			for i, w := range weights.Data() {
				sum += float64(w) * float64(y[i])
			}
		})
		return sum
	}

	var report GradCheckReport
	report.Error = -1
	for i, v := range vars {
		x := v.Value.Data()
		for j, x0 := range x {
			// The step actually taken is what float32 can represent.
			hi, lo := float32(float64(x0)+h), float32(float64(x0)-h)
			x[j] = hi
			lp := loss()
			x[j] = lo
			lm := loss()
			x[j] = x0
			numeric := (lp - lm) / (float64(hi) - float64(lo))
			var analytic float64
			if v.Grad != nil {
				analytic = float64(v.Grad.Data()[j])
			}
			err := math.Abs(analytic-numeric) / math.Max(1, math.Abs(numeric))
			if math.IsNaN(err) {
				err = math.Inf(1)
			}
			report.Elements++
			if err > report.Error {
				report = GradCheckReport{Input: i, Index: j, Analytic: analytic, Numeric: numeric, Error: err, Elements: report.Elements}
			}
		}
	}
	return report
}
