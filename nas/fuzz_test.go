package nas

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/autonl-go/autonl/models"
)

// FuzzParseSpace feeds arbitrary JSON to ParseSpace: errors are one line,
// never panics; an accepted space is within every limit, its Footprint and
// MACsRange are computed without building anything, and one whose
// estimate is small builds a supernet whose largest network costs what
// MACsRange says.
func FuzzParseSpace(f *testing.F) {
	for _, p := range Presets() {
		f.Add(string(p.Space.JSON()))
	}
	small, err := LookupPreset("small")
	if err != nil {
		f.Fatal(err)
	}
	for _, edit := range []func(*Space){
		func(s *Space) { s.Kernels = []int{3, 999999} },
		func(s *Space) { s.Stages[1].Repeats = 1_000_000_000 },
		func(s *Space) { s.WidthMultiplier = 1e12 },
		func(s *Space) { s.Expansions = []float64{3, 1e12} },
		func(s *Space) { s.InputSize, s.Classes = 2_000_000_000, 2_000_000_000 },
		func(s *Space) { s.InputSize = 24 },
	} {
		s := small.Space.Clone()
		edit(&s)
		b, err := json.Marshal(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, text string) {
		s, err := ParseSpace([]byte(text))
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error of more than one line: %q", err)
			}
			return
		}
		if s.InputSize > models.MaxInputSize || s.Classes > models.MaxClasses || s.WidthMultiplier > models.MaxWidthMultiplier {
			t.Fatalf("accepted a space beyond the limits: %+v", s)
		}
		layers, err := s.Layers()
		if err != nil || len(layers) > models.MaxLayers {
			t.Fatalf("accepted space: %v, %d layers", err, len(layers))
		}
		fp, err := s.Footprint()
		if err != nil {
			t.Fatalf("Footprint of an accepted space: %v", err)
		}
		lo, hi, err := s.MACsRange()
		if err != nil || lo > hi {
			t.Fatalf("MACsRange of an accepted space: %d, %d, %v", lo, hi, err)
		}
		if fp.Params > 100_000 || fp.Bytes(1, true) > 64<<20 {
			return
		}
		net, err := NewSupernet(s, rand.New(rand.NewPCG(1, 1)))
		if err != nil {
			t.Fatalf("NewSupernet of an accepted space: %v", err)
		}
		if got := net.MACs(net.Choices()); got != hi {
			t.Fatalf("the largest network costs %d MACs; MACsRange says %d", got, hi)
		}
	})
}
