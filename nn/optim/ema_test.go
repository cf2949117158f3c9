package optim

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/safetensors"
	"github.com/autonl-go/autonl/tensor"
)

func vec(v ...float32) *tensor.Tensor { return tensor.FromSlice(v, len(v)) }

// shadow returns the EMA's average of the named entry.
func shadow(t *testing.T, e *EMA, name string) []float32 {
	t.Helper()
	for _, ts := range e.State().Tensors {
		if ts.Name == name {
			return ts.Data
		}
	}
	t.Fatalf("no %q", name)
	return nil
}

func TestEMAUpdate(t *testing.T) {
	tests := []struct {
		name   string
		cfg    EMAConfig
		values [][]float32 // the parameter's value at each update
		want   [][]float32 // the average after each update
	}{
		{"decay 0.5", EMAConfig{Decay: 0.5},
			[][]float32{{3, 6}, {5, 0}}, [][]float32{{2, 4}, {3.5, 2}}},
		// n = 1: d = min(0.9999, 2/11); n = 2: d = 3/12.
		{"tf warmup", EMAConfig{Decay: 0.9999, NumUpdatesWarmup: true},
			[][]float32{{12, 13}, {0, 1}}, [][]float32{{10, 11}, {2.5, 3.5}}},
		{"decay 0 follows", EMAConfig{Decay: 0}, [][]float32{{7, 8}}, [][]float32{{7, 8}}},
		{"decay 1 freezes", EMAConfig{Decay: 1}, [][]float32{{7, 8}}, [][]float32{{1, 2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := nn.Param{Name: "w", Var: autograd.Param(vec(1, 2))}
			e := NewEMA([]nn.Param{p}, nil, tt.cfg)
			for k, v := range tt.values {
				copy(p.Var.Value.Data(), v)
				e.Update()
				assert.InDeltaSlice(t, tt.want[k], shadow(t, e, "w"), 1e-5, "update %d", k+1)
			}
			assert.Equal(t, len(tt.values), e.Updates())
		})
	}
}

func TestEMADecay(t *testing.T) {
	e := NewEMA(nil, nil, EMAConfig{Decay: 0.9999, NumUpdatesWarmup: true})
	assert.InDelta(t, 2.0/11, e.Decay(1), 1e-15)
	assert.InDelta(t, 1001.0/1010, e.Decay(1000), 1e-15)
	assert.Equal(t, 0.9999, e.Decay(100000))
	assert.Equal(t, 0.9999, NewEMA(nil, nil, EMAConfig{Decay: 0.9999}).Decay(1))
}

func TestEMABuffers(t *testing.T) {
	for _, copyBuffers := range []bool{false, true} {
		mean := nn.Buffer{Name: "bn.running_mean", Tensor: vec(0, 0)}
		count := nn.Buffer{Name: "bn.num_batches_tracked", Tensor: tensor.Scalar(0)}
		e := NewEMA(nil, []nn.Buffer{mean, count}, EMAConfig{Decay: 0.75, CopyBuffers: copyBuffers})
		mean.Tensor.Data()[0], mean.Tensor.Data()[1] = 4, 8
		count.Tensor.Data()[0] = 1
		e.Update()
		if copyBuffers {
			assert.Equal(t, []float32{4, 8}, shadow(t, e, "bn.running_mean"))
		} else {
			assert.Equal(t, []float32{1, 2}, shadow(t, e, "bn.running_mean"))
		}
		assert.Equal(t, []float32{1}, shadow(t, e, "bn.num_batches_tracked"), "counters are copied")
	}
}

func TestEMAApplyRestore(t *testing.T) {
	p := nn.Param{Name: "w", Var: autograd.Param(vec(0, 0))}
	b := nn.Buffer{Name: "b", Tensor: vec(0)}
	e := NewEMA([]nn.Param{p}, []nn.Buffer{b}, EMAConfig{Decay: 0.5})
	copy(p.Var.Value.Data(), []float32{2, 4})
	b.Tensor.Data()[0] = 6
	e.Update()

	e.Apply()
	assert.True(t, e.Applied())
	assert.Equal(t, []float32{1, 2}, p.Var.Value.Data())
	assert.Equal(t, []float32{3}, b.Tensor.Data())
	assert.PanicsWithValue(t, "optim: ema: Update while the averages are applied; call Restore first", e.Update)
	assert.PanicsWithValue(t, "optim: ema: Apply twice", e.Apply)
	assert.ErrorContains(t, e.LoadState(e.State()), "the averages are applied")
	e.Restore()
	assert.False(t, e.Applied())
	assert.Equal(t, []float32{2, 4}, p.Var.Value.Data())
	assert.Equal(t, []float32{6}, b.Tensor.Data())
	assert.PanicsWithValue(t, "optim: ema: Restore without Apply", e.Restore)

	// Apply again reuses its backup.
	e.Apply()
	e.Restore()
	assert.Equal(t, []float32{2, 4}, p.Var.Value.Data())
}

func TestEMAUpdateDoesNotAllocate(t *testing.T) {
	p := nn.Param{Name: "w", Var: autograd.Param(tensor.New(64, 3, 3, 3))}
	b := nn.Buffer{Name: "bn.running_var", Tensor: tensor.New(64)}
	e := NewEMA([]nn.Param{p}, []nn.Buffer{b}, EMAConfig{Decay: 0.9999, NumUpdatesWarmup: true})
	assert.Zero(t, testing.AllocsPerRun(20, e.Update))
}

func TestEMAState(t *testing.T) {
	p := nn.Param{Name: "features.0.weight", Var: autograd.Param(tensor.FromSlice([]float32{1, 2, 3, 4}, 2, 2))}
	b := nn.Buffer{Name: "features.1.running_mean", Tensor: vec(5)}
	e := NewEMA([]nn.Param{p}, []nn.Buffer{b}, EMAConfig{Decay: 0.5})
	p.Var.Value.Fill(3)
	e.Update()
	s := e.State()
	assert.Equal(t, []safetensors.Tensor{
		{Name: "features.0.weight", Shape: []int{2, 2}, Data: []float32{2, 2.5, 3, 3.5}},
		{Name: "features.1.running_mean", Shape: []int{1}, Data: []float32{5}},
	}, s.Tensors)
	assert.Equal(t, map[string]string{"ema.updates": "1", "ema.decay": "0.5"}, s.Metadata)

	e2 := NewEMA([]nn.Param{p}, []nn.Buffer{b}, EMAConfig{Decay: 0.5})
	require.NoError(t, e2.LoadState(s))
	assert.Equal(t, 1, e2.Updates())
	assert.Equal(t, s, e2.State())

	bad := []struct {
		name string
		s    State
		msg  string
	}{
		{"updates", State{Tensors: s.Tensors}, `optim: ema: load state: invalid ema.updates ""`},
		{"missing", State{Tensors: s.Tensors[:1], Metadata: s.Metadata}, `optim: ema: load state: missing tensor "features.1.running_mean"`},
		{"unexpected", State{Tensors: append(append([]safetensors.Tensor(nil), s.Tensors...), safetensors.Tensor{Name: "x", Shape: []int{1}, Data: []float32{0}}), Metadata: s.Metadata},
			`optim: ema: load state: unexpected tensor "x"`},
		{"shape", State{Tensors: []safetensors.Tensor{{Name: "features.0.weight", Shape: []int{4}, Data: make([]float32, 4)}, s.Tensors[1]}, Metadata: s.Metadata},
			`optim: ema: load state: shape mismatch for "features.0.weight": state [4], model [2 2]`},
		{"twice", State{Tensors: append(append([]safetensors.Tensor(nil), s.Tensors...), s.Tensors[0]), Metadata: s.Metadata},
			`optim: ema: load state: tensor "features.0.weight" appears twice`},
	}
	for _, tt := range bad {
		err := e2.LoadState(tt.s)
		assert.EqualError(t, err, tt.msg, tt.name)
	}
	assert.Equal(t, s, e2.State(), "failed loads change nothing")
}

func TestEMAInvalid(t *testing.T) {
	p := nn.Param{Name: "w", Var: autograd.Param(vec(1))}
	assert.PanicsWithValue(t, `optim: ema: name "w" appears twice`, func() { NewEMA([]nn.Param{p, p}, nil, EMAConfig{Decay: 0.9}) })
	assert.PanicsWithValue(t, "optim: ema: empty name", func() { NewEMA(nil, []nn.Buffer{{Tensor: vec(1)}}, EMAConfig{Decay: 0.9}) })
	assert.Panics(t, func() { NewEMA(nil, nil, EMAConfig{Decay: math.NaN()}) })
}
