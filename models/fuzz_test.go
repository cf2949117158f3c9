package models_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/autonl-go/autonl/models"
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
			if b != (models.BlockArgs{}) {
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
