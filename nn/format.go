package nn

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
)

// Describer is implemented by modules that describe themselves in printed
// trees as PyTorch modules do with their class name and extra_repr. Every
// layer of this package implements it; a module that does not is printed
// under its Go type name with nothing between the parentheses.
type Describer interface {
	// Describe returns the name PyTorch prints for the module, such as
	// "Conv2d", and the text between its parentheses, such as
	// "3, 32, kernel_size=(3, 3), stride=(2, 2)", or "" for none.
	Describe() (name, extra string)
}

// Repr returns m printed exactly as PyTorch's repr prints the equivalent
// torch.nn module tree: each module as Name(extra), and a module with
// submodules as
//
//	Name(
//	  (child): ChildRepr
//	  ...
//	)
//
// with nested lines indented by two spaces per level, for example
//
//	Sequential(
//	  (0): Conv2d(3, 16, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), bias=False)
//	  (1): BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)
//	  (2): ReLU6()
//	)
func Repr(m Module) string { return format(m, false, true) }

// Format returns m printed as Repr prints it, with the number of
// parameters of every module that has any appended to its last line as
// "  # 1,234 params", and the total appended to the root's last line as
// "  # 1,234 params total". Containers such as Sequential print themselves
// with Format.
func Format(m Module) string { return format(m, true, true) }

// format renders m, with parameter counts if counts is set; root marks the
// top of the tree.
func format(m Module, counts, root bool) string {
	name, extra := describe(m)
	var lines []string
	if extra != "" {
		lines = strings.Split(extra, "\n")
	}
	nExtra := len(lines)
	children := m.Registry().Children()
	for _, c := range children {
		s := format(c.Module, counts, false)
		lines = append(lines, "("+c.Name+"): "+strings.ReplaceAll(s, "\n", "\n  "))
	}
	var b strings.Builder
	b.WriteString(name + "(")
	if len(lines) > 0 {
		if nExtra == 1 && len(children) == 0 {
			b.WriteString(lines[0])
		} else {
			b.WriteString("\n  " + strings.Join(lines, "\n  ") + "\n")
		}
	}
	b.WriteString(")")
	if counts {
		if n := NumParams(m); n > 0 || root {
			b.WriteString("  # " + thousands(n) + " params")
			if root {
				b.WriteString(" total")
			}
		}
	}
	return b.String()
}

// describe returns m's printed name and extra text.
func describe(m Module) (name, extra string) {
	if d, ok := m.(Describer); ok {
		return d.Describe()
	}
	t := reflect.TypeOf(m)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name(), ""
}

// leafString formats a module without submodules as Name(extra).
func leafString(d Describer) string {
	name, extra := d.Describe()
	return name + "(" + extra + ")"
}

// thousands formats n with commas between groups of three digits.
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// pyFloat formats v as Python's repr of a float: the shortest digits that
// round-trip, in positional notation with at least one fractional digit
// ("0.1", "1.0", "123456.0") for decimal exponents from −4 to 15, and in
// scientific notation with a two-digit exponent otherwise ("1e-05",
// "1.5e+20").
func pyFloat(v float64) string {
	switch {
	case math.IsNaN(v):
		return "nan"
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	}
	e := strconv.FormatFloat(v, 'e', -1, 64)
	exp, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
	if v != 0 && (exp < -4 || exp >= 16) {
		return e
	}
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.ContainsAny(s, ".") {
		s += ".0"
	}
	return s
}

// pyBool formats b as Python does.
func pyBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

// pair formats an [H, W] pair as a Python tuple, "(3, 3)".
func pair(p [2]int) string { return fmt.Sprintf("(%d, %d)", p[0], p[1]) }

// TypeName returns the name under which m prints, such as "Conv2d": its
// Describe name, or its Go type name if it does not implement Describer.
func TypeName(m Module) string {
	name, _ := describe(m)
	return name
}
