package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/autonl-go/autonl/nas"
	"github.com/autonl-go/autonl/safetensors"
	"github.com/autonl-go/autonl/train"
)

// probe is a command line that must fail with one line naming what is
// wrong, with the exit status code, allocating next to nothing.
type probe struct {
	class string   // what the probe exercises, for messages
	args  []string // the command and its flags
	code  int      // exit status
	want  []string // parts of the message
}

// writeFile writes text to name in dir and returns its path.
func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
	return p
}

// rewriteMetadata copies the safetensors file src to dst with its
// metadata JSON value under key changed by edit.
func rewriteMetadata(t *testing.T, src, dst, key string, edit func(map[string]any)) string {
	t.Helper()
	f, err := safetensors.ReadFile(src)
	require.NoError(t, err)
	tensors, err := f.Tensors()
	require.NoError(t, err)
	var v map[string]any
	require.NoError(t, json.Unmarshal([]byte(f.Metadata[key]), &v))
	edit(v)
	b, err := json.Marshal(v)
	require.NoError(t, err)
	meta := map[string]string{}
	for k, s := range f.Metadata {
		meta[k] = s
	}
	meta[key] = string(b)
	require.NoError(t, safetensors.WriteFile(dst, tensors, meta))
	return dst
}

// spaceJSON returns the small preset's space as JSON with edit applied.
func spaceJSON(t *testing.T, edit func(map[string]any)) string {
	t.Helper()
	p, err := nas.LookupPreset("small")
	require.NoError(t, err)
	var v map[string]any
	require.NoError(t, json.Unmarshal(p.Space.JSON(), &v))
	edit(v)
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// TestLimitProbes runs every probe of issue 22 (sizes from flags, arch
// files, search spaces and checkpoint metadata; infinite values; targets)
// with a Go memory limit of 256 MiB: each must give its one-line error
// and exit status while allocating less than 64 MiB.
func TestLimitProbes(t *testing.T) {
	dir := t.TempDir()
	run := filepath.Join(dir, "run")
	var stdout, stderr bytes.Buffer
	require.NoError(t, runTrain(t.Context(), []string{"-train-size", "64", "-test-size", "32", "-batch", "32", "-epochs", "1", "-out", run}, &stdout, &stderr))
	ck := filepath.Join(run, train.CheckpointFile)
	net := filepath.Join(dir, "net.safetensors")
	require.NoError(t, runExport([]string{"-checkpoint", ck, "-format", "safetensors", "-o", net}, &stdout, &stderr))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "resume"), 0o755))
	opts := func(name string, edit func(map[string]any)) string {
		return rewriteMetadata(t, ck, filepath.Join(dir, name), metaOptions, edit)
	}
	spec := func(name string, edit func(map[string]any)) string {
		return rewriteMetadata(t, net, filepath.Join(dir, name), "autonl.net", edit)
	}
	space := func(name string, edit func(map[string]any)) string {
		return writeFile(t, dir, name, spaceJSON(t, edit))
	}
	stage := func(i int, key string, v any) func(map[string]any) {
		return func(s map[string]any) { s["stages"].([]any)[i].(map[string]any)[key] = v }
	}
	set := func(key string, v any) func(map[string]any) { return func(m map[string]any) { m[key] = v } }
	out := filepath.Join(dir, "out")
	longLine := "r1_k3_s11_e1_i16_o16_" + strings.Repeat("x", 500_000)

	probes := []probe{
		// Sizes in arch files.
		{"arch", []string{"profile", "-arch", writeFile(t, dir, "wide.arch", "r1_k3_s11_e1_i16_o999999999\n")}, 2, []string{`token "o999999999": output width must be at most 16384`}},
		{"arch", []string{"profile", "-arch", writeFile(t, dir, "rep.arch", "r999_k9_s11_e9_i1000_o1000\n")}, 2, []string{`token "r999": repeats must be at most 64`}},
		{"arch", []string{"profile", "-arch", writeFile(t, dir, "exp.arch", "r1_k3_s11_e100000_i16_o16\n")}, 2, []string{`token "e100000": expansion ratio must be at most 64`}},
		{"arch", []string{"profile", "-arch", writeFile(t, dir, "hidden.arch", "r1_k3_s11_e9_i9000_o16\n")}, 2, []string{"hidden width 81000", "at most 16384"}},
		{"arch", []string{"profile", "-arch", writeFile(t, dir, "layers.arch", strings.Repeat("r64_k3_s11_e1_i16_o16\n", 17))}, 2, []string{"more than 1024 layers"}},
		{"arch", []string{"profile", "-arch", writeFile(t, dir, "long.arch", longLine)}, 2, []string{`"r1_k3_s11_e1_i16_o16_xxx`, "… (500021 bytes)", "unknown token"}},
		{"arch", []string{"profile", "-arch", writeFile(t, dir, "huge.arch", strings.Repeat(longLine+"\n", 3))}, 2, []string{"huge.arch is 1.4 MiB, more than the 1.0 MiB"}},
		{"arch", []string{"train", "-arch", filepath.Join(dir, "wide.arch"), "-out", out}, 2, []string{`token "o999999999": output width must be at most 16384`}},
		{"arch memory", []string{"profile", "-arch", writeFile(t, dir, "big.arch", "r64_k9_s11_e9_i1000_o1000\n")}, 1, []string{"-arch " + filepath.Join(dir, "big.arch"), "1.20G parameters", "needs about", "GOMEMLIMIT"}},

		// Sizes in flags.
		{"flags", []string{"train", "-size", "1000000", "-out", out}, 2, []string{"-size 1000000: want at most 4096"}},
		{"flags", []string{"train", "-width", "1e6", "-out", out}, 2, []string{"-width 1e+06: want at most 16"}},
		{"flags", []string{"train", "-workers", "100000000", "-out", out}, 2, []string{"-workers 100000000: want at most 1024"}},
		{"flags", []string{"train", "-batch", "100000000", "-out", out}, 2, []string{"-batch 100000000: want at most 65536"}},
		{"flags", []string{"train", "-epochs", "1000000000", "-out", out}, 2, []string{"-epochs 1000000000: want at most 100000"}},
		{"flags", []string{"train", "-train-size", "1000000000", "-out", out}, 2, []string{"-train-size 1000000000: want at most"}},
		{"flags", []string{"profile", "-model", "autonl-s", "-width", "1e6"}, 2, []string{"-width 1e+06: want at most 16"}},
		{"flags", []string{"profile", "-model", "autonl-s", "-classes", "2000000000"}, 2, []string{"-classes 2000000000: want at most 131072"}},
		{"flags", []string{"profile", "-model", "autonl-s", "-input", "100000"}, 2, []string{"-input 100000: want at most 4096"}},
		{"flags", []string{"eval", "-checkpoint", ck, "-n", "1000000000"}, 2, []string{"-n 1000000000: want at most"}},
		{"flags", []string{"export", "-model", "autonl-s", "-classes", "2000000000", "-o", filepath.Join(dir, "m.onnx")}, 2, []string{"-classes 2000000000: want at most 131072"}},
		{"flags", []string{"search", "-random", "100000000", "-out", out}, 2, []string{"-random 100000000: want at most"}},
		{"flags memory", []string{"train", "-size", "4096", "-out", out}, 1, []string{"default LightNL network", "batches of 64 3×4096×4096 images", "needs about", "GOMEMLIMIT"}},
		{"flags memory", []string{"profile", "-model", "autonl-s", "-input", "4096"}, 1, []string{"-model autonl-s", "needs about", "GOMEMLIMIT"}},

		// Sizes in search spaces.
		{"space", []string{"search", "-space", space("kern.json", set("kernels", []int{3, 999999})), "-out", out}, 2, []string{"kernels: [3 999999], want at most kernel size 31"}},
		{"space", []string{"search", "-space", space("rep.json", stage(1, "repeats", 1_000_000_000)), "-out", out}, 2, []string{"stages[1].repeats: 1000000000, want at most 64"}},
		{"space", []string{"search", "-space", space("width.json", stage(1, "width", 2_000_000_000)), "-out", out}, 2, []string{"stages[1].width: 2000000000, want at most 16384"}},
		{"space", []string{"search", "-space", space("wm.json", set("width_multiplier", 1e12)), "-out", out}, 2, []string{"width_multiplier: 1e+12, want at most 16"}},
		{"space", []string{"search", "-space", space("exp.json", set("expansions", []float64{3, 1e12})), "-out", out}, 2, []string{"expansions: [3 1e+12], want at most expansion 64"}},
		{"space", []string{"search", "-space", space("insize.json", set("input_size", 2_000_000_000)), "-out", out}, 2, []string{"input_size: 2000000000, want at most 4096"}},
		{"space", []string{"search", "-space", space("classes.json", set("classes", 2_000_000_000)), "-out", out}, 2, []string{"classes: 2000000000, want at most 131072"}},
		{"space", []string{"search", "-space", space("stages.json", func(s map[string]any) {
			st := make([]any, 2000)
			for i := range st {
				st[i] = map[string]any{"width": 16, "repeats": 1, "stride": 1}
			}
			s["stages"] = st
		}), "-out", out}, 2, []string{"stages (count): 2000, want at most 1024"}},
		{"space memory", []string{"search", "-space", space("big.json", func(s map[string]any) {
			s["stages"] = []any{map[string]any{"width": 2048, "repeats": 64, "stride": 1}, map[string]any{"width": 2048, "repeats": 64, "stride": 1}}
		}), "-target", "1000G", "-out", out}, 1, []string{"big.json", "needs about", "GOMEMLIMIT"}},

		// Sizes in checkpoint metadata and network files.
		{"metadata", []string{"eval", "-checkpoint", opts("width.ck", set("width", 1e6))}, 1, []string{"metadata autonl.train: -width 1e+06: want at most 16"}},
		{"metadata", []string{"export", "-checkpoint", filepath.Join(dir, "width.ck"), "-o", filepath.Join(dir, "m.onnx")}, 1, []string{"metadata autonl.train: -width 1e+06: want at most 16"}},
		{"metadata", []string{"eval", "-checkpoint", opts("arch.ck", set("arch", "r1_k3_s11_e1_i16_o999999999\n"))}, 1, []string{"metadata autonl.train: arch:", "output width must be at most 16384"}},
		{"metadata", []string{"export", "-checkpoint", filepath.Join(dir, "arch.ck"), "-o", filepath.Join(dir, "m.onnx")}, 1, []string{"metadata autonl.train: arch:", "output width must be at most 16384"}},
		{"metadata", []string{"eval", "-checkpoint", opts("classes.ck", set("classes", make([]string, 200_000)))}, 1, []string{"classes: 200000 names, want 1 to 131072"}},
		{"metadata", []string{"train", "-resume", "-out", filepath.Dir(opts(filepath.Join("resume", train.CheckpointFile), set("workers", 100_000_000)))}, 1, []string{"metadata autonl.train: -workers 100000000: want at most 1024"}},
		{"network file", []string{"export", "-checkpoint", spec("wide.net", set("arch", "r1_k3_s11_e1_i16_o999999999\n")), "-o", filepath.Join(dir, "m.onnx")}, 1, []string{"wide.net", "spec arch", "output width must be at most 16384"}},
		{"network file", []string{"export", "-checkpoint", spec("classes.net", set("classes", 2_000_000_000)), "-o", filepath.Join(dir, "m.onnx")}, 1, []string{"classes.net", "spec classes is 2000000000, want 1 to 131072"}},
		{"network file memory", []string{"export", "-checkpoint", spec("big.net", set("arch", "r1_k3_s11_e1_i16_o16384\n"+strings.Repeat("r1_k9_s11_e1_i16384_o16384\n", 8))), "-o", filepath.Join(dir, "m.onnx")}, 1, []string{"big.net", "needs about", "GOMEMLIMIT"}},

		// Targets.
		{"target", []string{"search", "-target", "1e30", "-out", out}, 2, []string{"-target", "1e+30 multiply-adds: want 1 to 1e+13"}},
		{"target", []string{"search", "-target", "9.3e18", "-out", out}, 2, []string{"-target", "want 1 to 1e+13"}},
		{"target", []string{"search", "-target", "1e30M", "-out", out}, 2, []string{"-target", "want 1 to 1e+13"}},
		{"target", []string{"search", "-target", "0.4", "-out", out}, 2, []string{"-target", "0.4 multiply-adds: want 1 to"}},
		{"target", []string{"search", "-target", "1G", "-out", out}, 2, []string{"-target 1.00G: the networks of the search space cost"}},
		{"target", []string{"search", "-target", "1k", "-out", out}, 2, []string{"-target 1.0k: the networks of the search space cost"}},
		{"infinity", []string{"export", "-model", "autonl-s", "-width", "inf", "-o", filepath.Join(dir, "m.onnx")}, 2, []string{"-width +Inf: want a finite number"}},
		{"infinity", []string{"profile", "-model", "autonl-s", "-width", "inf"}, 2, []string{"-width +Inf: want a finite number"}},
	}
	// Every float flag of train and search refuses infinities.
	for _, c := range []struct {
		cmd string
		fs  *flag.FlagSet
	}{{"train", ptr(defaultTrainOptions()).flags()}, {"search", ptr(defaultSearchOptions()).flags()}} {
		c.fs.VisitAll(func(f *flag.Flag) {
			_, auto := f.Value.(autoFlag)
			isFloat := false
			if g, ok := f.Value.(flag.Getter); ok {
				_, isFloat = g.Get().(float64)
			}
			if auto || isFloat {
				for _, v := range []string{"inf", "-Inf", "NaN"} {
					probes = append(probes, probe{"infinity", []string{c.cmd, "-" + f.Name, v, "-out", out}, 2, []string{"-" + f.Name + " ", "want a finite number"}})
				}
			}
		})
	}

	defer debug.SetMemoryLimit(debug.SetMemoryLimit(256 << 20))
	for _, p := range probes {
		var stderr bytes.Buffer
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		code := dispatch(p.args, &stderr)
		runtime.ReadMemStats(&after)
		msg := stderr.String()
		assert.Equal(t, p.code, code, "%s: %v: %s", p.class, p.args, msg)
		assert.Equal(t, 1, strings.Count(msg, "\n"), "%s: %v: one line: %s", p.class, p.args, msg)
		assert.Less(t, len(msg), 400, "%s: %v: a short line", p.class, p.args)
		for _, w := range p.want {
			assert.Contains(t, msg, w, "%s: %v", p.class, p.args)
		}
		assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(64<<20), "%s: %v: allocated", p.class, p.args)
	}
	_, err := os.Stat(out)
	assert.ErrorIs(t, err, os.ErrNotExist, "no probe made -out")
}

// The probes that used to end in a fatal out-of-memory give their one-line
// error from the program itself under ulimit -v.
func TestLimitProbesUlimit(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("ulimit -v is checked on Linux")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "autonl")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run())
	big := writeFile(t, dir, "big.arch", "r64_k9_s11_e9_i1000_o1000\n")
	for _, p := range []probe{
		{"arch memory", []string{"profile", "-arch", big}, 1, []string{"1.20G parameters", "needs about", "ulimit -v"}},
		{"flags memory", []string{"profile", "-model", "autonl-s", "-input", "4096"}, 1, []string{"needs about", "ulimit -v"}},
		{"flags memory", []string{"train", "-size", "4096", "-out", filepath.Join(dir, "out")}, 1, []string{"needs about", "ulimit -v"}},
		{"arch", []string{"profile", "-arch", writeFile(t, dir, "wide.arch", "r1_k3_s11_e1_i16_o999999999\n")}, 2, []string{"output width must be at most 16384"}},
	} {
		cmd := exec.Command("sh", append([]string{"-c", `ulimit -v 3000000 && exec "$0" "$@"`, bin}, p.args...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		msg := stderr.String()
		assert.Equal(t, p.code, code, "%v: %s", p.args, msg)
		assert.Equal(t, 1, strings.Count(msg, "\n"), "%v: one line: %s", p.args, msg)
		for _, w := range p.want {
			assert.Contains(t, msg, w, "%v", p.args)
		}
	}
}

// The same bad arch file is the same usage error (exit 2) in every command
// that reads one.
func TestArchErrorExitCode(t *testing.T) {
	dir := t.TempDir()
	bad := writeFile(t, dir, "bad.arch", "r1_k4_s11_e1_i16_o16\n")
	for _, args := range [][]string{
		{"profile", "-arch", bad},
		{"train", "-arch", bad, "-out", filepath.Join(dir, "out")},
	} {
		var stderr bytes.Buffer
		assert.Equal(t, 2, dispatch(args, &stderr), "%v", args)
		assert.Contains(t, stderr.String(), "-arch "+bad+`: models: block 1 (line 1) "r1_k4_s11_e1_i16_o16": token "k4": kernel size must be odd`)
	}
}

// A run cleans the temporary files that a killed save left in its -out,
// and a run that fails at its first step leaves no arch.txt nor the -out
// it made.
func TestRunCleansUp(t *testing.T) {
	dir := t.TempDir()
	stale := writeFile(t, dir, "."+train.CheckpointFile+".tmp123456", "partial")
	old := time.Now().Add(-time.Hour)
	require.NoError(t, os.Chtimes(stale, old, old))
	fresh := writeFile(t, dir, "."+train.CheckpointFile+".tmp654321", "being written")
	var stdout, stderr bytes.Buffer
	require.NoError(t, runTrain(t.Context(), []string{"-train-size", "32", "-test-size", "16", "-batch", "32", "-epochs", "1", "-out", dir}, &stdout, &stderr))
	assert.NoFileExists(t, stale)
	assert.FileExists(t, fresh, "a recent temporary file may belong to a save in progress")
	assert.Contains(t, stderr.String(), "left by an interrupted save")

	out := filepath.Join(t.TempDir(), "nan")
	err := runTrain(t.Context(), []string{"-nl-gamma", "1e38", "-train-size", "32", "-test-size", "16", "-batch", "32", "-epochs", "1", "-out", out}, &stdout, &stderr)
	require.ErrorContains(t, err, "step 1")
	assert.NoDirExists(t, out)
}

// FuzzTrainMetadata feeds arbitrary JSON as the autonl.train metadata of a
// checkpoint (what eval, export and train -resume rebuild a run from):
// checkSaved refuses it with one line or accepts options within every
// limit, never panics.
func FuzzTrainMetadata(f *testing.F) {
	o := defaultTrainOptions()
	o.Input, o.Classes = [3]int{3, 64, 64}, []string{"a", "b"}
	b, err := json.Marshal(o)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(b))
	f.Add(strings.Replace(string(b), `"width":1`, `"width":1e6`, 1))
	f.Add(strings.Replace(string(b), `"arch":""`, `"arch":"r1_k3_s11_e1_i16_o999999999"`, 1))
	f.Add(strings.Replace(string(b), `"input":[3,64,64]`, `"input":[3,2000000000,64]`, 1))
	f.Fuzz(func(t *testing.T, text string) {
		o := defaultTrainOptions()
		if err := json.Unmarshal([]byte(text), &o); err != nil {
			return
		}
		if err := o.checkSaved(); err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error of more than one line: %q", err)
			}
			return
		}
		if o.Width > 16 || o.Batch > maxBatch || o.Input[1] > 4096 || len(o.Classes) > 1<<17 || o.Workers > maxWorkers {
			t.Fatalf("accepted options beyond the limits: %+v", o)
		}
	})
}
