package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestProfileTotals checks the totals autonl profile prints for the zoo at
// 224×224 with 1000 classes: the published figures (MACs within 0.5%,
// parameters to the published rounding) as exact integers.
func TestProfileTotals(t *testing.T) {
	for _, tc := range []struct {
		model  string
		macs   string
		params string
	}{
		{"mobilenetv2", "MACs:   300836992 (300.8M)", "params: 3504872 (3.50M)"},
		{"mnasnet-a1", "MACs:   312239200 (312.2M)", "params: 3887038 (3.89M)"},
		{"single-path-nas", "MACs:   333529792 (333.5M)", "params: 4421616 (4.42M)"},
		{"autonl-s", "MACs:   266878784 (266.9M)", "params: 4389350 (4.39M)"},
		{"autonl-l", "MACs:   352829728 (352.8M)", "params: 5580336 (5.58M)"},
	} {
		var out bytes.Buffer
		require.NoError(t, runProfile([]string{"-model", tc.model}, &out, &out))
		require.Contains(t, out.String(), tc.macs, tc.model)
		require.Contains(t, out.String(), tc.params, tc.model)
		require.Contains(t, out.String(), "features.0.0 ", tc.model)
	}
}

func TestProfileArchFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "net.arch")
	require.NoError(t, os.WriteFile(path, []byte("# two layers\nr1_k3_s11_e1_i16_o16\nr1_k3_s22_e4_i16_o24_nonlocal0.25\n"), 0o644))
	var out bytes.Buffer
	require.NoError(t, runProfile([]string{"-arch", path, "-input", "32", "-classes", "10"}, &out, &out))
	require.Contains(t, out.String(), "features.2.conv.4 ")
	require.Contains(t, out.String(), "LightNL")

	bad := filepath.Join(t.TempDir(), "bad.arch")
	require.NoError(t, os.WriteFile(bad, []byte("r1_k4_s11_e1_i16_o16\n"), 0o644))
	requireUsageError(t, runProfile([]string{"-arch", bad}, &out, &out), `token "k4": kernel size must be odd`)
}

func TestProfileFlagErrors(t *testing.T) {
	var out bytes.Buffer
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "give exactly one of -model and -arch"},
		{[]string{"-model", "resnet"}, `-model resnet: models: unknown model "resnet"`},
		{[]string{"-model", "autonl-s", "-input", "0"}, "-input 0"},
		{[]string{"-model", "autonl-s", "-classes", "-3"}, "-classes -3"},
		{[]string{"-arch", filepath.Join(t.TempDir(), "missing")}, "missing: no such file"},
		{[]string{"-model", "autonl-s", "extra"}, `unexpected argument "extra"`},
	} {
		requireUsageError(t, runProfile(tc.args, &out, &out), tc.want)
	}
}
