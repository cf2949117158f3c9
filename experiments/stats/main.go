// Command stats compares accuracies of experiment runs: it reads lines
// "group value" (value a fraction or a percentage, as written), and prints
// a markdown table of each group's n, mean ± sample standard deviation
// and values, and the two-sided p-value of Welch's t-test of the
// reference group against each other group.
//
//	go run ./experiments/stats -ref searched results.txt
//
// Welch's test: t = (m₁ − m₂)/√(s₁²/n₁ + s₂²/n₂) with the
// Welch–Satterthwaite degrees of freedom
// ν = (s₁²/n₁ + s₂²/n₂)² / ((s₁²/n₁)²/(n₁−1) + (s₂²/n₂)²/(n₂−1)), and
// p = 2·(1 − F_ν(|t|)), F_ν the CDF of Student's t (gonum's stat and
// distuv). Two groups without variance give p = 1 if their means agree
// and 0 otherwise.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

func main() {
	ref := flag.String("ref", "", "reference `group` that the p-values compare with (default: the first group)")
	scale := flag.Float64("scale", 100, "multiply values by this in the table (100: fractions as percentages)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "Usage: stats [-ref group] [file]\n\nReads lines \"group value\" (stdin without a file).\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	in := io.Reader(os.Stdin)
	name := "stdin"
	if flag.NArg() > 0 {
		f, err := os.Open(flag.Arg(0))
		if err != nil {
			fmt.Fprintln(os.Stderr, "stats:", err)
			os.Exit(1)
		}
		defer f.Close()
		in, name = f, flag.Arg(0)
	}
	groups, order, err := read(in, name)
	if err != nil {
		fmt.Fprintln(os.Stderr, "stats:", err)
		os.Exit(1)
	}
	if err := table(os.Stdout, groups, order, *ref, *scale); err != nil {
		fmt.Fprintln(os.Stderr, "stats:", err)
		os.Exit(1)
	}
}

// read parses lines "group value"; blank lines and lines starting with #
// are skipped. Errors name the file and line.
func read(r io.Reader, name string) (map[string][]float64, []string, error) {
	groups := map[string][]float64{}
	var order []string
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		f := strings.Fields(text)
		if len(f) != 2 {
			return nil, nil, fmt.Errorf("%s:%d: %q: want \"group value\"", name, line, text)
		}
		v, err := strconv.ParseFloat(f[1], 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, nil, fmt.Errorf("%s:%d: value %q: want a finite number", name, line, f[1])
		}
		if _, ok := groups[f[0]]; !ok {
			order = append(order, f[0])
		}
		groups[f[0]] = append(groups[f[0]], v)
	}
	return groups, order, sc.Err()
}

// Welch returns Welch's t statistic, its degrees of freedom and the
// two-sided p-value for samples a and b (each of two or more values).
func Welch(a, b []float64) (t, df, p float64) {
	ma, va := stat.MeanVariance(a, nil)
	mb, vb := stat.MeanVariance(b, nil)
	qa, qb := va/float64(len(a)), vb/float64(len(b))
	if qa+qb == 0 {
		if ma == mb {
			return 0, math.NaN(), 1
		}
		return math.Copysign(math.Inf(1), ma-mb), math.NaN(), 0
	}
	t = (ma - mb) / math.Sqrt(qa+qb)
	df = (qa + qb) * (qa + qb) / (qa*qa/float64(len(a)-1) + qb*qb/float64(len(b)-1))
	p = 2 * (1 - distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.CDF(math.Abs(t)))
	return t, df, p
}

func table(w io.Writer, groups map[string][]float64, order []string, ref string, scale float64) error {
	if len(order) == 0 {
		return fmt.Errorf("no values")
	}
	if ref == "" {
		ref = order[0]
	}
	r, ok := groups[ref]
	if !ok {
		return fmt.Errorf("-ref %s: no such group; have %s", ref, strings.Join(order, ", "))
	}
	fmt.Fprintf(w, "| group | n | mean ± sd | values | p (Welch, vs %s) |\n|---|---|---|---|---|\n", ref)
	for _, g := range order {
		v := groups[g]
		m, sd := stat.MeanStdDev(v, nil)
		if len(v) < 2 {
			sd = math.NaN()
		}
		vals := make([]string, len(v))
		for i, x := range v {
			vals[i] = strconv.FormatFloat(scale*x, 'f', 2, 64)
		}
		p := "–"
		if g != ref && len(v) >= 2 && len(r) >= 2 {
			_, _, pv := Welch(r, v)
			p = strconv.FormatFloat(pv, 'g', 3, 64)
		}
		fmt.Fprintf(w, "| %s | %d | %.2f ± %.2f | %s | %s |\n", g, len(v), scale*m, scale*sd, strings.Join(vals, ", "), p)
	}
	return nil
}
