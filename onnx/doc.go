// Package onnx writes autonl's networks as ONNX models, for inference with
// ONNX Runtime or any other ONNX runtime.
//
// [Encode], [Write] and [WriteFile] convert a module tree, such as a
// models.Net from the zoo, from arch strings or from a search, into an ONNX
// graph (IR version [IRVersion], opset [Opset]) that computes the module's
// forward pass in inference mode: for images x of shape N×C×H×W,
//
//	logits = Gemm(Flatten(GlobalAveragePool(features(x))), W, b)   N×Classes
//
// where features chains Conv (groups = channels for depthwise
// convolutions), BatchNormalization with the running statistics, the
// activations (Relu; Clip to [0, 6] for ReLU6; Sigmoid and Mul for swish;
// HardSwish; HardSigmoid with α = 1/6, β = 1/2), squeeze-excite units
// (GlobalAveragePool, two 1×1 Conv, Mul), identity skips (Add) and LightNL
// blocks, whose parameter-free attention y = (1/(H·W))·V·(Kᵀ·Q) becomes
// Slice (queries, keys and the strided subsampling xs = x[:, :, ::s, ::s]),
// Reshape, Transpose and MatMul in the association order the block itself
// uses for the input size. Dropout is the identity.
//
// The batch size is symbolic ("N") unless Config.Batch fixes it; the
// spatial size is fixed by Config.Input, since the LightNL reshapes need
// H·W. With Config.Mean and Config.Std the graph normalizes its input
// first, (x − mean)·(1/std) per channel as data.Loader does, so that it
// takes images as the datasets give them; without them it expects
// normalized input. The model's metadata says which ("autonl.input") and,
// for a models.Net, holds its models.Spec under models.SpecKey.
//
// Initializers keep the state-dict names ("features.1.conv.0.0.weight"),
// node names are the modules' dotted paths, and the encoding is
// deterministic. A module the writer cannot convert is an
// *[UnsupportedError] that names its path and type; [WriteFile] then writes
// nothing, and never leaves a partial file.
//
// The protobuf types are generated from ONNX's onnx.proto into
// onnx/internal/onnxpb (see gen.sh there) and encoded with
// google.golang.org/protobuf. The Go tests check every graph with an
// interpreter of the emitted operators built on package tensor;
// interop/run.sh checks exported files in ONNX Runtime itself against
// the Go logits (max relative difference 1e-4).
package onnx
