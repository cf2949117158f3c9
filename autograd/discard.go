package autograd

import "github.com/autonl-go/autonl/tensor"

// Discard declares v consumed during inference, so that its storage can
// serve the next result: when v was computed by an operation under NoGrad
// and shares its storage with none of keep (the values still in use, such
// as the input of the layer and its output, which may be v's value
// reshaped or v itself), v's value goes back to the tensor buffer pool and
// is marked released, so that any later use of it panics (see
// tensor.Release) instead of reading a buffer that holds another result.
// Leaves (Param, Const, Detach) and results recorded in a graph are never
// released here: a graph owns its values until ReleaseGraph. Discard
// reports whether it released v's value.
func Discard(v *Var, keep ...*Var) bool {
	if v == nil || !v.transient || v.Value == nil {
		return false
	}
	for _, k := range keep {
		if k != nil && tensor.SameStorage(v.Value, k.Value) {
			return false
		}
	}
	return tensor.ReleaseUnshared(v.Value)
}
