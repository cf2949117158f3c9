// Package testref loads the PyTorch reference data in the repository's
// testdata directory for tests, and compares results with it.
//
// The data files are written by testdata/gen/gen.py, gen_nn.py and
// gen_lightnl.py. Each holds float32 tensors named "<case>/<tensor>", such
// as "case012/dx", and metadata mapping every case name to a JSON object of
// its parameters (except nn_state.safetensors, a plain PyTorch state dict).
// Tests load a file once, iterate over its cases (File.Run), and compare
// each result with a Checker, which applies the tolerance
//
//	|got − want| ≤ RTol·max|want| + ATol
//
// elementwise, the scale being the largest magnitude of the reference
// tensor, and logs the worst relative error max|got − want| / max|want| of
// every quantity when the test ends.
//
// Tests of package tensor must use an external test package (tensor_test),
// since this package imports tensor.
package testref

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/autonl-go/autonl/safetensors"
	"github.com/autonl-go/autonl/tensor"
)

// Default tolerances of NewChecker.
const (
	RTol = 1e-4
	ATol = 1e-6
)

// File is a loaded reference data file.
type File struct {
	// Path is the file's path.
	Path string
	f    *safetensors.File
}

// Load reads the named file from the repository's testdata directory,
// found by walking up from the working directory to go.mod. It fails the
// test if the file cannot be read.
func Load(t testing.TB, name string) *File {
	t.Helper()
	path := filepath.Join(TestdataDir(t), name)
	f, err := safetensors.ReadFile(path)
	if err != nil {
		t.Fatalf("testref: %v (regenerate with /usr/bin/python3 testdata/gen/gen.py)", err)
	}
	return &File{Path: path, f: f}
}

// TestdataDir returns the testdata directory at the repository root.
func TestdataDir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("testref: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "testdata")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("testref: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Cases returns the names of the file's cases that start with prefix, in
// sorted order.
func (f *File) Cases(prefix string) []string {
	var cases []string
	for k := range f.f.Metadata {
		if k != "generator" && k != "torch" && strings.HasPrefix(k, prefix) {
			cases = append(cases, k)
		}
	}
	slices.Sort(cases)
	return cases
}

// Case returns the named case, whose accessors fail t when something is
// missing. Pass the subtest's t when iterating with t.Run.
func (f *File) Case(t testing.TB, name string) *Case {
	t.Helper()
	if _, ok := f.f.Metadata[name]; !ok {
		t.Fatalf("testref: %s: no case %q", f.Path, name)
	}
	return &Case{Name: name, file: f, t: t}
}

// Run runs test as a subtest of t, named after the case, for each of
// the file's cases whose names start with prefix, with one Checker for
// the named group of tests; it fails t if there is no such case.
func (f *File) Run(t *testing.T, prefix, group string, test func(t *testing.T, c *Case, chk *Checker)) {
	t.Helper()
	cases := f.Cases(prefix)
	if len(cases) == 0 {
		t.Fatalf("testref: %s: no case starts with %q", f.Path, prefix)
	}
	chk := NewChecker(t, group)
	for _, name := range cases {
		t.Run(name, func(t *testing.T) { test(t, f.Case(t, name), chk) })
	}
}

// Case is one case of a reference file.
type Case struct {
	// Name is the case's name, such as "case012".
	Name string
	file *File
	t    testing.TB
}

// Params decodes the case's JSON parameters into v.
func (c *Case) Params(v any) {
	c.t.Helper()
	if err := json.Unmarshal([]byte(c.file.f.Metadata[c.Name]), v); err != nil {
		c.t.Fatalf("testref: %s: parameters of case %s: %v", c.file.Path, c.Name, err)
	}
}

// Has reports whether the case has a tensor of the given name.
func (c *Case) Has(name string) bool {
	_, ok := c.file.f.Info(c.Name + "/" + name)
	return ok
}

// Tensor returns a new tensor holding the case's tensor of the given name,
// such as "dx". Each call returns a fresh copy, so tests may modify it.
func (c *Case) Tensor(name string) *tensor.Tensor {
	c.t.Helper()
	data, shape, err := c.file.f.Float32(c.Name + "/" + name)
	if err != nil {
		c.t.Fatalf("testref: %v", err)
	}
	return tensor.FromSlice(data, shape...)
}

// Ints returns the case's tensor of the given name, which holds integral
// values such as labels or indices, as ints.
func (c *Case) Ints(name string) []int {
	c.t.Helper()
	data := c.Tensor(name).Data()
	out := make([]int, len(data))
	for i, v := range data {
		if v != float32(math.Trunc(float64(v))) {
			c.t.Fatalf("testref: %s: %s/%s[%d] = %g is not an integer", c.file.Path, c.Name, name, i, v)
		}
		out[i] = int(v)
	}
	return out
}

// Checker compares results with reference tensors and remembers the worst
// relative error of every quantity, which it logs when the test that made
// it ends.
type Checker struct {
	// RTol and ATol are the tolerances: each element must satisfy
	// |got − want| ≤ RTol·max|want| + ATol.
	RTol, ATol float64

	group string
	mu    sync.Mutex
	worst map[string]worst
	order []string
}

type worst struct {
	rel  float64
	diff float64
	at   string
}

// NewChecker returns a Checker with the default tolerances for the named
// group of tests. It logs its summary through t when t's test ends.
func NewChecker(t testing.TB, group string) *Checker {
	c := &Checker{RTol: RTol, ATol: ATol, group: group, worst: map[string]worst{}}
	t.Cleanup(func() {
		if len(c.order) == 0 {
			return
		}
		var b strings.Builder
		fmt.Fprintf(&b, "%s: worst relative error max|got−want|/max|want| (tolerance %.0e·max|want| + %.0e):", group, c.RTol, c.ATol)
		for _, q := range c.order {
			w := c.worst[q]
			fmt.Fprintf(&b, "\n\t%-14s %.3g (abs %.3g) at %s", q, w.rel, w.diff, w.at)
		}
		t.Logf("%s", b.String())
	})
	return c
}

// Check compares got with want for the quantity what (such as "dx") of
// case caseName, fails t with the worst element if they differ by more than
// the tolerance, and returns the relative error.
func (c *Checker) Check(t testing.TB, caseName, what string, got, want *tensor.Tensor) float64 {
	t.Helper()
	if got == nil {
		t.Errorf("%s %s %s: got nil, want shape %v", c.group, caseName, what, want.Shape())
		return math.Inf(1)
	}
	if !tensor.SameShape(got.Shape(), want.Shape()) {
		t.Errorf("%s %s %s: got shape %v, want %v", c.group, caseName, what, got.Shape(), want.Shape())
		return math.Inf(1)
	}
	g, w := got.Data(), want.Data()
	scale := 0.0
	for _, v := range w {
		scale = math.Max(scale, math.Abs(float64(v)))
	}
	diff, at := 0.0, -1
	for i := range w {
		d := math.Abs(float64(g[i]) - float64(w[i]))
		if math.IsNaN(d) {
			d = math.Inf(1)
		}
		if d > diff || at < 0 {
			diff, at = d, i
		}
	}
	rel := diff
	if scale > 0 {
		rel = diff / scale
	}
	c.mu.Lock()
	if _, ok := c.worst[what]; !ok {
		c.order = append(c.order, what)
	}
	if old, ok := c.worst[what]; !ok || rel > old.rel {
		c.worst[what] = worst{rel: rel, diff: diff, at: caseName}
	}
	c.mu.Unlock()
	if !(diff <= c.RTol*scale+c.ATol) {
		t.Errorf("%s %s %s: shape %v: worst element %v: got %.7g, want %.7g: |diff| %.3g > %.0e·max|want| + %.0e = %.3g (relative error %.3g)",
			c.group, caseName, what, want.Shape(), unravel(at, want.Shape()), g[at], w[at], diff,
			c.RTol, c.ATol, c.RTol*scale+c.ATol, rel)
	}
	return rel
}

// unravel turns a flat row-major index into coordinates.
func unravel(i int, shape []int) []int {
	idx := make([]int, len(shape))
	for d := len(shape) - 1; d >= 0; d-- {
		if shape[d] > 0 {
			idx[d] = i % shape[d]
			i /= shape[d]
		}
	}
	return idx
}

// OutputMetadata returns the checkpoint metadata with which the --check
// mode of testdata/gen's scripts compares a network's output after loading
// the checkpoint in PyTorch: y's values as a JSON array, each in float32's
// shortest form ("eval_output"), its shape ("eval_output_shape") and the
// reference input it was computed from ("input", such as
// "testdata/nn_ref.safetensors: model/x").
func OutputMetadata(y *tensor.Tensor, input string) map[string]string {
	vals := make([]string, y.Len())
	for i, v := range y.Data() {
		vals[i] = strconv.FormatFloat(float64(v), 'g', -1, 32)
	}
	shape, err := json.Marshal(y.Shape())
	if err != nil {
		panic(err) // a []int always marshals
	}
	return map[string]string{
		"eval_output":       "[" + strings.Join(vals, ",") + "]",
		"eval_output_shape": string(shape),
		"input":             input,
	}
}
