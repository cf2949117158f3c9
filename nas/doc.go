// Package nas searches mobile networks with LightNL blocks: where the
// blocks go, with which channel ratio and key stride, and each layer's
// depthwise kernel size, expansion ratio and existence, under a target of
// multiply-adds (MACs), by differentiable architecture search as in the
// AutoNL paper (Li et al., CVPR 2020), whose search code was never
// published, built on the superkernel relaxation of Single-Path NAS
// (Stamoulis et al., 2019) on which AutoNL builds.
//
// # Search space
//
// A [Space] is a MnasNet macro-skeleton: a stem, stages of MBConv layers
// (width, number of layers, stride of the first, squeeze-excite ratio), a
// head and a classifier, with a width multiplier, an input size and a
// number of classes, and the candidates of every searchable layer: kernel
// sizes (such as {3, 5}), expansion ratios ({3, 6}), dropping the layer
// (layers after the first of a stage), and a LightNL block (none, or ratio
// {0.125, 0.25} with key stride {1, 2}). [Presets] holds the paper's
// ImageNet setting ("imagenet", 224×224, target 350M) and a space for 28
// to 64 pixel images on two cores ("small"); a Space reads from and writes
// to JSON ([LoadSpace], [Space.JSON]).
//
// # Supernet and gates
//
// A [Supernet] holds every network of its space in the weights of the
// largest one ([Layer] documents the forward pass). Each binary decision
// is a [Gate]
//
//	d = 1[s − t > 0]
//
// with s a statistic of the weights the decision adds and t a trainable
// threshold (0 at the start, so the search starts from the largest
// network). The forward pass uses the hard d; the backward pass uses the
// derivative of σ(s − t) (autograd.Indicator), so the gradient of the loss
// reaches t and, through s, the weights. The decisions act as exact
// masks: the kernel gates zero the rings of the depthwise superkernel, the
// expansion gates the extra hidden channels after their activation (so
// that a closed one still hears the loss, see [Layer]), the keep gate the layer's residual branch, the LightNL gate
// the block's output batch norm, and the ratio and stride gates scale the
// keys of a full LightNL block (lightnl.AttentionConfig.KeyScale), which
// leaves exactly the affinity of the smaller ratio or the larger stride.
// With the gates set, the supernet computes what the derived network
// computes, which the tests check in training and evaluation mode with
// weights inherited by [Supernet.Inherit].
//
// The statistic s of each gate is the root mean square (RMS) of the
// weights the decision adds: the ring of the superkernel for a kernel
// gate, the additional channels' central taps for an expansion gate, the
// first channel group's central taps for the keep gate, and the LightNL
// block's depthwise output transform for its insert gate. The RMS, unlike
// Single-Path NAS's norm, does not grow with the number of weights, so
// the thresholds of narrow and wide layers move on one scale and one
// learning rate serves them all.
//
// The LightNL ratio and stride decisions have no weights of their own: a
// LightNL block squeezes away the transforms of its queries, keys and
// values, and the channels and keys a larger ratio or a finer stride adds
// are features of the layer, not parameters of the block. Comparing the
// insert gate's statistic with their thresholds, as an earlier version
// did, tied them to the insert decision: the loss's straight-through
// gradient from all three gates moved one statistic, and the ratio and
// stride choices, worth under 1% of the MACs, never flipped in any run.
// Each ratio and stride gate therefore has a statistic of its own, a
// scalar parameter (Layer.Stats, "s_ratio0p25", "s_stride1") that starts
// at the insert statistic's initial value and that only the loss moves,
// by the straight-through gradient, with the thresholds' optimizer: the
// margin s − t of such a gate follows the loss's verdict on that choice
// alone, and the cost term's, through t.
//
// Three rules keep the decisions the loss's and the cost's, and nothing
// else's:
//
//   - The cost term sees the gates through detached statistics, so its
//     gradient moves thresholds only, never the weights a statistic is
//     computed from (those weights feed a batch norm, which ignores their
//     scale; an optimizer such as Adam would move them by learning-rate
//     sized steps whatever λ is).
//   - Weight decay spares the weights behind statistics
//     (Supernet.StatisticWeights): shrinking them would close gates
//     whatever the loss says.
//   - The LightNL blocks of the supernet start with their output batch
//     norm's γ = SearchConfig.NonLocalGamma, as autonl train's -nl-gamma
//     starts them: with the released code's γ = 0 the gates multiply a
//     zero output, and the loss's gradient on every LightNL gate is 0 at
//     the start of the search.
//
// # Cost and loss
//
// [Supernet.Cost] is the MACs of the network the gates derive, counted by
// the rules of models.CountArch, as a function of the gate values: the
// multilinear extension of the exact count over the gate bits, whose value
// at hard gates is the derived network's MACs (tested equal to
// models.Profile of the network built from the derived arch strings) and
// whose derivative with respect to a gate is the MACs that the decision
// adds. The search minimizes
//
//	L = CE + λ·h(log(C/T))
//
// with C the cost, T the target and h the Huber function with its knee at
// half the tolerance ([CostTerm]): above the target the cost term closes gates,
// below it opens them, at a constant pace far from the target and fading
// near it, and the cross-entropy's own gradient through each gate (how
// much the loss would change with the decision flipped) decides which
// ones go first. The thresholds are trained by SGD
// without momentum, so that a decision's push from the cost term is
// proportional to the MACs it adds (with a normalizing optimizer such as
// Adam a decision of 0.1% of the MACs would move as fast as one of 20%).
//
// With SearchConfig.CostDual (autonl search's default: rate 10; the
// library's zero value: off) λ is a Lagrange multiplier, raised by dual
// ascent: after the cost ramp, each architecture step multiplies it by
// exp(r·v/n), with r the rate per epoch, n the steps per epoch and
// v = clamp((|C/T − 1| − tol)/tol, −1, 1) the distance beyond the
// tolerance tol, and it never falls below the configured weight. With a
// fixed λ the loss's pull on the layers it wants kept balanced the cost's
// push above the target (five Fashion-MNIST searches all ended 16–17%
// above it, needing the projection); the rising λ ends that balance
// (rate 10: 4 of the 5 ended within the tolerance), and within the
// tolerance it decays back, so that there the loss decides again
// (docs/search.md).
//
// # The search
//
// [Search] runs the search in a train.Trainer, with its checkpoints, exact
// resumption and outputs: warm-up epochs with the architecture frozen
// (optionally beginning with the shallowest network of the space with
// every LightNL block, SearchConfig.GrowEpochs, from whose weights a
// large network leaves a plateau that holds it when trained alone, until
// that network's training accuracy is halfway from chance to 1; then
// every gate open, optionally closed at random with Single-Path NAS's
// gate dropout; no cost term) until the supernet's validation accuracy
// has left chance and stopped rising, or at most WarmupEpochs (after an
// epoch with gate dropout the batch norms' running statistics, gathered
// over random subnetworks, are recalibrated for the full network before
// it is evaluated); then
// weights (AdamW) and architecture (SGD on the thresholds and the gates'
// own statistics, constant and then cosine to zero over the last half, so
// that the decisions settle) together, with the cost weight λ ramped up
// from 0 over CostRamp epochs, so that the loss sets the margins before
// the cost weighs in. The architecture steps on the training batch
// (one-level, the default) or on a held-out batch (two-level, first
// order, SearchConfig.ArchTrain); SearchConfig.SearchKeep adds a gate
// dropout to these steps that still passes the loss's gradient to the
// closed gates ([Supernet.SetSearchDropout]). After every epoch the search records
// the derived network, its MACs, every gate's margin s − t, sampled over
// the steps too, and each threshold's mean gradient from the loss and
// from the cost term ([EpochRecord]) and writes arch.txt, arch.json,
// decisions.csv, decisions.png and macs.png; at the end it says which
// decisions the loss drove and which the cost drove ([Drivers]). A
// network outside the tolerance of the target (5% by default) is
// projected onto the budget by the gates' margins per multiply-add
// ([ProjectToBudget]), and the result says how many decisions that took;
// a search that converged needs none. SearchConfig.CostOnly cuts the
// loss's gradient to the gates: the ablation that shows what the loss
// decides.
//
// [RandomSearch] is the baseline: random networks within the target, each
// trained on its share of the same budget, the best on validation data.
//
// # Derivation
//
// [Supernet.Derive] turns the layers' configurations into arch strings of
// package models (one block per kept layer) and the models.Config that
// builds them, and [Architecture] stores a result with its space, so that
// autonl train -searched rebuilds it exactly.
package nas
