package onnx

import (
	"maps"
	"slices"
	"strconv"

	"google.golang.org/protobuf/proto"

	pb "github.com/autonl-go/autonl/onnx/internal/onnxpb"
	"github.com/autonl-go/autonl/tensor"
)

// value is a tensor of the graph: its name and its shape, with −1 for the
// symbolic batch size.
type value struct {
	name  string
	shape []int
}

// graph collects the nodes and initializers of the model being built.
type graph struct {
	nodes    []*pb.NodeProto
	inits    []*pb.TensorProto
	inputs   []*pb.ValueInfoProto
	outputs  []*pb.ValueInfoProto
	names    map[string]bool          // every value and node name in use
	producer map[string]*pb.NodeProto // node by output name
}

func newGraph() *graph {
	return &graph{names: map[string]bool{InputName: true}, producer: map[string]*pb.NodeProto{}}
}

// unique returns name, or name with a numeric suffix if it is taken, and
// marks it taken.
func (g *graph) unique(name string) string {
	n := name
	for i := 2; g.names[n]; i++ {
		n = name + "_" + strconv.Itoa(i)
	}
	g.names[n] = true
	return n
}

// op appends a node of type opType with the given inputs and attributes,
// named name (the op type if name is ""), whose one output has the same
// name and the given shape.
func (g *graph) op(opType, name string, shape []int, inputs []string, attrs ...*pb.AttributeProto) value {
	if name == "" {
		name = opType
	}
	name = g.unique(name)
	n := &pb.NodeProto{
		Name:      proto.String(name),
		OpType:    proto.String(opType),
		Input:     inputs,
		Output:    []string{name},
		Attribute: attrs,
	}
	g.nodes = append(g.nodes, n)
	g.producer[name] = n
	return value{name: name, shape: slices.Clone(shape)}
}

// param adds t as the initializer name (a state-dict name) and returns
// the name. A tensor registered under the same name twice (a module used
// twice) is stored once.
func (g *graph) param(name string, t *tensor.Tensor) string {
	return g.constant(name, t.Shape(), t.Data()[:t.Len()])
}

// constant adds a float32 initializer of the given shape (nil for a
// scalar) and returns its name; a name already added is returned as is.
func (g *graph) constant(name string, shape []int, data []float32) string {
	if g.names[name] {
		return name
	}
	g.names[name] = true
	g.inits = append(g.inits, &pb.TensorProto{
		Name:      proto.String(name),
		Dims:      dims(shape),
		DataType:  proto.Int32(int32(pb.TensorProto_FLOAT)),
		FloatData: slices.Clone(data),
	})
	return name
}

// constantInt64 adds a 1-D int64 initializer and returns its name; a name
// already added is returned as is.
func (g *graph) constantInt64(name string, data []int64) string {
	if g.names[name] {
		return name
	}
	g.names[name] = true
	g.inits = append(g.inits, &pb.TensorProto{
		Name:      proto.String(name),
		Dims:      []int64{int64(len(data))},
		DataType:  proto.Int32(int32(pb.TensorProto_INT64)),
		Int64Data: slices.Clone(data),
	})
	return name
}

// setOutput makes v the graph's output, named OutputName: the node that
// produces v is renamed, or, if v is the input or an initializer, an
// Identity node copies it.
func (g *graph) setOutput(v value) {
	if n, ok := g.producer[v.name]; ok && !g.consumed(v.name) {
		n.Output[0] = OutputName
	} else {
		g.nodes = append(g.nodes, &pb.NodeProto{
			Name: proto.String(g.unique(OutputName)), OpType: proto.String("Identity"),
			Input: []string{v.name}, Output: []string{OutputName},
		})
	}
	v.name = OutputName
	g.outputs = append(g.outputs, valueInfo(v))
}

// consumed reports whether a node reads the value name.
func (g *graph) consumed(name string) bool {
	for _, n := range g.nodes {
		if slices.Contains(n.Input, name) {
			return true
		}
	}
	return false
}

func dims(shape []int) []int64 {
	d := make([]int64, len(shape))
	for i, v := range shape {
		d[i] = int64(v)
	}
	return d
}

// valueInfo describes v as a float32 tensor; a negative dimension is the
// symbolic batch size "N".
func valueInfo(v value) *pb.ValueInfoProto {
	shape := &pb.TensorShapeProto{}
	for _, d := range v.shape {
		dim := &pb.TensorShapeProto_Dimension{}
		if d < 0 {
			dim.Value = &pb.TensorShapeProto_Dimension_DimParam{DimParam: "N"}
		} else {
			dim.Value = &pb.TensorShapeProto_Dimension_DimValue{DimValue: int64(d)}
		}
		shape.Dim = append(shape.Dim, dim)
	}
	return &pb.ValueInfoProto{
		Name: proto.String(v.name),
		Type: &pb.TypeProto{Value: &pb.TypeProto_TensorType{TensorType: &pb.TypeProto_Tensor{
			ElemType: proto.Int32(int32(pb.TensorProto_FLOAT)),
			Shape:    shape,
		}}},
	}
}

func attrInt(name string, v int) *pb.AttributeProto {
	return &pb.AttributeProto{Name: proto.String(name), Type: pb.AttributeProto_INT.Enum(), I: proto.Int64(int64(v))}
}

func attrInts(name string, vs ...int) *pb.AttributeProto {
	return &pb.AttributeProto{Name: proto.String(name), Type: pb.AttributeProto_INTS.Enum(), Ints: dims(vs)}
}

func attrFloat(name string, v float32) *pb.AttributeProto {
	return &pb.AttributeProto{Name: proto.String(name), Type: pb.AttributeProto_FLOAT.Enum(), F: proto.Float32(v)}
}

// metadataProps returns meta as metadata_props, sorted by key.
func metadataProps(meta map[string]string) []*pb.StringStringEntryProto {
	var props []*pb.StringStringEntryProto
	for _, k := range slices.Sorted(maps.Keys(meta)) {
		props = append(props, &pb.StringStringEntryProto{Key: proto.String(k), Value: proto.String(meta[k])})
	}
	return props
}
