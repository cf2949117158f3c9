package onnx

import (
	"fmt"

	pb "github.com/autonl-go/autonl/onnx/internal/onnxpb"
	"github.com/autonl-go/autonl/tensor"
)

// run evaluates a ModelProto on the input x with package tensor's kernels,
// following the ONNX operator specifications of the operators Encode
// emits, each operator implemented from its definition (not from the
// writer). It is the tests' check that the graph computes the module's
// function without ONNX Runtime; interop/run.sh checks the files in ONNX
// Runtime itself.
func run(m *pb.ModelProto, x *tensor.Tensor) (*tensor.Tensor, error) {
	vals := map[string]*tensor.Tensor{}
	ints := map[string][]int64{}
	for _, t := range m.Graph.Initializer {
		shape := make([]int, len(t.Dims))
		for i, d := range t.Dims {
			shape[i] = int(d)
		}
		switch pb.TensorProto_DataType(t.GetDataType()) {
		case pb.TensorProto_FLOAT:
			vals[t.GetName()] = tensor.FromSlice(append([]float32{}, t.FloatData...), shape...)
		case pb.TensorProto_INT64:
			ints[t.GetName()] = t.Int64Data
		default:
			return nil, fmt.Errorf("initializer %s: data type %d", t.GetName(), t.GetDataType())
		}
	}
	vals[m.Graph.Input[0].GetName()] = x
	for _, n := range m.Graph.Node {
		in := func(i int) *tensor.Tensor {
			if i >= len(n.Input) {
				return nil
			}
			return vals[n.Input[i]]
		}
		attr := map[string]*pb.AttributeProto{}
		for _, a := range n.Attribute {
			attr[a.GetName()] = a
		}
		ai := func(name string, def int) int {
			if a, ok := attr[name]; ok {
				return int(a.GetI())
			}
			return def
		}
		pair := func(name string, def int) [2]int {
			if a, ok := attr[name]; ok {
				return [2]int{int(a.Ints[0]), int(a.Ints[1])}
			}
			return [2]int{def, def}
		}
		var y *tensor.Tensor
		switch n.GetOpType() {
		case "Conv":
			p := tensor.Conv2DConfig{Stride: pair("strides", 1), Dilation: pair("dilations", 1), Groups: ai("group", 1)}
			pads := attr["pads"].Ints
			if pads[0] != pads[2] || pads[1] != pads[3] {
				return nil, fmt.Errorf("%s: asymmetric pads %v", n.GetName(), pads)
			}
			p.Padding = [2]int{int(pads[0]), int(pads[1])}
			y = tensor.Conv2D(in(0), in(1), p)
			if b := in(2); b != nil {
				y = tensor.Add(y, b.Reshape(1, b.Len(), 1, 1))
			}
		case "BatchNormalization":
			y = tensor.BatchNormInference(in(0), in(1), in(2), in(3), in(4), attr["epsilon"].GetF())
		case "Relu":
			y = tensor.ReLU(in(0))
		case "Clip":
			y = tensor.Clamp(in(0), in(1).Item(), in(2).Item())
		case "Sigmoid":
			y = tensor.Sigmoid(in(0))
		case "HardSigmoid": // max(0, min(1, alpha·x + beta))
			alpha, beta := attr["alpha"].GetF(), attr["beta"].GetF()
			y = tensor.Clamp(tensor.AddScalar(tensor.MulScalar(in(0), alpha), beta), 0, 1)
		case "HardSwish": // x·max(0, min(1, x/6 + 1/2))
			y = tensor.Mul(in(0), tensor.Clamp(tensor.AddScalar(tensor.MulScalar(in(0), 1.0/6), 0.5), 0, 1))
		case "Add":
			y = tensor.Add(in(0), in(1))
		case "Sub":
			y = tensor.Sub(in(0), in(1))
		case "Mul":
			y = tensor.Mul(in(0), in(1))
		case "GlobalAveragePool":
			y = tensor.GlobalAvgPool2D(in(0))
		case "AveragePool":
			pads := attr["pads"].Ints
			y = tensor.AvgPool2D(in(0), tensor.Pool2DConfig{Kernel: pair("kernel_shape", 1), Stride: pair("strides", 1),
				Padding: [2]int{int(pads[0]), int(pads[1])}, ExcludePad: ai("count_include_pad", 0) == 0})
		case "Flatten":
			s := in(0).Shape()
			axis := ai("axis", 1)
			y = in(0).Clone().Reshape(tensor.NumElements(s[:axis]), tensor.NumElements(s[axis:]))
		case "Gemm": // alpha·A'·B' + beta·C with the defaults alpha = beta = 1
			y = tensor.MatMul(in(0), in(1), ai("transA", 0) == 1, ai("transB", 0) == 1)
			if c := in(2); c != nil {
				y = tensor.Add(y, c)
			}
		case "MatMul":
			y = tensor.MatMul(in(0), in(1), false, false)
		case "Transpose":
			perm := make([]int, len(attr["perm"].Ints))
			for i, p := range attr["perm"].Ints {
				perm[i] = int(p)
			}
			y = tensor.Permute(in(0), perm...)
		case "Slice":
			starts, ends, axes, steps := ints[n.Input[1]], ints[n.Input[2]], ints[n.Input[3]], []int64(nil)
			if len(n.Input) > 4 {
				steps = ints[n.Input[4]]
			}
			y = in(0)
			for i, ax := range axes {
				step := int64(1)
				if steps != nil {
					step = steps[i]
				}
				dim := int64(y.Dim(int(ax)))
				y = tensor.Slice(y, int(ax), int(min(starts[i], dim)), int(min(ends[i], dim)), int(step))
			}
		case "Reshape":
			target := ints[n.Input[1]]
			shape := make([]int, len(target))
			for i, d := range target {
				shape[i] = int(d)
				if d == 0 { // copy the input's dimension
					shape[i] = in(0).Dim(i)
				}
			}
			y = in(0).Clone().Reshape(shape...)
		case "Identity":
			y = in(0)
		default:
			return nil, fmt.Errorf("node %s: operator %s not in the test interpreter", n.GetName(), n.GetOpType())
		}
		vals[n.Output[0]] = y
	}
	out, ok := vals[m.Graph.Output[0].GetName()]
	if !ok {
		return nil, fmt.Errorf("no node computes the output %s", m.Graph.Output[0].GetName())
	}
	return out, nil
}
