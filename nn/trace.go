package nn

import (
	"sync"
	"sync/atomic"

	"github.com/autonl-go/autonl/autograd"
)

// A Tracer observes the forward passes of layers: it is called with the
// layer, its input and its output each time a traced layer's Forward
// returns. Every layer of this package is traced; modules in other
// packages opt in by ending their Forward with Traced.
type Tracer func(m Module, in, out *autograd.Var)

// MACCounter is implemented by modules whose forward pass costs
// multiply-adds under the counting rules of the mobile-network literature
// (package models' profiler sums them). ForwardMACs returns the
// multiply-adds of one forward pass from input shape in to output shape
// out, including the batch dimension, and not counting work done by the
// module's children, which count themselves.
type MACCounter interface {
	ForwardMACs(in, out []int) int64
}

var (
	traceMu sync.Mutex
	tracer  atomic.Pointer[Tracer]
)

// Trace runs f with t observing every traced layer's forward pass, and
// returns when f does. Calls to Trace are serialized; forward passes in
// other goroutines during f are observed too.
func Trace(t Tracer, f func()) {
	traceMu.Lock()
	defer traceMu.Unlock()
	tracer.Store(&t)
	defer tracer.Store(nil)
	f()
}

// Traced reports the forward pass of m from in to out to the active
// Tracer, if any, and returns out. A nil out, as from a Forward that is
// panicking, is not reported. Modules end their Forward with it to be
// seen by profilers:
//
//	return nn.Traced(b, x, y)
func Traced(m Module, in, out *autograd.Var) *autograd.Var {
	if t := tracer.Load(); t != nil && out != nil {
		(*t)(m, in, out)
	}
	return out
}

// Tracing reports whether a Tracer is active. Modules that fuse layers
// for inference run them one by one while it is, so that the tracer sees
// each layer's output.
func Tracing() bool { return tracer.Load() != nil }
