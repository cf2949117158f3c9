package optim

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/safetensors"
	"github.com/autonl-go/autonl/tensor"
)

// roundTrip passes s through the safetensors encoding, as a checkpoint file
// would.
func roundTrip(t *testing.T, s State) State {
	t.Helper()
	b, err := safetensors.Encode(s.Tensors, s.Metadata)
	require.NoError(t, err)
	f, err := safetensors.Decode(b)
	require.NoError(t, err)
	ts, err := f.Tensors()
	require.NoError(t, err)
	return State{Tensors: ts, Metadata: f.Metadata}
}

// trainer is a model's parameters and buffers with an optimizer and an EMA,
// driven by a fixed sequence of gradients and a schedule.
type trainer struct {
	ps    []nn.Param
	bufs  []nn.Buffer
	opt   Optimizer
	ema   *EMA
	sched Schedule
	grads [][]*tensor.Tensor // per step, per parameter; nil = missing
}

func newTrainer(mk func([]Group) Optimizer, seed uint64, grads [][]*tensor.Tensor) *trainer {
	rng := rand.New(rand.NewPCG(seed, 99))
	ps := testParams(rng, []int{6, 3, 3, 3}, []int{6}, []int{6}, []int{4, 6}, []int{4})
	bufs := []nn.Buffer{
		{Name: "bn.running_mean", Tensor: randTensor(rng, 6)},
		{Name: "bn.num_batches_tracked", Tensor: tensor.New()},
	}
	return &trainer{
		ps:    ps,
		bufs:  bufs,
		opt:   mk(SplitDecay(ps, nil)),
		ema:   NewEMA(ps, bufs, EMAConfig{Decay: 0.9, NumUpdatesWarmup: true}),
		sched: LinearWarmup(3, 0, ExponentialStaircase(0.01, 0.5, 2.5, true)),
		grads: grads,
	}
}

// run takes steps until the optimizer has taken n in all.
func (tr *trainer) run(n int) {
	for tr.opt.Steps() < n {
		k := tr.opt.Steps()
		tr.opt.SetLR(tr.sched.LR(k))
		for i, p := range tr.ps {
			p.Var.Grad = tr.grads[k][i]
		}
		tr.opt.Step()
		// The buffers change as batch norm would change them.
		for i := range tr.bufs[0].Tensor.Data() {
			tr.bufs[0].Tensor.Data()[i] += 0.1 * float32(k+i)
		}
		tr.bufs[1].Tensor.Data()[0]++
		tr.ema.Update()
	}
}

// snapshot returns the trainer's model values, optimizer state and EMA
// state in one State.
func (tr *trainer) snapshot(t *testing.T) State {
	model := State{Metadata: map[string]string{}}
	for _, p := range tr.ps {
		model.Tensors = append(model.Tensors, safetensors.Tensor{Name: p.Name, Shape: p.Var.Value.Shape(), Data: p.Var.Value.Data()})
	}
	for _, b := range tr.bufs {
		model.Tensors = append(model.Tensors, safetensors.Tensor{Name: b.Name, Shape: b.Tensor.Shape(), Data: b.Tensor.Data()})
	}
	s, err := Merge(model.Prefix("model."), tr.opt.State().Prefix("optimizer."), tr.ema.State().Prefix("ema."))
	require.NoError(t, err)
	return roundTrip(t, s)
}

// restore loads a snapshot into the trainer.
func (tr *trainer) restore(t *testing.T, s State) {
	model := s.Select("model.")
	values := map[string][]float32{}
	for _, ts := range model.Tensors {
		values[ts.Name] = ts.Data
	}
	for _, p := range tr.ps {
		copy(p.Var.Value.Data(), values[p.Name])
	}
	for _, b := range tr.bufs {
		copy(b.Tensor.Data(), values[b.Name])
	}
	require.NoError(t, tr.opt.LoadState(s.Select("optimizer.")))
	require.NoError(t, tr.ema.LoadState(s.Select("ema.")))
}

// TestResumeIsExact checks that saving after some steps, loading into a
// fresh model, optimizer and EMA, and continuing gives bit for bit the
// results of an uninterrupted run, for every optimizer.
func TestResumeIsExact(t *testing.T) {
	const total, stop = 12, 5
	for name, mk := range allOptimizers() {
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(21, 22))
			ref := newTrainer(mk, 1, nil)
			grads := make([][]*tensor.Tensor, total)
			for k := range grads {
				grads[k] = make([]*tensor.Tensor, len(ref.ps))
				for i, p := range ref.ps {
					// Parameter 4 first takes part at step 3, parameter 1
					// skips step 6 (straddling the interruption).
					if (i == 4 && k < 3) || (i == 1 && k == 6) {
						continue
					}
					grads[k][i] = randTensor(rng, p.Var.Value.Shape()...)
				}
			}
			ref.grads = grads
			ref.run(total)

			first := newTrainer(mk, 1, grads)
			first.run(stop)
			saved := first.snapshot(t)

			// A fresh process: other initial values, fresh optimizer and EMA.
			resumed := newTrainer(mk, 2, grads)
			resumed.run(2) // state to be overwritten
			resumed.restore(t, saved)
			assert.Equal(t, stop, resumed.opt.Steps())
			assert.Equal(t, stop, resumed.ema.Updates())
			resumed.run(total)

			want, got := ref.snapshot(t), resumed.snapshot(t)
			assert.Equal(t, want.Metadata, got.Metadata)
			require.Equal(t, len(want.Tensors), len(got.Tensors))
			for i := range want.Tensors {
				assert.Equal(t, want.Tensors[i].Name, got.Tensors[i].Name)
				assert.Equal(t, want.Tensors[i].Data, got.Tensors[i].Data, "%s differs", want.Tensors[i].Name)
			}
		})
	}
}

func TestStateContents(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	ps := testParams(rng, []int{2, 2}, []int{2})
	opt := NewAdam(OneGroup(ps), AdamConfig{LR: 0.001})
	randGrads(rng, ps, func(i int) bool { return i == 1 })
	opt.Step()
	randGrads(rng, ps, nil)
	tenth := 0.1
	opt.SetLR(tenth + 0.2) // 0.30000000000000004: must survive the text form
	opt.Step()
	s := opt.State()
	var names []string
	for _, ts := range s.Tensors {
		names = append(names, ts.Name)
	}
	assert.Equal(t, []string{"p0.exp_avg", "p0.exp_avg_sq", "p1.exp_avg", "p1.exp_avg_sq"}, names)
	assert.Equal(t, "adam", s.Metadata["optim.kind"])
	assert.Equal(t, "2", s.Metadata["optim.steps"])
	assert.Equal(t, "0.30000000000000004", s.Metadata["optim.lr"])
	assert.JSONEq(t, `{"p0": 2, "p1": 1}`, s.Metadata["optim.param_steps"])
	assert.Contains(t, s.Metadata["optim.config"], `"betas":[0.9,0.999]`)

	// State is a copy.
	s.Tensors[0].Data[0] = 1e9
	assert.NotEqual(t, float32(1e9), opt.State().Tensors[0].Data[0])

	// A state written to a file loads back.
	path := t.TempDir() + "/optim.safetensors"
	require.NoError(t, safetensors.WriteFile(path, s.Tensors, s.Metadata))
	f, err := safetensors.ReadFile(path)
	require.NoError(t, err)
	ts, err := f.Tensors()
	require.NoError(t, err)
	opt2 := NewAdam(OneGroup(ps), AdamConfig{LR: 0.5})
	require.NoError(t, opt2.LoadState(State{Tensors: ts, Metadata: f.Metadata}))
	assert.Equal(t, tenth+0.2, opt2.LR())
	assert.Equal(t, 2, opt2.Steps())
}

func TestLoadStateErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	ps := testParams(rng, []int{2, 3}, []int{3})
	src := NewSGD(OneGroup(ps), SGDConfig{LR: 0.1, Momentum: 0.9})
	randGrads(rng, ps, func(i int) bool { return i == 1 })
	src.Step()
	good := src.State()

	edit := func(f func(s *State)) State {
		s := State{Metadata: map[string]string{}}
		for k, v := range good.Metadata {
			s.Metadata[k] = v
		}
		for _, ts := range good.Tensors {
			ts.Data = append([]float32(nil), ts.Data...)
			s.Tensors = append(s.Tensors, ts)
		}
		f(&s)
		return s
	}
	tests := []struct {
		name string
		s    State
		msg  string
	}{
		{"other kind", edit(func(s *State) { s.Metadata["optim.kind"] = "adam" }), "optim: sgd: load state: state of a adam optimizer"},
		{"no kind", State{}, `optim: sgd: load state: metadata has no "optim.kind": not an optimizer state`},
		{"bad steps", edit(func(s *State) { s.Metadata["optim.steps"] = "x" }), `optim: sgd: load state: invalid optim.steps "x"`},
		{"bad lr", edit(func(s *State) { s.Metadata["optim.lr"] = "-1" }), `optim: sgd: load state: invalid optim.lr "-1"`},
		{"unknown param steps", edit(func(s *State) { s.Metadata["optim.param_steps"] = `{"zz": 1}` }), `optim: sgd: load state: state of unknown parameter "zz"`},
		{"missing tensor", edit(func(s *State) { s.Tensors = nil }), `optim: sgd: load state: missing tensor "p0.momentum_buffer"`},
		{"unknown buffer", edit(func(s *State) { s.Tensors[0].Name = "p0.exp_avg" }), `optim: sgd: load state: unexpected tensor "p0.exp_avg": parameter "p0" has no buffer "exp_avg" with this configuration`},
		{"unknown param", edit(func(s *State) { s.Tensors[0].Name = "q.momentum_buffer" }), `optim: sgd: load state: tensor "q.momentum_buffer": unknown parameter "q"`},
		{"no steps", edit(func(s *State) {
			s.Tensors = append(s.Tensors, safetensors.Tensor{Name: "p1.momentum_buffer", Shape: []int{3}, Data: make([]float32, 3)})
		}), `optim: sgd: load state: tensor "p1.momentum_buffer" for parameter "p1", which has no steps`},
		{"shape", edit(func(s *State) { s.Tensors[0].Shape = []int{3, 2} }), `optim: sgd: load state: shape mismatch for "p0.momentum_buffer": state [3 2], parameter [2 3]`},
		{"twice", edit(func(s *State) { s.Tensors = append(s.Tensors, s.Tensors[0]) }), `optim: sgd: load state: tensor "p0.momentum_buffer" appears twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := NewSGD(OneGroup(ps), SGDConfig{LR: 0.2, Momentum: 0.9})
			randGrads(rng, ps, nil)
			dst.Step()
			before := dst.State()
			err := dst.LoadState(tt.s)
			require.EqualError(t, err, tt.msg)
			assert.Equal(t, before, dst.State(), "a failed LoadState must change nothing")
		})
	}
}

func TestStatePrefixSelectMerge(t *testing.T) {
	a := State{
		Tensors:  []safetensors.Tensor{{Name: "w", Shape: []int{1}, Data: []float32{1}}},
		Metadata: map[string]string{"k": "v"},
	}
	p := a.Prefix("opt.")
	assert.Equal(t, "opt.w", p.Tensors[0].Name)
	assert.Equal(t, map[string]string{"opt.k": "v"}, p.Metadata)
	assert.Equal(t, "w", a.Tensors[0].Name, "Prefix must not modify its receiver")
	assert.Equal(t, a, p.Select("opt."))
	assert.Empty(t, p.Select("ema.").Tensors)

	m, err := Merge(p, a)
	require.NoError(t, err)
	assert.Len(t, m.Tensors, 2)
	assert.Len(t, m.Metadata, 2)
	_, err = Merge(a, a)
	assert.EqualError(t, err, `optim: merge states: tensor "w" appears twice`)
	_, err = Merge(a, State{Metadata: map[string]string{"k": "x"}})
	assert.EqualError(t, err, `optim: merge states: metadata key "k" appears twice`)
}
