// Package models holds the networks of the AutoNL paper (Li et al., "Neural
// Architecture Search for Lightweight Non-Local Networks", CVPR 2020) and the
// vocabulary to describe them: the MBConv block with its optional
// squeeze-excite and LightNL parts, the builders that turn an architecture
// description into an nn.Module, the model zoo (MobileNetV2 1.0, MnasNet-A1,
// Single-Path NAS, AutoNL-S, AutoNL-L) and the profiler that counts
// multiply-adds and parameters the way this literature does. So far it holds
// the architecture-string grammar; the layers and builders consume its
// [BlockArgs].
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
// grammar is stated precisely on [ParseBlock]; [BlockArgs] is the parsed
// form, [BlockArgs.String] prints the canonical form, [ParseArch] reads a
// whole list (with # comments and blank lines) and checks that the widths
// chain, and [Expand] unrolls repeats into one entry per layer.
//
// The architectures of the zoo are available as text constants
// ([MnasNetA1Arch], [SinglePathNASArch], [AutoNLSArch], [AutoNLLArch]) that
// [ParseArch] accepts.
package models
