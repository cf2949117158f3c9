package nn

import (
	"fmt"
	"strconv"

	"github.com/autonl-go/autonl/autograd"
)

// Sequential chains modules, PyTorch's torch.nn.Sequential: Forward feeds
// x through each module in order. Its children are named "0", "1", …, so
// their parameters are "0.weight", "1.running_mean" and so on, as in
// PyTorch.
type Sequential struct {
	Base
}

// NewSequential returns a Sequential of the given modules. It panics if a
// module is nil.
func NewSequential(ms ...Module) *Sequential {
	s := &Sequential{}
	for _, m := range ms {
		s.Append(m)
	}
	return s
}

// Append adds m as the last module, named by its index. It panics if m is
// nil.
func (s *Sequential) Append(m Module) {
	if m == nil {
		panic(fmt.Sprintf("nn: Sequential: module %d is nil", s.Len()))
	}
	s.AddChild(strconv.Itoa(s.Len()), m)
}

// Len returns the number of modules.
func (s *Sequential) Len() int { return len(s.Children()) }

// At returns the i-th module. It panics if i is out of range.
func (s *Sequential) At(i int) Module {
	if i < 0 || i >= s.Len() {
		panic(fmt.Sprintf("nn: Sequential: index %d out of range [0, %d)", i, s.Len()))
	}
	return s.Children()[i].Module
}

// Forward returns the output of the last module, or x if there is none.
func (s *Sequential) Forward(x *autograd.Var) *autograd.Var {
	for _, c := range s.Children() {
		x = c.Module.Forward(x)
	}
	return x
}

// Describe returns "Sequential" and "".
func (*Sequential) Describe() (name, extra string) { return "Sequential", "" }

// String returns Format(s): the tree as PyTorch prints it, with parameter
// counts.
func (s *Sequential) String() string { return Format(s) }
