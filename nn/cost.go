package nn

import "github.com/autonl-go/autonl/tensor"

// The multiply-adds of the layers that cost any, by the counting rules of
// the mobile-network literature: batch norm, activations, element-wise
// products and residual additions are not counted.

// ForwardMACs returns kh·kw·(Cin/groups)·Cout·Ho·Wo multiply-adds per
// image, times the batch size: out is N×Cout×Ho×Wo. The bias is not
// counted.
func (c *Conv2d) ForwardMACs(in, out []int) int64 {
	groups := max(c.Params.Groups, 1)
	k := int64(c.Weight.Value.Dim(2) * c.Weight.Value.Dim(3))
	return k * int64(c.In/groups) * int64(tensor.NumElements(out))
}

// ForwardMACs returns In·Out multiply-adds per row of the input; the bias
// is not counted.
func (l *Linear) ForwardMACs(in, out []int) int64 {
	return int64(l.In) * int64(tensor.NumElements(out))
}

// ForwardMACs returns H·W·C per image, one addition per input element, as
// the profilers of MnasNet and AutoNL count global pooling.
func (g *GlobalAvgPool2d) ForwardMACs(in, out []int) int64 {
	return int64(tensor.NumElements(in))
}

// ForwardMACs returns k² additions per output element.
func (a *AvgPool2d) ForwardMACs(in, out []int) int64 {
	return int64(a.Kernel*a.Kernel) * int64(tensor.NumElements(out))
}
