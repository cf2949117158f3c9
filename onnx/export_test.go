package onnx

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/internal/testnets"
	"github.com/autonl-go/autonl/lightnl"
	"github.com/autonl-go/autonl/models"
	"github.com/autonl-go/autonl/nn"
	pb "github.com/autonl-go/autonl/onnx/internal/onnxpb"
	"github.com/autonl-go/autonl/tensor"
)

// randomBN gives every batch norm random γ, β and running statistics, and
// LightNL blocks a non-zero γ, so that no part of the network is the
// identity or zero.
func randomBN(m nn.Module, rng *rand.Rand) {
	nn.Walk(m, func(_ string, m nn.Module) {
		bn, ok := m.(*nn.BatchNorm2d)
		if !ok {
			return
		}
		for i := range bn.Channels {
			bn.Weight.Value.Data()[i] = 0.2 + 0.5*rng.Float32()
			bn.Bias.Value.Data()[i] = 0.1 * float32(rng.NormFloat64())
			bn.RunningMean.Data()[i] = 0.1 * float32(rng.NormFloat64())
			bn.RunningVar.Data()[i] = 0.5 + rng.Float32()
		}
	})
}

func buildNet(t *testing.T, arch string, cfg models.Config) *models.Net {
	t.Helper()
	net, err := models.Build(models.MustParseArch(arch), cfg, rand.New(rand.NewPCG(1, 2)))
	require.NoError(t, err)
	return net
}

func zoo(t *testing.T, name string, cfg models.Config) *models.Net {
	t.Helper()
	net, err := models.New(name, rand.New(rand.NewPCG(3, 4)), cfg)
	require.NoError(t, err)
	return net
}

func decode(t *testing.T, b []byte) *pb.ModelProto {
	t.Helper()
	m := &pb.ModelProto{}
	require.NoError(t, proto.Unmarshal(b, m))
	return m
}

// The exported graph computes what the module's Forward computes, for
// every kind of network and block the writer converts.
func TestEncodeMatchesForward(t *testing.T) {
	mean, std := []float32{0.5, 0.4, 0.3}, []float32{0.2, 0.25, 0.3}
	for _, tc := range []struct {
		name      string
		m         nn.Module
		input     [3]int
		mean, std []float32
	}{
		{"mobilenetv2 0.35 small", zoo(t, "mobilenetv2", models.Config{Classes: 10, WidthMultiplier: 0.35, SmallInput: true}), [3]int{3, 32, 32}, nil, nil},
		{"autonl-s 0.5 small", zoo(t, "autonl-s", models.Config{Classes: 10, WidthMultiplier: 0.5, SmallInput: true}), [3]int{3, 32, 32}, nil, nil},
		{"searched swish", buildNet(t, testnets.SearchedArch, models.Config{StemStride: 1, HeadWidth: 64, Classes: 7, Activation: models.Swish}), [3]int{3, 27, 25}, nil, nil},
		{"searched normalized", buildNet(t, testnets.SearchedArch, models.Config{StemStride: 1, HeadWidth: 64, Classes: 7, Activation: models.Swish}), [3]int{3, 24, 24}, mean, std},
		{"hard swish and hard sigmoid", buildNet(t, testnets.SearchedArch, models.Config{HeadWidth: 48, Classes: 3, Activation: models.HardSwish, SEGate: models.HardSigmoid}), [3]int{3, 40, 40}, nil, nil},
		{"relu, one channel", buildNet(t, "r1_k3_s22_e6_i8_o16_se0.5\nr1_k5_s11_e3_i16_o16_noskip_nonlocal0.5-3", models.Config{InputChannels: 1, Classes: 2, Activation: models.ReLU}), [3]int{1, 17, 19}, nil, nil},
		{"lightnl order A", lightnl.New(rand.New(rand.NewPCG(1, 1)), 32, lightnl.Config{Ratio: 0.25, Stride: 2, Order: lightnl.OrderA}), [3]int{32, 5, 6}, nil, nil},
		{"lightnl order B", lightnl.New(rand.New(rand.NewPCG(1, 1)), 32, lightnl.Config{Ratio: 0.25, Stride: 2, Order: lightnl.OrderB}), [3]int{32, 5, 6}, nil, nil},
		{"layers", nn.NewSequential(
			nn.NewConv2d(rand.New(rand.NewPCG(1, 1)), 2, 4, 3, nn.ConvConfig{Stride: 2, Padding: 1, Bias: true, Dilation: 1}),
			&nn.AvgPool2d{Kernel: 3, Stride: 1, Padding: 1},
			nn.NewSqueezeExcite(rand.New(rand.NewPCG(1, 1)), 4, 2, nil, nil),
			&nn.Identity{},
			&nn.Flatten{},
			nn.NewDropout(0.5, rand.New(rand.NewPCG(1, 1))),
			nn.NewLinear(rand.New(rand.NewPCG(1, 1)), 4*4*5, 3, false),
		), [3]int{2, 8, 9}, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(5, 6))
			randomBN(tc.m, rng)
			b, err := Encode(tc.m, Config{Input: tc.input, Mean: tc.mean, Std: tc.std})
			require.NoError(t, err)
			raw := tensor.Uniform(rng, 0, 1, 3, tc.input[0], tc.input[1], tc.input[2])
			x := raw.Clone()
			if tc.mean != nil {
				x = tensor.Mul(tensor.Sub(raw, tensor.FromSlice(tc.mean, 1, 3, 1, 1)),
					tensor.FromSlice([]float32{1 / std[0], 1 / std[1], 1 / std[2]}, 1, 3, 1, 1))
			}
			nn.SetTraining(tc.m, false)
			var want *tensor.Tensor
			autograd.NoGrad(func() { want = tc.m.Forward(autograd.Const(x)).Value.Clone() })
			got, err := run(decode(t, b), raw)
			require.NoError(t, err)
			require.Equal(t, want.Shape(), got.Shape())
			d := testnets.RelDiff(got.Data(), want.Data())
			assert.Less(t, d, 1e-5, "max relative difference")
			t.Logf("max relative difference %.3g", d)
		})
	}
}

func TestEncodeStructure(t *testing.T) {
	net := buildNet(t, testnets.SearchedArch, models.Config{Name: "Searched", StemStride: 1, HeadWidth: 64, Classes: 7, Activation: models.Swish})
	b, err := Encode(net, Config{Input: [3]int{3, 24, 24}, Metadata: map[string]string{"note": "hi"}})
	require.NoError(t, err)
	again, err := Encode(net, Config{Input: [3]int{3, 24, 24}, Metadata: map[string]string{"note": "hi"}})
	require.NoError(t, err)
	assert.Equal(t, b, again, "deterministic")
	m := decode(t, b)

	assert.EqualValues(t, IRVersion, m.GetIrVersion())
	require.Len(t, m.OpsetImport, 1)
	assert.EqualValues(t, Opset, m.OpsetImport[0].GetVersion())
	assert.Equal(t, "", m.OpsetImport[0].GetDomain())
	assert.Equal(t, "Searched", m.Graph.GetName())

	dims := func(v *pb.ValueInfoProto) []string {
		var ds []string
		for _, d := range v.Type.GetTensorType().Shape.Dim {
			if d.GetDimParam() != "" {
				ds = append(ds, d.GetDimParam())
			} else {
				ds = append(ds, strconv.FormatInt(d.GetDimValue(), 10))
			}
		}
		return ds
	}
	require.Len(t, m.Graph.Input, 1)
	require.Len(t, m.Graph.Output, 1)
	assert.Equal(t, InputName, m.Graph.Input[0].GetName())
	assert.Equal(t, []string{"N", "3", "24", "24"}, dims(m.Graph.Input[0]))
	assert.Equal(t, OutputName, m.Graph.Output[0].GetName())
	assert.Equal(t, []string{"N", "7"}, dims(m.Graph.Output[0]))

	// Every parameter and running statistic is an initializer under its
	// state-dict name; num_batches_tracked is not needed.
	inits := map[string]bool{}
	for _, in := range m.Graph.Initializer {
		inits[in.GetName()] = true
	}
	for _, ts := range nn.StateDict(net) {
		assert.Equal(t, !strings.HasSuffix(ts.Name, "num_batches_tracked"), inits[ts.Name], ts.Name)
	}

	var ops []string
	for _, n := range m.Graph.Node {
		if !slices.Contains(ops, n.GetOpType()) {
			ops = append(ops, n.GetOpType())
		}
	}
	slices.Sort(ops)
	assert.Equal(t, []string{"Add", "BatchNormalization", "Conv", "Flatten", "Gemm", "GlobalAveragePool",
		"MatMul", "Mul", "Reshape", "Sigmoid", "Slice", "Transpose"}, ops)

	meta := map[string]string{}
	for _, p := range m.MetadataProps {
		meta[p.GetKey()] = p.GetValue()
	}
	assert.Equal(t, "hi", meta["note"])
	assert.Contains(t, meta["autonl.input"], "does not normalize")
	spec, err := models.ParseSpec(meta[models.SpecKey])
	require.NoError(t, err)
	want, err := net.Spec()
	require.NoError(t, err)
	assert.Equal(t, want, spec)

	// A fixed batch size, and the normalization described.
	b, err = Encode(net, Config{Input: [3]int{3, 24, 24}, Batch: 4, Mean: []float32{0, 0, 0}, Std: []float32{1, 1, 1}})
	require.NoError(t, err)
	m = decode(t, b)
	assert.Equal(t, []string{"4", "3", "24", "24"}, dims(m.Graph.Input[0]))
	assert.Equal(t, []string{"4", "7"}, dims(m.Graph.Output[0]))
	assert.Equal(t, "Sub", m.Graph.Node[0].GetOpType())
	assert.Equal(t, InputName, m.Graph.Node[0].Input[0])
}

// unknownModule is a module type the writer does not know.
type unknownModule struct{ nn.Base }

func (*unknownModule) Forward(x *autograd.Var) *autograd.Var { return x }

func TestEncodeErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	net := buildNet(t, "r1_k3_s11_e1_i8_o8", models.Config{Classes: 2})
	for _, tc := range []struct {
		name string
		m    nn.Module
		opts Config
		want []string
	}{
		{"unknown module", nn.NewSequential(nn.NewReLU(), nn.NewSequential(&unknownModule{})), Config{Input: [3]int{1, 4, 4}},
			[]string{"module 1.0 has type *onnx.unknownModule", "cannot convert"}},
		{"linear on an image", nn.NewLinear(rng, 4, 2, true), Config{Input: [3]int{1, 4, 4}},
			[]string{"the model (*nn.Linear)", "N×1×4×4", "N×4 inputs"}},
		{"wrong channels", nn.NewSequential(nn.NewConv2d(rng, 3, 4, 1, nn.ConvConfig{})), Config{Input: [3]int{2, 4, 4}},
			[]string{"module 0 (*nn.Conv2d)", "not N×3×H×W"}},
		{"kernel too large", nn.NewConv2d(rng, 1, 1, 5, nn.ConvConfig{}), Config{Input: [3]int{1, 3, 3}},
			[]string{"too small for the 5×5 kernel"}},
		{"no input shape", net, Config{}, []string{"Config.Input [0 0 0]"}},
		{"negative batch", net, Config{Input: [3]int{3, 8, 8}, Batch: -1}, []string{"Config.Batch -1"}},
		{"mean without std", net, Config{Input: [3]int{3, 8, 8}, Mean: []float32{0, 0, 0}}, []string{"Mean and Std"}},
		{"std per channel", net, Config{Input: [3]int{3, 8, 8}, Mean: []float32{0}, Std: []float32{1}}, []string{"one value per channel (3)"}},
		{"zero std", net, Config{Input: [3]int{3, 8, 8}, Mean: []float32{0, 0, 0}, Std: []float32{1, 0, 1}}, []string{"Std[1] = 0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Encode(tc.m, tc.opts)
			require.Error(t, err)
			assert.NotContains(t, err.Error(), "\n")
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
	var ue *UnsupportedError
	_, err := Encode(nn.NewSequential(&unknownModule{}), Config{Input: [3]int{1, 2, 2}})
	require.True(t, errors.As(err, &ue))
	assert.Equal(t, "0", ue.Path)
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	net := buildNet(t, "r1_k3_s11_e1_i8_o8_nonlocal0.25", models.Config{Classes: 2})
	path := filepath.Join(dir, "m.onnx")
	require.NoError(t, WriteFile(path, net, Config{Input: [3]int{3, 8, 8}}))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	want, err := Encode(net, Config{Input: [3]int{3, 8, 8}})
	require.NoError(t, err)
	assert.Equal(t, want, b)

	// A model that cannot be converted writes nothing; an unwritable path
	// is an error naming it and leaves nothing behind.
	err = WriteFile(filepath.Join(dir, "bad.onnx"), nn.NewSequential(&unknownModule{}), Config{Input: [3]int{1, 2, 2}})
	require.Error(t, err)
	err = WriteFile(filepath.Join(dir, "none", "m.onnx"), net, Config{Input: [3]int{3, 8, 8}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), filepath.Join(dir, "none"))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.Equal(t, "m.onnx", entries[0].Name())
}
