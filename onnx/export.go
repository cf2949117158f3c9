package onnx

import (
	"fmt"
	"io"
	"math"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/autonl-go/autonl/internal/atomicfile"
	"github.com/autonl-go/autonl/lightnl"
	"github.com/autonl-go/autonl/models"
	"github.com/autonl-go/autonl/nn"
	pb "github.com/autonl-go/autonl/onnx/internal/onnxpb"
	"github.com/autonl-go/autonl/tensor"
)

// IRVersion and Opset are the ONNX IR version and the version of the
// default operator set ("ai.onnx") of the models this package writes:
// IR 8 and opset 17, as of ONNX 1.12, which ONNX Runtime 1.13 and later
// run.
const (
	IRVersion = 8
	Opset     = 17
)

// InputName and OutputName are the names of the graph's input, the
// N×C×H×W images, and of its output, the module's result (N×Classes logits
// for a network).
const (
	InputName  = "input"
	OutputName = "output"
)

// Config configures [Encode] and [WriteFile].
type Config struct {
	// Input is the shape of one input, C×H×W. The graph's input is
	// N×C×H×W with N symbolic ("N"), unless Batch fixes it. Required:
	// the LightNL blocks' reshapes need H·W.
	Input [3]int
	// Batch, if positive, fixes the batch size N in the graph's input and
	// output shapes; 0 leaves it symbolic.
	Batch int
	// Mean and Std, if set (both, one value per channel), put the input
	// normalization of the training data into the graph: the model then
	// takes images as the datasets give them and computes
	// (x − Mean[c])·(1/Std[c]) first, exactly as data.Loader does. Left
	// nil, the model expects normalized input.
	Mean, Std []float32
	// Name names the graph; "" means the module's name (its Describe) or
	// "autonl".
	Name string
	// Metadata is added to the model's metadata_props. Encode adds
	// [models.SpecKey] (the network's models.Spec as JSON) for a
	// *models.Net, and "autonl.input", a sentence saying what input the
	// model expects.
	Metadata map[string]string
}

// UnsupportedError reports a module that the writer has no conversion for.
type UnsupportedError struct {
	// Path is the module's dotted path in the model ("" for the root),
	// Type its Go type.
	Path, Type string
	// Why says what is unsupported when the type itself is supported but
	// this use of it is not; "" for an unknown type.
	Why string
}

func (e *UnsupportedError) Error() string {
	where := "the model"
	if e.Path != "" {
		where = "module " + e.Path
	}
	if e.Why != "" {
		return fmt.Sprintf("onnx: %s (%s): %s", where, e.Type, e.Why)
	}
	return fmt.Sprintf("onnx: %s has type %s, which the ONNX writer cannot convert (it converts models.Net, MBConv and ConvBNAct, "+
		"lightnl.Block, and nn's Sequential, Conv2d, BatchNorm2d, Linear, SqueezeExcite, pooling, Flatten, Dropout, Identity and activations)", where, e.Type)
}

// Encode returns the ONNX model (a serialized ModelProto) that computes
// m's forward pass in inference mode: batch norm with the running
// statistics, dropout as the identity, whatever mode m is in. Parameters
// and buffers become initializers named as in m's state dict
// ("features.0.0.weight"), nodes are named after the module that
// produced them ("features.1.conv.0.0"). The encoding is deterministic.
//
// The graph uses these operators of the default domain, opset [Opset]:
// Conv (groups for depthwise convolutions), BatchNormalization, Relu,
// Clip (ReLU6), Sigmoid and Mul (swish and squeeze-excite),
// HardSigmoid, HardSwish, GlobalAveragePool, AveragePool, Flatten, Gemm
// (Linear), Add (identity skips and residuals), and for LightNL blocks
// Slice, Reshape, Transpose, MatMul and Mul. A LightNL block keeps the
// association order it would use for its input size (see
// lightnl.Block.OrderFor), so the graph computes what Forward computes,
// operation for operation.
//
// It returns an *[UnsupportedError] naming the module's path if m holds a
// module it cannot convert, and errors for bad options.
func Encode(m nn.Module, opts Config) ([]byte, error) {
	model, err := build(m, opts)
	if err != nil {
		return nil, err
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(model)
	if err != nil {
		return nil, fmt.Errorf("onnx: encoding the model: %w", err)
	}
	return b, nil
}

// Write writes the ONNX model of m ([Encode]) to w.
func Write(w io.Writer, m nn.Module, opts Config) error {
	b, err := Encode(m, opts)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// WriteFile writes the ONNX model of m ([Encode]) to the file at path,
// atomically: it converts the whole model first, then writes a temporary
// file in the same directory and renames it to path, so that path never
// holds a partial model and a failure leaves no file behind.
func WriteFile(path string, m nn.Module, opts Config) error {
	b, err := Encode(m, opts)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(path, b); err != nil {
		return fmt.Errorf("onnx: %w", err)
	}
	return nil
}

// build converts m into a ModelProto.
func build(m nn.Module, opts Config) (*pb.ModelProto, error) {
	c, h, w := opts.Input[0], opts.Input[1], opts.Input[2]
	if c < 1 || h < 1 || w < 1 {
		return nil, fmt.Errorf("onnx: Config.Input %v: want a positive C×H×W", opts.Input)
	}
	if opts.Batch < 0 {
		return nil, fmt.Errorf("onnx: Config.Batch %d: want 0 (symbolic) or more", opts.Batch)
	}
	if (opts.Mean == nil) != (opts.Std == nil) || (opts.Mean != nil && (len(opts.Mean) != c || len(opts.Std) != c)) {
		return nil, fmt.Errorf("onnx: Config.Mean and Std: want both or neither, one value per channel (%d); got %d and %d", c, len(opts.Mean), len(opts.Std))
	}
	for i, s := range opts.Std {
		if !(s > 0) || math.IsInf(float64(s), 0) {
			return nil, fmt.Errorf("onnx: Config.Std[%d] = %v: want a positive finite value", i, s)
		}
	}
	batch := -1
	if opts.Batch > 0 {
		batch = opts.Batch
	}
	g := newGraph()
	x := value{name: InputName, shape: []int{batch, c, h, w}}
	g.inputs = append(g.inputs, valueInfo(x))
	if opts.Mean != nil {
		mean := g.constant("input.mean", []int{1, c, 1, 1}, opts.Mean)
		inv := make([]float32, c)
		for i, s := range opts.Std {
			inv[i] = 1 / s
		}
		invStd := g.constant("input.inv_std", []int{1, c, 1, 1}, inv)
		x = g.op("Sub", "input.normalize.sub", x.shape, []string{x.name, mean})
		x = g.op("Mul", "input.normalize.mul", x.shape, []string{x.name, invStd})
	}
	y, err := g.module("", m, x)
	if err != nil {
		return nil, err
	}
	g.setOutput(y)

	name := opts.Name
	if name == "" {
		name = "autonl"
		if d, ok := m.(interface{ Describe() (string, string) }); ok {
			if n, _ := d.Describe(); n != "" {
				name = n
			}
		}
	}
	meta := map[string]string{}
	if net, ok := m.(*models.Net); ok {
		if spec, err := net.Spec(); err == nil {
			meta[models.SpecKey] = spec.JSON()
		}
	}
	input := fmt.Sprintf("float32 images N×%d×%d×%d (NCHW), normalized as in training: the model does not normalize", c, h, w)
	if opts.Mean != nil {
		input = fmt.Sprintf("float32 images N×%d×%d×%d (NCHW) as the datasets give them (values in [0, 1]); the model normalizes them with mean %v and std %v", c, h, w, opts.Mean, opts.Std)
	}
	meta["autonl.input"] = input
	for k, v := range opts.Metadata {
		meta[k] = v
	}
	graph := &pb.GraphProto{
		Name:        proto.String(name),
		Node:        g.nodes,
		Initializer: g.inits,
		Input:       g.inputs,
		Output:      g.outputs,
	}
	return &pb.ModelProto{
		IrVersion:     proto.Int64(IRVersion),
		OpsetImport:   []*pb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(Opset)}},
		ProducerName:  proto.String("autonl"),
		Domain:        proto.String("github.com/autonl-go/autonl"),
		ModelVersion:  proto.Int64(1),
		DocString:     proto.String(name + " exported by autonl (github.com/autonl-go/autonl). Input: " + input + "."),
		Graph:         graph,
		MetadataProps: metadataProps(meta),
	}, nil
}

// module appends the nodes computing m's forward pass on x and returns
// its output. path is m's dotted path in the model.
func (g *graph) module(path string, m nn.Module, x value) (value, error) {
	unsupported := func(why string) error {
		return &UnsupportedError{Path: path, Type: fmt.Sprintf("%T", m), Why: why}
	}
	switch l := m.(type) {
	case *models.Net:
		f, err := g.module(join(path, "features"), l.Features, x)
		if err != nil {
			return value{}, err
		}
		if len(f.shape) != 4 {
			return value{}, unsupported(fmt.Sprintf("features give shape %s, want N×C×H×W", shapeString(f.shape)))
		}
		p := g.op("GlobalAveragePool", join(path, "pool"), []int{f.shape[0], f.shape[1], 1, 1}, []string{f.name})
		p = g.op("Flatten", join(path, "flatten"), []int{f.shape[0], f.shape[1]}, []string{p.name}, attrInt("axis", 1))
		return g.module(join(path, "classifier"), l.Classifier, p)
	case *models.MBConv:
		y, err := g.module(join(path, "conv"), l.Conv, x)
		if err != nil {
			return value{}, err
		}
		if !l.Skip {
			return y, nil
		}
		if !tensor.SameShape(x.shape, y.shape) {
			return value{}, unsupported(fmt.Sprintf("identity skip from %s to %s", shapeString(x.shape), shapeString(y.shape)))
		}
		return g.op("Add", join(path, "skip"), y.shape, []string{x.name, y.name}), nil
	case *models.ConvBNAct:
		return g.sequential(path, l.Children(), x)
	case *nn.Sequential:
		return g.sequential(path, l.Children(), x)
	case *nn.Conv2d:
		return g.conv(path, l, x)
	case *nn.BatchNorm2d:
		if len(x.shape) != 4 && len(x.shape) != 2 {
			return value{}, unsupported("input " + shapeString(x.shape) + " is not N×C×H×W or N×C")
		}
		if x.shape[1] != l.Channels {
			return value{}, unsupported(fmt.Sprintf("input %s has %d channels, want %d", shapeString(x.shape), x.shape[1], l.Channels))
		}
		ins := []string{x.name, g.param(join(path, "weight"), l.Weight.Value), g.param(join(path, "bias"), l.Bias.Value),
			g.param(join(path, "running_mean"), l.RunningMean), g.param(join(path, "running_var"), l.RunningVar)}
		return g.op("BatchNormalization", path, x.shape, ins, attrFloat("epsilon", float32(l.Eps))), nil
	case *nn.ReLU:
		return g.op("Relu", path, x.shape, []string{x.name}), nil
	case *nn.ReLU6:
		zero := g.constant("const.zero", nil, []float32{0})
		six := g.constant("const.six", nil, []float32{6})
		return g.op("Clip", path, x.shape, []string{x.name, zero, six}), nil
	case *nn.Swish:
		s := g.op("Sigmoid", join(path, "sigmoid"), x.shape, []string{x.name})
		return g.op("Mul", path, x.shape, []string{x.name, s.name}), nil
	case *nn.Sigmoid:
		return g.op("Sigmoid", path, x.shape, []string{x.name}), nil
	case *nn.HardSigmoid:
		// ReLU6(x + 3)/6 = max(0, min(1, x/6 + 1/2)).
		return g.op("HardSigmoid", path, x.shape, []string{x.name}, attrFloat("alpha", 1.0/6), attrFloat("beta", 0.5)), nil
	case *nn.HardSwish:
		return g.op("HardSwish", path, x.shape, []string{x.name}), nil
	case *nn.Identity, *nn.Dropout:
		return x, nil // inference: dropout is the identity
	case *nn.GlobalAvgPool2d:
		if len(x.shape) != 4 {
			return value{}, unsupported("input " + shapeString(x.shape) + " is not N×C×H×W")
		}
		return g.op("GlobalAveragePool", path, []int{x.shape[0], x.shape[1], 1, 1}, []string{x.name}), nil
	case *nn.AvgPool2d:
		return g.avgPool(path, l, x)
	case *nn.Flatten:
		if len(x.shape) < 2 {
			return value{}, unsupported("input " + shapeString(x.shape) + " has fewer than 2 dimensions")
		}
		n := 1
		for _, d := range x.shape[1:] {
			n *= d
		}
		return g.op("Flatten", path, []int{x.shape[0], n}, []string{x.name}, attrInt("axis", 1)), nil
	case *nn.Linear:
		if len(x.shape) != 2 || x.shape[1] != l.In {
			return value{}, unsupported(fmt.Sprintf("input %s: the writer converts Linear layers on N×%d inputs", shapeString(x.shape), l.In))
		}
		ins := []string{x.name, g.param(join(path, "weight"), l.Weight.Value)}
		if l.Bias != nil {
			ins = append(ins, g.param(join(path, "bias"), l.Bias.Value))
		}
		return g.op("Gemm", path, []int{x.shape[0], l.Out}, ins, attrInt("transB", 1)), nil
	case *nn.SqueezeExcite:
		if len(x.shape) != 4 || x.shape[1] != l.FC1.In {
			return value{}, unsupported(fmt.Sprintf("input %s is not N×%d×H×W", shapeString(x.shape), l.FC1.In))
		}
		s := x
		var err error
		for _, step := range []struct {
			name string
			m    nn.Module
		}{{"avgpool", l.AvgPool}, {"fc1", l.FC1}, {"activation", l.Act}, {"fc2", l.FC2}, {"scale_activation", l.Gate}} {
			if s, err = g.module(join(path, step.name), step.m, s); err != nil {
				return value{}, err
			}
		}
		return g.op("Mul", join(path, "scale"), x.shape, []string{s.name, x.name}), nil
	case *lightnl.Block:
		return g.lightNL(path, l, x)
	}
	return value{}, unsupported("")
}

// sequential chains the children.
func (g *graph) sequential(path string, children []nn.Child, x value) (value, error) {
	for _, c := range children {
		var err error
		if x, err = g.module(join(path, c.Name), c.Module, x); err != nil {
			return value{}, err
		}
	}
	return x, nil
}

// conv appends a Conv node: weight Out×In/G×k×k, pads [top, left, bottom,
// right], output (H + 2p − d(k−1) − 1)/s + 1 per axis.
func (g *graph) conv(path string, l *nn.Conv2d, x value) (value, error) {
	if len(x.shape) != 4 || x.shape[1] != l.In {
		return value{}, &UnsupportedError{Path: path, Type: fmt.Sprintf("%T", l),
			Why: fmt.Sprintf("input %s is not N×%d×H×W", shapeString(x.shape), l.In)}
	}
	p := l.Params
	k := [2]int{l.Weight.Value.Dim(2), l.Weight.Value.Dim(3)}
	stride := [2]int{max(p.Stride[0], 1), max(p.Stride[1], 1)}
	dil := [2]int{max(p.Dilation[0], 1), max(p.Dilation[1], 1)}
	out := []int{x.shape[0], l.Out, 0, 0}
	for i := range 2 {
		out[2+i] = (x.shape[2+i]+2*p.Padding[i]-dil[i]*(k[i]-1)-1)/stride[i] + 1
		if out[2+i] < 1 {
			return value{}, &UnsupportedError{Path: path, Type: fmt.Sprintf("%T", l),
				Why: fmt.Sprintf("input %s is too small for the %d×%d kernel", shapeString(x.shape), k[0], k[1])}
		}
	}
	ins := []string{x.name, g.param(join(path, "weight"), l.Weight.Value)}
	if l.Bias != nil {
		ins = append(ins, g.param(join(path, "bias"), l.Bias.Value))
	}
	return g.op("Conv", path, out, ins,
		attrInts("kernel_shape", k[0], k[1]),
		attrInts("strides", stride[0], stride[1]),
		attrInts("pads", p.Padding[0], p.Padding[1], p.Padding[0], p.Padding[1]),
		attrInts("dilations", dil[0], dil[1]),
		attrInt("group", max(p.Groups, 1)),
	), nil
}

// avgPool appends an AveragePool node that counts padding as zeros, as
// nn.AvgPool2d does.
func (g *graph) avgPool(path string, l *nn.AvgPool2d, x value) (value, error) {
	if len(x.shape) != 4 {
		return value{}, &UnsupportedError{Path: path, Type: fmt.Sprintf("%T", l), Why: "input " + shapeString(x.shape) + " is not N×C×H×W"}
	}
	s := l.Stride
	if s == 0 {
		s = l.Kernel
	}
	out := []int{x.shape[0], x.shape[1], (x.shape[2]+2*l.Padding-l.Kernel)/s + 1, (x.shape[3]+2*l.Padding-l.Kernel)/s + 1}
	return g.op("AveragePool", path, out, []string{x.name},
		attrInts("kernel_shape", l.Kernel, l.Kernel),
		attrInts("strides", s, s),
		attrInts("pads", l.Padding, l.Padding, l.Padding, l.Padding),
		attrInt("count_include_pad", 1),
	), nil
}

// lightNL appends the nodes of a LightNL block (see lightnl.Block):
//
//	xs = Slice(x, H and W from 0, step s)        N×C×H'×W'
//	Q  = Reshape(Slice(x, C from 0 to rC))       N×rC×HW
//	K  = Reshape(Slice(xs, C from 0 to rC))      N×rC×M
//	V  = Reshape(xs)                             N×C×M
//	A: y = (V·(Kᵀ·Q))·(1/HW)   B: y = ((V·Kᵀ)·(1/HW))·Q
//	z  = x + BN(DWConv3×3(Reshape(y, N×C×H×W)))
//
// in the order the block itself takes for this input size.
func (g *graph) lightNL(path string, b *lightnl.Block, x value) (value, error) {
	if len(x.shape) != 4 || x.shape[1] != b.Channels {
		return value{}, &UnsupportedError{Path: path, Type: fmt.Sprintf("%T", b),
			Why: fmt.Sprintf("input %s is not N×%d×H×W", shapeString(x.shape), b.Channels)}
	}
	n, c, h, w := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	s, rc := b.Stride, b.Reduced
	hs, ws := (h+s-1)/s, (w+s-1)/s
	hw, m := h*w, hs*ws
	name := func(part string) string { return join(path, "attention."+part) }
	ints := func(part string, v ...int64) string { return g.constantInt64(name(part), v) }

	xs := x
	if s > 1 {
		xs = g.op("Slice", name("subsample"), []int{n, c, hs, ws}, []string{x.name,
			ints("subsample.starts", 0, 0), ints("subsample.ends", int64(h), int64(w)),
			ints("subsample.axes", 2, 3), ints("subsample.steps", int64(s), int64(s))})
	}
	chStarts, chEnds, chAxes := ints("channels.starts", 0), ints("channels.ends", int64(rc)), ints("channels.axes", 1)
	q := g.op("Slice", name("q.slice"), []int{n, rc, h, w}, []string{x.name, chStarts, chEnds, chAxes})
	q = g.op("Reshape", name("q"), []int{n, rc, hw}, []string{q.name, ints("q.shape", 0, int64(rc), int64(hw))})
	k := q
	if s > 1 {
		k = g.op("Slice", name("k.slice"), []int{n, rc, hs, ws}, []string{xs.name, chStarts, chEnds, chAxes})
		k = g.op("Reshape", name("k"), []int{n, rc, m}, []string{k.name, ints("k.shape", 0, int64(rc), int64(m))})
	}
	v := g.op("Reshape", name("v"), []int{n, c, m}, []string{xs.name, ints("v.shape", 0, int64(c), int64(m))})
	scale := g.constant(name("scale"), nil, []float32{float32(1 / float64(hw))})
	var y value
	switch b.OrderFor(h, w) {
	case lightnl.OrderA:
		kt := g.op("Transpose", name("kt"), []int{n, m, rc}, []string{k.name}, attrInts("perm", 0, 2, 1))
		f := g.op("MatMul", name("ktq"), []int{n, m, hw}, []string{kt.name, q.name})
		y = g.op("MatMul", name("vf"), []int{n, c, hw}, []string{v.name, f.name})
		y = g.op("Mul", name("scaled"), y.shape, []string{y.name, scale})
	default:
		kt := g.op("Transpose", name("kt"), []int{n, m, rc}, []string{k.name}, attrInts("perm", 0, 2, 1))
		gm := g.op("MatMul", name("vkt"), []int{n, c, rc}, []string{v.name, kt.name})
		gm = g.op("Mul", name("context"), gm.shape, []string{gm.name, scale})
		y = g.op("MatMul", name("gq"), []int{n, c, hw}, []string{gm.name, q.name})
	}
	y = g.op("Reshape", name("y"), x.shape, []string{y.name, ints("y.shape", 0, int64(c), int64(h), int64(w))})
	z, err := g.module(join(path, "conv"), b.Conv, y)
	if err != nil {
		return value{}, err
	}
	if z, err = g.module(join(path, "bn"), b.BN, z); err != nil {
		return value{}, err
	}
	return g.op("Add", join(path, "residual"), x.shape, []string{x.name, z.name}), nil
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// shapeString prints a shape with N for the symbolic batch size.
func shapeString(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		if d < 0 {
			parts[i] = "N"
		} else {
			parts[i] = fmt.Sprint(d)
		}
	}
	return strings.Join(parts, "×")
}
