package models_test

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/internal/testnets"
	"github.com/autonl-go/autonl/lightnl"
	"github.com/autonl-go/autonl/models"
	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/tensor"
)

// A spec rebuilds the network it describes: same modules, same state, same
// logits; and its JSON form round-trips.
func TestSpecRoundTrip(t *testing.T) {
	small, err := models.New("autonl-s", rand.New(rand.NewPCG(1, 1)), models.Config{Classes: 10, SmallInput: true, WidthMultiplier: 0.5})
	require.NoError(t, err)
	mnv2, err := models.New("mobilenetv2", rand.New(rand.NewPCG(1, 2)), models.Config{Classes: 7, WidthMultiplier: 0.35})
	require.NoError(t, err)
	searched, err := models.Build(models.MustParseArch(testnets.SearchedArch), models.Config{
		StemStride: 1, HeadWidth: 96, Classes: 5, Dropout: models.NoDropout,
		Activation: models.Swish, BN: nn.BatchNormConfig{Momentum: 0.01, Eps: 1e-3},
	}, rand.New(rand.NewPCG(1, 3)))
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		net  *models.Net
		size int
	}{{"autonl-s small", small, 32}, {"mobilenetv2 0.35", mnv2, 64}, {"searched", searched, 24}} {
		t.Run(tc.name, func(t *testing.T) {
			spec, err := tc.net.Spec()
			require.NoError(t, err)
			back, err := models.ParseSpec(spec.JSON())
			require.NoError(t, err)
			assert.Equal(t, spec, back)
			rebuilt, err := models.BuildSpec(back, rand.New(rand.NewPCG(9, 9)))
			require.NoError(t, err)
			assert.Equal(t, tc.net.String(), rebuilt.String())
			_, err = nn.LoadStateDict(rebuilt, nn.StateDict(tc.net), true)
			require.NoError(t, err)
			again, err := rebuilt.Spec()
			require.NoError(t, err)
			assert.Equal(t, spec, again)

			nn.SetTraining(tc.net, false)
			nn.SetTraining(rebuilt, false)
			x := autograd.Const(tensor.Normal(rand.New(rand.NewPCG(5, 5)), 0, 1, 2, 3, tc.size, tc.size))
			want := tc.net.Forward(x).Value.Data()
			got := rebuilt.Forward(x).Value.Data()
			assert.Equal(t, want, got)
		})
	}
}

func TestSpecErrors(t *testing.T) {
	good := models.Spec{
		Name: "Net", Arch: "r1_k3_s11_e1_i16_o16\n", InputChannels: 3, StemStride: 1, HeadWidth: 32,
		Classes: 2, Activation: "ReLU6", SEGate: "Sigmoid", BNMomentum: 0.1, BNEps: 1e-5,
	}
	_, err := models.BuildSpec(good, rand.New(rand.NewPCG(1, 1)))
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		edit func(s *models.Spec)
		want string
	}{
		{"bad arch", func(s *models.Spec) { s.Arch = "r1_k4_s11_e1_i16_o16" }, "spec arch"},
		{"repeats", func(s *models.Spec) { s.Arch = "r2_k3_s11_e1_i16_o16" }, "2 repeats"},
		{"activation", func(s *models.Spec) { s.Activation = "gelu" }, `spec activation: unknown activation "gelu"`},
		{"gate", func(s *models.Spec) { s.SEGate = "" }, "spec se_gate"},
		{"classes", func(s *models.Spec) { s.Classes = 0 }, "classes is 0"},
		{"stem", func(s *models.Spec) { s.StemStride = -1 }, "stem_stride is -1"},
		{"dropout", func(s *models.Spec) { s.Dropout = 1 }, "dropout is 1"},
		{"bn", func(s *models.Spec) { s.BNEps = 0 }, "bn_eps 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := good
			tc.edit(&s)
			_, err := models.BuildSpec(s, rand.New(rand.NewPCG(1, 1)))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	_, err = models.ParseSpec(`{"name":"x","colour":"red"}`)
	assert.ErrorContains(t, err, `unknown field "colour"`)
	_, err = models.ParseSpec(`{"name":`)
	assert.Error(t, err)

	// A network with a LightNL block from a custom factory has no spec.
	custom, err := models.Build(models.MustParseArch("r1_k3_s11_e1_i16_o16_nonlocal0.25"), models.Config{
		LightNL: func(c int, r float64, s int) nn.Module {
			return lightnl.New(rand.New(rand.NewPCG(1, 1)), c, lightnl.Config{Ratio: r, Stride: s, BN: nn.BatchNormConfig{Eps: 0.5}})
		},
	}, rand.New(rand.NewPCG(1, 1)))
	require.NoError(t, err)
	_, err = custom.Spec()
	assert.ErrorContains(t, err, "features.1")
}

func TestParseActivation(t *testing.T) {
	for _, a := range []models.Activation{models.ReLU, models.ReLU6, models.Swish, models.HardSwish, models.Sigmoid, models.HardSigmoid} {
		got, err := models.ParseActivation(strings.ToUpper(a.String()))
		require.NoError(t, err)
		assert.Equal(t, a, got)
	}
	got, err := models.ParseActivation("swish")
	require.NoError(t, err)
	assert.Equal(t, models.Swish, got)
	_, err = models.ParseActivation("default")
	assert.ErrorContains(t, err, "want relu, relu6, swish, hardswish, sigmoid or hardsigmoid")
}

// FuzzSpec feeds arbitrary JSON to ParseSpec and BuildSpec: errors, never
// panics. Widths are capped so that a build stays small.
func FuzzSpec(f *testing.F) {
	f.Add(`{"name":"Net","arch":"r1_k3_s11_e1_i16_o16_nonlocal0.25\n","input_channels":3,"stem_stride":1,"head_width":32,"classes":2,"dropout":0,"activation":"ReLU6","se_gate":"Sigmoid","bn_momentum":0.1,"bn_eps":1e-5}`)
	f.Add(`{"arch":"r1_k5_s22_e6_i8_o8_se0.25","input_channels":1,"stem_stride":2,"head_width":1,"classes":1,"activation":"SiLU","se_gate":"Hardsigmoid","bn_momentum":1,"bn_eps":1}`)
	f.Fuzz(func(t *testing.T, text string) {
		s, err := models.ParseSpec(text)
		if err != nil {
			return
		}
		if s.InputChannels > 64 || s.HeadWidth > 256 || s.Classes > 256 || len(s.Arch) > 200 {
			return
		}
		if blocks, err := models.ParseArch(s.Arch); err == nil {
			for _, b := range blocks {
				if b.In > 64 || b.Out > 64 || b.Expand > 8 || b.Kernel > 7 {
					return
				}
			}
		}
		_, _ = models.BuildSpec(s, rand.New(rand.NewPCG(1, 1)))
	})
}

// Save writes a file that Load rebuilds the same network from; files
// without a spec, missing and corrupt files are errors naming the file.
func TestSaveLoad(t *testing.T) {
	dir := t.TempDir()
	net, err := models.Build(models.MustParseArch(testnets.SearchedArch), models.Config{
		StemStride: 1, HeadWidth: 32, Classes: 3, Activation: models.Swish,
	}, rand.New(rand.NewPCG(4, 4)))
	require.NoError(t, err)
	path := filepath.Join(dir, "net.safetensors")
	require.NoError(t, models.Save(path, net, map[string]string{"note": "x"}))
	back, meta, err := models.Load(path)
	require.NoError(t, err)
	assert.Equal(t, "x", meta["note"])
	assert.False(t, back.Training())
	assert.Equal(t, nn.StateDict(net), nn.StateDict(back))

	plain := filepath.Join(dir, "plain.safetensors")
	require.NoError(t, nn.Save(plain, net, nil))
	_, _, err = models.Load(plain)
	assert.ErrorContains(t, err, plain)
	assert.ErrorContains(t, err, `no "autonl.net" metadata`)

	_, _, err = models.Load(filepath.Join(dir, "none.safetensors"))
	assert.ErrorContains(t, err, "none.safetensors")

	corrupt := filepath.Join(dir, "corrupt.safetensors")
	require.NoError(t, os.WriteFile(corrupt, []byte("\x10\x00\x00\x00\x00\x00\x00\x00{not json"), 0o644))
	_, _, err = models.Load(corrupt)
	assert.ErrorContains(t, err, corrupt)

	// Weights that do not fit the spec.
	other, err := models.Build(models.MustParseArch("r1_k3_s11_e1_i16_o16"), models.Config{Classes: 3}, rand.New(rand.NewPCG(4, 4)))
	require.NoError(t, err)
	spec, err := other.Spec()
	require.NoError(t, err)
	mixed := filepath.Join(dir, "mixed.safetensors")
	require.NoError(t, nn.Save(mixed, net, map[string]string{models.SpecKey: spec.JSON()}))
	_, _, err = models.Load(mixed)
	assert.ErrorContains(t, err, "unexpected keys")
}
