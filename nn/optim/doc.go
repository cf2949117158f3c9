// Package optim trains nn modules: optimizers, learning-rate schedules, an
// exponential moving average of weights, gradient clipping, and optimizer
// state for exact resumption.
//
// # Optimizers
//
// SGD, RMSProp, Adam and AdamW compute what torch.optim.SGD, RMSprop, Adam
// and AdamW compute, including their handling of parameters without a
// gradient (skipped) and of per-parameter step counts; RMSPropTF computes
// TensorFlow 1's RMSPropOptimizer (ε inside the square root, learning rate
// inside the momentum, mean square starting at one), the optimizer of the
// MnasNet, EfficientNet and AutoNL recipes. Each type documents its update
// equations. They work in place on the float32 data of the parameters:
// every element's update is computed in float64 and rounded once when
// stored, and Step allocates nothing.
//
// Parameters come in groups ([]Group) that may override the learning-rate
// scale, weight decay and momentum of the configuration; SplitDecay makes
// the usual pair of groups that exempts batch norm and biases from weight
// decay, and OneGroup a single group.
//
// # Schedules
//
// A Schedule maps the optimizer's step count to a learning rate:
// Constant, Step, ExponentialStaircase (TensorFlow's exponential_decay),
// Cosine, LinearWarmup and Shift compose, and PerEpoch turns epochs into
// steps. The AutoNL recipe (lr 0.016 per 256 images, 5 warm-up epochs,
// ×0.97 every 2.4 epochs) is
//
//	LinearWarmup(ep(5), 0, ExponentialStaircase(0.016*batch/256, 0.97, ep(2.4), true))
//
// with ep := PerEpoch(stepsPerEpoch).
//
// # State
//
// The optimizers and EMA save their state as a State, tensors and metadata
// ready for safetensors.WriteFile, and LoadState restores it so that
// training continues bit for bit as if it had not stopped (the model's
// parameters and buffers are saved separately, with nn.Save).
//
// The reference data in testdata/optim/optim.safetensors comes from
// testdata/gen/gen_optim.py, which runs torch.optim (and TensorFlow's
// RMSProp written out from its kernel) in float64.
package optim
