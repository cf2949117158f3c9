package models_test

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/autonl-go/autonl/models"
	"github.com/autonl-go/autonl/nn"
)

// FuzzParseBlock checks that ParseBlock never panics, that every error is an
// *ArchError with a kind, and that every accepted string round-trips:
// the parsed value is valid, its canonical string parses to the same value
// and prints to itself. It also feeds the input to ParseArch, whose
// accepted results must survive FormatArch.
func FuzzParseBlock(f *testing.F) {
	for _, text := range []string{models.MnasNetA1Arch, models.SinglePathNASArch, models.AutoNLSArch, models.AutoNLLArch} {
		for _, ln := range strings.Split(text, "\n") {
			ln, _, _ = strings.Cut(ln, "#")
			f.Add(strings.TrimSpace(ln))
		}
	}
	for _, s := range []string{
		"o80_i40_e6_s2_k5_r1_noskip_se0.250_nonlocal0.25-1",
		"r1_k4_s22_e6_i40_o80", "r1__k3", "r1_k3_k5", "e1" + strings.Repeat("0", 320),
		"r2147483648_k3_s11_e1_i1_o1", "r1_k3_s0_e0.0_i1_o1", "nonlocal-_se._s999",
		"r1_k3_s11_e1_i32_o16\nr1_k3_s11_e1_i16_o16 # two lines",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := models.ParseBlock(s)
		if err != nil {
			var ae *models.ArchError
			if !errors.As(err, &ae) || ae.Kind == nil || ae.Msg == "" {
				t.Fatalf("ParseBlock(%q): error %v is not a complete *ArchError", s, err)
			}
			if b != (models.BlockSpec{}) {
				t.Fatalf("ParseBlock(%q): error %v with non-zero value %#v", s, err, b)
			}
		} else {
			if err := b.Validate(); err != nil {
				t.Fatalf("ParseBlock(%q) = %#v, which does not validate: %v", s, b, err)
			}
			c := b.String()
			b2, err := models.ParseBlock(c)
			if err != nil {
				t.Fatalf("ParseBlock(%q) = %#v, but its string %q does not parse: %v", s, b, c, err)
			}
			if b2 != b {
				t.Fatalf("ParseBlock(%q) = %#v, but ParseBlock(%q) = %#v", s, b, c, b2)
			}
			if c2 := b2.String(); c2 != c {
				t.Fatalf("canonical form not a fixed point: %q then %q", c, c2)
			}
		}

		blocks, err := models.ParseArch(s)
		if err != nil {
			var ae *models.ArchError
			if !errors.As(err, &ae) || ae.Kind == nil {
				t.Fatalf("ParseArch(%q): error %v is not a complete *ArchError", s, err)
			}
			return
		}
		if err := models.CheckArch(blocks); err != nil {
			t.Fatalf("ParseArch(%q) accepted blocks that CheckArch rejects: %v", s, err)
		}
		again, err := models.ParseArch(models.FormatArch(blocks))
		if err != nil || len(again) != len(blocks) {
			t.Fatalf("ParseArch(FormatArch(ParseArch(%q))): %v", s, err)
		}
		for i := range blocks {
			if again[i] != blocks[i] {
				t.Fatalf("ParseArch(%q): block %d %#v reparses as %#v", s, i+1, blocks[i], again[i])
			}
		}
	})
}

// FuzzSpecLimits feeds arbitrary network specs (the metadata of network
// files and checkpoints) to ParseSpec and Spec.Footprint, which must check
// every size against the limits without building anything: errors are
// one line, never panics, and an accepted spec has every width, kernel and
// layer count within the limits. Specs whose estimate is small are built,
// and the built network's parameter count is the estimate's.
func FuzzSpecLimits(f *testing.F) {
	f.Add(`{"name":"Net","arch":"r1_k3_s11_e1_i16_o16_nonlocal0.25\n","input_channels":3,"stem_stride":1,"head_width":32,"classes":2,"dropout":0,"activation":"ReLU6","se_gate":"Sigmoid","bn_momentum":0.1,"bn_eps":1e-5}`)
	f.Add(`{"arch":"r1_k5_s22_e6_i8_o8_se0.25","input_channels":1,"stem_stride":2,"head_width":1,"classes":1,"activation":"SiLU","se_gate":"Hardsigmoid","bn_momentum":1,"bn_eps":1}`)
	f.Add(`{"arch":"r1_k3_s11_e1_i16_o999999999","input_channels":3,"stem_stride":1,"head_width":32,"classes":2,"activation":"ReLU","se_gate":"Sigmoid","bn_momentum":0.1,"bn_eps":1e-5}`)
	f.Add(`{"arch":"r1_k31_s11_e64_i256_o16384","input_channels":16384,"stem_stride":9,"head_width":16384,"classes":131072,"activation":"ReLU","se_gate":"Sigmoid","bn_momentum":0.1,"bn_eps":1e-5}`)
	f.Add(`{"arch":"r1_k3_s11_e1_i8_o8","input_channels":3,"stem_stride":1,"head_width":8,"classes":2000000000,"activation":"ReLU","se_gate":"Sigmoid","bn_momentum":0.1,"bn_eps":1e-5}`)
	f.Fuzz(func(t *testing.T, text string) {
		s, err := models.ParseSpec(text)
		if err != nil {
			return
		}
		fp, err := s.Footprint(32)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("Footprint: error of more than one line: %q", err)
			}
			return
		}
		if s.InputChannels > models.MaxWidth || s.HeadWidth > models.MaxWidth || s.Classes > models.MaxClasses || s.StemStride > models.MaxStride {
			t.Fatalf("accepted a spec beyond the limits: %+v", s)
		}
		layers, err := models.ParseArch(s.Arch)
		if err != nil || len(layers) > models.MaxLayers {
			t.Fatalf("accepted spec arch %q: %v, %d layers", s.Arch, err, len(layers))
		}
		for _, l := range layers {
			if l.In > models.MaxWidth || l.Out > models.MaxWidth || l.HiddenWidth() > models.MaxWidth || l.Kernel > models.MaxKernel {
				t.Fatalf("accepted a layer beyond the limits: %v", l)
			}
		}
		if fp.Params > 200_000 || fp.Bytes(1, false) > 64<<20 {
			return
		}
		net, err := models.BuildSpec(s, rand.New(rand.NewPCG(1, 1)))
		if err != nil {
			t.Fatalf("Footprint accepted a spec that BuildSpec refuses: %v", err)
		}
		if got := int64(nn.NumParams(net)); got != fp.Params {
			t.Fatalf("built %d parameters, estimated %d", got, fp.Params)
		}
	})
}
