package models

import (
	"fmt"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/tensor"
)

// Profile counts the multiply-adds and parameters of any module, layer by
// layer, for one image of shape in, by the rules of the analytic count (see
// [CountArch]). It reads the real modules: it runs one forward pass of a
// zero image in evaluation mode under [nn.Trace], records every traced
// layer with its output shape, takes its multiply-adds from
// [nn.MACCounter] (layers that do not implement it cost none: batch norm,
// activations, reshapes) and its parameters from its own registry, so a
// custom network is profiled as exactly as a zoo one. Each module's
// parameters are counted once, at its first call.
//
// Layers are named by their dotted paths in m, as in the state dict, and m
// itself, if it reports to tracers (as models.Net does for its pooling), as
// "(root)". A
// module that holds parameters of its own but is not traced (a custom
// module that does not end its Forward with [nn.Traced]) is listed after
// the traced layers with its parameters and no MACs. The total's Params is
// [nn.NumParams](m), every parameter whether traced or not.
//
// The modules' training modes are restored afterwards, and no running
// statistic changes. A forward pass that panics, for example because in
// does not fit the network, is returned as an error.
func Profile(m nn.Module, in Shape) (cost NetCost, err error) {
	if in.C < 1 || in.H < 1 || in.W < 1 {
		return NetCost{}, fmt.Errorf("models: Profile: input shape %v is not positive", in)
	}
	paths := map[nn.Module]string{}
	nn.Walk(m, func(path string, mod nn.Module) {
		if _, seen := paths[mod]; !seen {
			paths[mod] = path
		}
	})
	counted := map[nn.Module]bool{}
	record := func(mod nn.Module, x, y *autograd.Var) {
		layer := LayerCost{Name: paths[mod], Kind: nn.TypeName(mod), Out: imageShape(y.Shape())}
		switch {
		case mod == m:
			layer.Name = "(root)"
		case layer.Name == "":
			layer.Name = "(not in the module tree)"
		}
		if c, ok := mod.(nn.MACCounter); ok {
			layer.MACs = c.ForwardMACs(x.Shape(), y.Shape())
		}
		if !counted[mod] {
			counted[mod] = true
			layer.Params = ownParams(mod)
		}
		cost.Layers = append(cost.Layers, layer)
	}

	restore := nn.EvalMode(m)
	defer restore()
	defer func() {
		if r := recover(); r != nil {
			cost, err = NetCost{}, fmt.Errorf("models: Profile: forward pass of a 1×%d×%d×%d input failed: %v", in.C, in.H, in.W, r)
		}
	}()
	x := autograd.Const(tensor.New(1, in.C, in.H, in.W))
	nn.Trace(record, func() {
		autograd.NoGrad(func() { m.Forward(x) })
	})

	nn.Walk(m, func(path string, mod nn.Module) {
		if n := ownParams(mod); n > 0 && !counted[mod] {
			counted[mod] = true
			cost.Layers = append(cost.Layers, LayerCost{Name: path, Kind: nn.TypeName(mod) + " (untraced)", Cost: Cost{Params: n}})
		}
	})
	for _, l := range cost.Layers {
		cost.Total.MACs += l.MACs
	}
	cost.Total.Params = int64(nn.NumParams(m))
	return cost, nil
}

// ownParams returns the number of scalars in m's own parameters.
func ownParams(m nn.Module) int64 {
	var n int64
	for _, p := range m.Registry().Params() {
		n += int64(p.Var.Value.Len())
	}
	return n
}

// imageShape returns the per-image shape of a batch-first output: C×H×W
// for N×C×H×W, C×1×1 for N×C.
func imageShape(s []int) Shape {
	switch len(s) {
	case 4:
		return Shape{s[1], s[2], s[3]}
	case 2:
		return Shape{s[1], 1, 1}
	case 3:
		return Shape{s[1], s[2], 1}
	}
	return Shape{tensor.NumElements(s[1:]), 1, 1}
}
