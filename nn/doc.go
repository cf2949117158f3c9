// Package nn builds neural networks from modules: layers that own named
// parameters (trainable autograd Vars) and buffers (state such as batch
// norm's running statistics), composed into trees whose dotted names equal
// PyTorch's for the same structure.
//
// A module embeds Base and registers what it owns; NamedParams,
// NamedBuffers and StateDict walk the tree. SetTraining switches a whole
// tree between training and evaluation mode. Checkpoints are .safetensors
// files keyed by the state-dict names, so a model saved here loads in
// PyTorch with load_state_dict and the reverse.
//
// Layers hold the mobile-network vocabulary: Conv2d (groups, stride,
// padding, dilation, bias), BatchNorm2d, Linear, activations, squeeze-and-
// excite, dropout, pooling, Flatten and Sequential.
package nn
