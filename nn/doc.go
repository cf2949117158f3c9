// Package nn builds neural networks from modules: layers that own named
// parameters (trainable autograd Vars) and buffers (state such as batch
// norm's running statistics), composed into trees whose dotted names equal
// PyTorch's for the same structure.
//
// A module embeds Base and registers what it owns; NamedParams,
// NamedBuffers and StateDict walk the tree. SetTraining switches a whole
// tree between training and evaluation mode.
//
// # Layers
//
// The layers mirror their torch.nn namesakes in structure, parameter names,
// default initialization and semantics, so that a model built here and one
// built with PyTorch load each other's weights and compute the same
// numbers: Conv2d (stride, padding, dilation, groups, bias), BatchNorm2d
// (running statistics updated as PyTorch does), Linear, the activations
// ReLU, ReLU6, Swish (SiLU), HardSwish, Sigmoid and HardSigmoid, Identity,
// SqueezeExcite (torchvision's SqueezeExcitation), Dropout, AvgPool2d,
// GlobalAvgPool2d (AdaptiveAvgPool2d(1)), Flatten and Sequential, plus
// CrossEntropyLoss with label smoothing. Programming errors, such as an
// input with the wrong number of channels, panic with a message naming the
// layer, the shapes and the rule:
//
//	nn: Conv2d: input [2 3 8 8] has 3 channels, want 4
//
// # Initialization
//
// Constructors initialize as PyTorch does; init.go holds the schemes to
// re-initialize with: KaimingNormal, KaimingUniform, Normal, Uniform,
// Zeros, Ones, and MnasNet's TensorFlow schemes MnasNetConvInit and
// MnasNetDenseInit.
//
// # Printing
//
// Repr prints a module tree exactly as PyTorch's repr prints the
// equivalent torch.nn modules; Format adds parameter counts. Every layer
// has a String method in the same style.
//
// # Inference
//
// In evaluation mode under autograd.NoGrad, FusedConvBN computes a
// convolution, its batch norm, activation and residual addition in one
// pass. Freeze prepares a network for repeated inference as an inference
// engine does when it loads one: its convolutions keep their weights
// packed for the matrix-product kernels instead of packing them for every
// product, with the results of the unfrozen network bit for bit; Unfreeze,
// training mode, a forward pass with gradients and loading a state dict
// undo it.
//
// # Checkpoints
//
// StateDict lists parameters and buffers in PyTorch's state_dict order.
// Save writes them to a .safetensors file, atomically; Load and
// LoadStateDict read them back, strictly (every key must match) or not,
// and report every missing, unexpected or mismatched key in one error. A
// file written by Save loads in PyTorch with load_state_dict, and a
// PyTorch state dict written with safetensors loads here.
package nn
