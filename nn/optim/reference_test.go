package optim

// Comparisons with torch.optim (and TensorFlow's RMSProp written out from
// its kernel). The reference data, testdata/optim/optim.safetensors, is
// written by testdata/gen/gen_optim.py; these tests need no Python. Each
// case replays five steps of stored gradients, with missing gradients and a
// changing learning rate, and compares the parameters, their displacement
// from the start and every state buffer after every step. Each optimizer
// logs its worst relative errors; run with -v to see them.

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/internal/testref"
	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/safetensors"
	"github.com/autonl-go/autonl/tensor"
)

const refFile = "optim/optim.safetensors"

// refCase is the metadata of an optimizer case.
type refCase struct {
	Kind   string `json:"kind"`
	Config struct {
		LR          float64   `json:"lr"`
		Momentum    float64   `json:"momentum"`
		Dampening   float64   `json:"dampening"`
		Nesterov    bool      `json:"nesterov"`
		WeightDecay float64   `json:"weight_decay"`
		Betas       []float64 `json:"betas"`
		Eps         float64   `json:"eps"`
		AMSGrad     bool      `json:"amsgrad"`
		Alpha       float64   `json:"alpha"`
		Centered    bool      `json:"centered"`
		Rho         float64   `json:"rho"`
		InitMS      *float64  `json:"init_ms"`
	} `json:"config"`
	Params    []string  `json:"params"`
	Steps     int       `json:"steps"`
	LRFactors []float64 `json:"lr_factors"`
	Groups    []struct {
		Params      []string `json:"params"`
		LR          *float64 `json:"lr"`
		WeightDecay *float64 `json:"weight_decay"`
		Momentum    *float64 `json:"momentum"`
	} `json:"groups"`
}

// testOptimizer is an Optimizer whose buffers the tests can read.
type testOptimizer interface {
	Optimizer
	buffers() []param
	slotName(i int) string
}

func (c *core) buffers() []param      { return c.params }
func (c *core) slotName(i int) string { return c.slots[i].name }

// build makes the case's parameters, from their initial values, and its
// optimizer.
func (rc *refCase) build(c *testref.Case) (map[string]nn.Param, testOptimizer) {
	ps := map[string]nn.Param{}
	for _, name := range rc.Params {
		ps[name] = nn.Param{Name: name, Var: autograd.Param(c.Tensor(name + "/init"))}
	}
	lr := rc.Config.LR
	var groups []Group
	for _, g := range rc.Groups {
		grp := Group{WeightDecay: g.WeightDecay, Momentum: g.Momentum}
		if g.LR != nil {
			grp.LRScale = new(*g.LR / lr)
		}
		for _, name := range g.Params {
			grp.Params = append(grp.Params, ps[name])
		}
		groups = append(groups, grp)
	}
	cfg := rc.Config
	var opt testOptimizer
	switch rc.Kind {
	case "sgd":
		opt = NewSGD(groups, SGDConfig{LR: lr, Momentum: cfg.Momentum, Dampening: cfg.Dampening, Nesterov: cfg.Nesterov, WeightDecay: cfg.WeightDecay})
	case "adam", "adamw":
		ac := AdamConfig{LR: lr, Eps: cfg.Eps, WeightDecay: cfg.WeightDecay, AMSGrad: cfg.AMSGrad}
		if cfg.Betas != nil {
			ac.Betas = [2]float64{cfg.Betas[0], cfg.Betas[1]}
		}
		if rc.Kind == "adam" {
			opt = NewAdam(groups, ac)
		} else {
			opt = NewAdamW(groups, ac)
		}
	case "rmsprop":
		opt = NewRMSProp(groups, RMSPropConfig{LR: lr, Alpha: cfg.Alpha, Eps: cfg.Eps, Momentum: cfg.Momentum, Centered: cfg.Centered, WeightDecay: cfg.WeightDecay})
	case "rmsprop_tf":
		opt = NewRMSPropTF(groups, RMSPropTFConfig{LR: lr, Rho: cfg.Rho, Momentum: cfg.Momentum, Eps: cfg.Eps, Centered: cfg.Centered, WeightDecay: cfg.WeightDecay, InitMS: cfg.InitMS})
	default:
		panic("unknown kind " + rc.Kind)
	}
	return ps, opt
}

// setGrads gives every parameter its stored gradient of step k, or none.
func setGrads(c *testref.Case, ps map[string]nn.Param, k int) {
	for name, p := range ps {
		p.Var.Grad = nil
		if key := fmt.Sprintf("%s/grad%d", name, k); c.Has(key) {
			p.Var.Grad = c.Tensor(key)
		}
	}
}

// TestReferenceOptimizers replays every optimizer case.
func TestReferenceOptimizers(t *testing.T) {
	f := testref.Load(t, refFile)
	checkers := map[string]*testref.Checker{}
	checker := func(kind string) *testref.Checker {
		if checkers[kind] == nil {
			chk := testref.NewChecker(t, kind)
			chk.RTol, chk.ATol = 1e-5, 1e-7
			checkers[kind] = chk
		}
		return checkers[kind]
	}
	n := 0
	for _, name := range f.Cases("") {
		if strings.HasPrefix(name, "clip_") {
			continue
		}
		n++
		var rc refCase
		f.Case(t, name).Params(&rc)
		chk := checker(rc.Kind)
		t.Run(name, func(t *testing.T) {
			c := f.Case(t, name)
			ps, opt := rc.build(c)
			require.Equal(t, rc.Kind, opt.State().Metadata["optim.kind"])
			for k := range rc.Steps {
				setGrads(c, ps, k)
				opt.SetLR(rc.Config.LR * rc.LRFactors[k])
				opt.Step()
				require.Equal(t, k+1, opt.Steps())
				at := fmt.Sprintf("%s step %d", name, k)
				for _, q := range opt.buffers() {
					want := c.Tensor(fmt.Sprintf("%s/value%d", q.name, k))
					chk.Check(t, at+" "+q.name, "value", q.v.Value, want)
					init := c.Tensor(q.name + "/init")
					chk.Check(t, at+" "+q.name, "displacement", tensor.Sub(q.v.Value, init), tensor.Sub(want, init))
					for s, buf := range q.buf {
						key := fmt.Sprintf("%s/%s%d", q.name, opt.slotName(s), k)
						if buf == nil {
							require.False(t, c.Has(key), "%s: torch has %s, Go does not", at, key)
							continue
						}
						if !c.Has(key) {
							// torch creates state at a parameter's first update.
							require.Zero(t, q.steps, "%s: Go has %s, torch does not", at, key)
							continue
						}
						chk.Check(t, at+" "+q.name, opt.slotName(s), tensor.FromSlice(buf, q.v.Value.Shape()...), c.Tensor(key))
					}
				}
			}
		})
	}
	require.Equal(t, 21, n, "number of optimizer cases")
}

// TestReferenceClipGradNorm compares ClipGradNorm with
// torch.nn.utils.clip_grad_norm_.
func TestReferenceClipGradNorm(t *testing.T) {
	f := testref.Load(t, refFile)
	chk := testref.NewChecker(t, "clip_grad_norm")
	cases := f.Cases("clip_")
	require.Len(t, cases, 3)
	for _, name := range cases {
		t.Run(name, func(t *testing.T) {
			c := f.Case(t, name)
			var meta struct {
				MaxNorm float64  `json:"max_norm"`
				Params  []string `json:"params"`
			}
			c.Params(&meta)
			var ps []nn.Param
			for _, p := range meta.Params {
				v := autograd.Param(tensor.New(1))
				if c.Has(p + "/grad") {
					v.Grad = c.Tensor(p + "/grad")
				}
				ps = append(ps, nn.Param{Name: p, Var: v})
			}
			total := ClipGradNorm(ps, meta.MaxNorm)
			chk.Check(t, name, "total_norm", tensor.Scalar(float32(total)).Reshape(1), c.Tensor("total_norm"))
			for _, p := range ps {
				if c.Has(p.Name + "/clipped") {
					chk.Check(t, name, "clipped", p.Var.Grad, c.Tensor(p.Name+"/clipped"))
				} else {
					require.Nil(t, p.Var.Grad)
				}
			}
		})
	}
}

// TestReferenceFileRoundTrip checks that Go's safetensors writer
// reproduces the bytes of the Python writer, as testref does for gen.py's
// files.
func TestReferenceFileRoundTrip(t *testing.T) {
	path := filepath.Join(testref.TestdataDir(t), refFile)
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	f, err := safetensors.Decode(raw)
	require.NoError(t, err)
	require.Equal(t, "testdata/gen/gen_optim.py", f.Metadata["generator"])
	ts, err := f.Tensors()
	require.NoError(t, err)
	again, err := safetensors.Encode(ts, f.Metadata)
	require.NoError(t, err)
	require.True(t, bytes.Equal(raw, again))
}
