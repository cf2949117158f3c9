// Package models holds the networks of the AutoNL paper (Li et al., "Neural
// Architecture Search for Lightweight Non-Local Networks", CVPR 2020) and the
// vocabulary to describe them: the MBConv block with its optional
// squeeze-excite and LightNL parts, the builders that turn an architecture
// description into an nn.Module, the model zoo (MobileNetV2 1.0, MnasNet-A1,
// Single-Path NAS, AutoNL-S, AutoNL-L) and the profiler that counts
// multiply-adds and parameters the way this literature does.
//
// # Networks
//
// [Build] turns a block list and a [Config] (stem, head, classes, dropout,
// activation, BN options, width multiplier, small-input strides, LightNL
// factory, initialization) into a [*Net], an nn.Module with torchvision
// MobileNetV2's layout and names: a Sequential "features" holding the stem
// ([ConvBNAct], torchvision's Conv2dNormActivation), one [MBConv] per layer
// (torchvision's InvertedResidual, plus squeeze-excite and LightNL parts)
// and the head, then global average pooling, then a Sequential
// "classifier" of Dropout "0" and Linear "1". [New] builds the zoo's
// networks by name ([Names]: "mobilenetv2", "mnasnet-a1",
// "single-path-nas", "autonl-s", "autonl-l") with their settings
// ([Defaults]); [MobileNetV2] is torchvision's mobilenet_v2, whose state
// dicts load into it strictly and compute the same logits (tested against
// torchvision 0.14 to a few 1e-6 in evaluation mode, and through an SGD
// training step). [Net.Cost] counts a built network with the analytic
// model below, and its parameter count equals nn.NumParams for every zoo
// network.
//
// # Architecture strings
//
// A network body is a list of block strings, one per line, in the grammar of
// the paper's released code (the TensorFlow EfficientNet/MnasNet "block
// string" style), for example
//
//	r1_k3_s11_e1_i32_o16_noskip
//	r3_k5_s22_e3_i24_o40_se0.25
//	r1_k5_s22_e6_i40_o80_se0.25_nonlocal0.25
//	r3_k3_s11_e3_i40_o40_nonlocal0.25-2
//
// Each string describes r repeats of one inverted-residual block: depthwise
// kernel k, strides s (rows, columns), expansion ratio e, input and output
// widths i and o, an optional squeeze-excite ratio se, an optional noskip
// flag and an optional LightNL block (channel ratio and key stride). The
// grammar is stated precisely on [ParseBlock]; [BlockSpec] is the parsed
// form, [BlockSpec.String] prints the canonical form, [ParseArch] reads a
// whole list (with # comments and blank lines) and checks that the widths
// chain, and [Unroll] unrolls repeats into one entry per layer.
//
// The architectures of the zoo are available as text constants
// ([MobileNetV2Arch], [MnasNetA1Arch], [SinglePathNASArch], [AutoNLSArch],
// [AutoNLLArch]) that [ParseArch] accepts.
//
// # Counting multiply-adds and parameters
//
// [CountArch] is an analytic cost model: from a block list and a
// [NetConfig] (input size, stem, head, classes) it counts, layer by layer,
// the multiply-adds (MACs) and parameters of the network by the counting
// rules of the AutoNL paper's released profiler: a convolution costs
// kh·kw·(Cin/groups)·Cout·Hout·Wout MACs, a fully connected layer in·out,
// global average pooling H·W·C, a LightNL block min(A, B) + 9·C·H·W (package
// lightnl); BN, activations, the squeeze-excite gate and residual adds cost
// nothing; parameters are every weight and bias and BN's γ and β. The
// per-layer formulas ([ConvCost], [SqueezeExciteCost], [LightNLCost],
// [MBConvLayers], ...) are exported for the search's cost model. At
// 224×224 with 1000 classes the zoo counts
//
//	MobileNetV2 1.0   300,836,992 MACs   3,504,872 params   (published 300M, 3.4M; 3.5M with BN)
//	MnasNet-A1        312,239,200 MACs   3,887,038 params   (published 312M, 3.9M)
//	Single-Path NAS   333,529,792 MACs   4,421,616 params   (published 334M, 4.4M)
//	AutoNL-S          266,878,784 MACs   4,389,350 params   (published 267M, 4.4M)
//	AutoNL-L          352,829,728 MACs   5,580,336 params   (published 353M, 5.6M)
package models
