#!/usr/bin/python3
"""Reference data for package models: torchvision's MobileNetV2, forward and
one SGD training step.

Generate (run from anywhere, with Debian's python3-torch and
python3-torchvision 0.14; the safetensors Python module is not needed):

    /usr/bin/python3 testdata/gen/gen_mobilenetv2.py

It builds torchvision.models.mobilenet_v2(width_mult=0.5, num_classes=10)
(width 0.5 and 10 classes keep the files small) with seeded weights: the
convolutions and the classifier as torchvision initializes them, batch norm
γ and β drawn at random, running statistics taken from a forward pass over a
random batch (so that evaluation-mode activations keep a sane scale) and then
perturbed, num_batches_tracked 17, and the classifier's bias drawn at random.
It writes two files into testdata/:

    mobilenetv2_state.safetensors   the model's state_dict, as
                                    safetensors.torch.save_file stores it
                                    (num_batches_tracked as I64), with
                                    metadata "keys" (the state_dict keys in
                                    order), "params" (named_parameters) and
                                    "repr" (what PyTorch prints), as JSON
    mobilenetv2_ref.safetensors     cases for internal/testref:
      eval64    x (4×3×64×64), logits in evaluation mode
      eval224   x (1×3×224×224), logits in evaluation mode
      train     x (4×3×32×32), labels; dropout p = 0, training mode:
                  logits, loss (cross-entropy, label smoothing 0.1),
                  grad/<param> for the parameters in GRADS,
                  after/<param> the parameters in GRADS after one step of
                    torch.optim.SGD(lr, momentum=0.9, weight_decay=4e-5)
                    over all parameters,
                  after/<buffer> every running_mean and running_var after
                    that training-mode forward pass
                and parameters {"lr", "momentum", "weight_decay",
                "label_smoothing", "grads", "torch_float32_rel",
                "perturbation_rel"}, the last two mapping each quantity
                ("logits", "grad/<param>", ..., "running stats") to the
                relative error max|other − ref|/max|ref| of PyTorch's own
                float32 computation of the same step, and of the float64
                step on the input perturbed by a relative 1e-6: measures of
                the problem's conditioning (see seed_weights)

Reference values are computed in float64 from the stored float32 values and
rounded to float32 once, as in gen.py, whose writer this script reuses. The
Go tests (models/mobilenetv2_test.go) read only these files.

Check a Go checkpoint in torchvision (the reverse direction):

    go test ./models -run TestMobileNetV2WriteForPyTorch -args -write=/tmp/m.safetensors
    /usr/bin/python3 testdata/gen/gen_mobilenetv2.py --check /tmp/m.safetensors

The Go test builds models.MobileNetV2(0.5, 10) with its own initialization,
moves the running statistics with two training-mode passes and saves it with
nn.Save, its evaluation-mode logits for the eval64 input in the metadata.
--check loads the file into torchvision's model with
load_state_dict(strict=True), runs it on that input and compares; it exits
with status 1 if anything differs.
"""

import argparse
import copy
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen import OUT, params_json, write_safetensors  # noqa: E402  (the shared writer)

WIDTH = 0.5
CLASSES = 10
LR = 0.05
MOMENTUM = 0.9
WEIGHT_DECAY = 4e-5
SMOOTHING = 0.1
# Parameters whose gradients and updated values are stored: the first conv
# and its BN γ, a depthwise conv and a BN γ in the middle, the last conv and
# its BN β, and the classifier. (Not a BN β in the middle: every path from
# there meets a 1×1 conv and a training-mode BN, which cancels a per-channel
# shift, so its gradient is zero up to rounding.)
GRADS = [
    "features.0.0.weight",
    "features.0.1.weight",
    "features.9.conv.1.0.weight",
    "features.9.conv.3.weight",
    "features.18.0.weight",
    "features.18.1.bias",
    "classifier.1.weight",
    "classifier.1.bias",
]


def build():
    return torchvision.models.mobilenet_v2(width_mult=WIDTH, num_classes=CLASSES)


def seed_weights(model):
    """Random BN parameters and realistic running statistics.

    The BNs followed by ReLU6 (those of the Conv2dNormActivation blocks) get
    γ from U(0.5, 1.2) and β from U(1.5, 4.5), so that most pre-activations
    lie inside (0, 6), away from ReLU6's kinks; the others get γ = 1 +
    0.25·N(0, 1) and β = 0.1·N(0, 1). The reason is the training step: its
    gradients jump where a pre-activation crosses a kink, and in training
    mode at 32×32 the last stages normalize 1×1 maps over the 4 images of
    the batch, which amplifies rounding errors enough to push values near a
    kink across it. With torchvision's initial γ = 1, β = 0 the float64
    reference gradients change by up to 30% when the input is perturbed by
    a relative 1e-6, so no float32 implementation (PyTorch's included) could
    be compared with them; with these values they change by about 5e-5 (the
    generator measures it, see "perturbation_rel").
    """
    act_bns = set()
    for m in model.modules():
        if isinstance(m, nn.Sequential) and len(m) == 3 and isinstance(m[2], nn.ReLU6):
            act_bns.add(m[1])
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    with torch.no_grad():
        for m in bns:
            c = m.num_features
            if m in act_bns:
                m.weight.copy_(0.5 + 0.7 * torch.rand(c))
                m.bias.copy_(1.5 + 3 * torch.rand(c))
            else:
                m.weight.copy_(1 + 0.25 * torch.randn(c))
                m.bias.copy_(0.1 * torch.randn(c))
        model.classifier[1].bias.copy_(0.1 * torch.randn(CLASSES))
        # One training-mode pass with momentum 1 sets the running statistics
        # to the statistics of a random batch, layer by layer.
        for m in bns:
            m.momentum = 1.0
        model.train()
        model(torch.randn(8, 3, 64, 64))
        for m in bns:
            c = m.num_features
            m.momentum = 0.1
            m.running_mean.add_(0.05 * torch.randn(c))
            m.running_var.mul_(0.8 + 0.4 * torch.rand(c))
            m.num_batches_tracked.fill_(17)


def train_step(model, x, labels):
    """One training step in model's dtype; returns the reference tensors."""
    model.train()
    model.classifier[0].p = 0.0
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM, weight_decay=WEIGHT_DECAY)
    opt.zero_grad()
    logits = model(x.to(next(model.parameters()).dtype))
    loss = F.cross_entropy(logits, labels, label_smoothing=SMOOTHING)
    loss.backward()
    params = dict(model.named_parameters())
    t = {"x": x, "labels": labels.double(), "logits": logits.detach(), "loss": loss.detach()}
    for name in GRADS:
        t["grad/" + name] = params[name].grad.clone()
    opt.step()
    for name in GRADS:
        t["after/" + name] = params[name].detach().clone()
    for name, b in model.named_buffers():
        if name.endswith("running_mean") or name.endswith("running_var"):
            t["after/" + name] = b.clone()
    return t


def relative_errors(ref, other):
    """max|other − ref|/max|ref| per quantity of a train_step result, the
    running statistics taken together."""
    out = {}
    for k, v in ref.items():
        if k in ("x", "labels"):
            continue
        q = "running stats" if k.startswith("after/") and "running_" in k else k
        e = ((other[k].double() - v.double()).abs().max() / v.double().abs().max()).item()
        out[q] = max(out.get(q, 0.0), e)
    return out


def generate():
    torch.manual_seed(2024)
    model = build()
    seed_weights(model)
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    meta = {
        "generator": "testdata/gen/gen_mobilenetv2.py",
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "model": "torchvision.models.mobilenet_v2(width_mult=%g, num_classes=%d)" % (WIDTH, CLASSES),
        "keys": json.dumps(list(model.state_dict().keys())),
        "params": json.dumps([k for k, _ in model.named_parameters()]),
        "repr": repr(model),
    }
    write_safetensors(os.path.join(OUT, "mobilenetv2_state.safetensors"), state, meta, keep_int64=True)

    x64 = torch.randn(4, 3, 64, 64)
    x224 = torch.randn(1, 3, 224, 224)
    x32 = torch.randn(4, 3, 32, 32)
    labels = torch.randint(0, CLASSES, (4,))

    # Compute in float64 from the float32 values; keep a float32 copy to
    # measure the conditioning of the training step.
    model32 = copy.deepcopy(model)
    model = model.double()
    tensors = {}
    cases = {}
    model.eval()
    with torch.no_grad():
        for name, x in (("eval64", x64), ("eval224", x224)):
            tensors[name + "/x"] = x
            tensors[name + "/logits"] = model(x.double())
            cases[name] = params_json({"input": list(x.shape)})

    t = train_step(model, x32, labels)
    t32 = train_step(model32, x32, labels)
    for k, v in t.items():
        tensors["train/" + k] = v
    # How far PyTorch's own float32 computation is from the float64
    # reference, per quantity.
    f32 = relative_errors(t, t32)
    # The conditioning: how far the float64 results move when the input is
    # perturbed by a relative 1e-6 (the worst of 3 draws).
    gen = torch.Generator().manual_seed(7)
    perturbed = {}
    for _ in range(3):
        model_p = build().double()
        model_p.load_state_dict(state)
        xp = (x32.double() * (1 + 1e-6 * torch.randn(x32.shape, generator=gen, dtype=torch.float64)))
        e = relative_errors(t, train_step(model_p, xp, labels))
        perturbed = {k: max(v, perturbed.get(k, 0.0)) for k, v in e.items()}
    cases["train"] = params_json({"lr": LR, "momentum": MOMENTUM, "weight_decay": WEIGHT_DECAY,
                                  "label_smoothing": SMOOTHING, "grads": GRADS, "torch_float32_rel": f32,
                                  "perturbation_rel": perturbed})

    meta = {"generator": "testdata/gen/gen_mobilenetv2.py", "torch": torch.__version__}
    meta.update(cases)
    write_safetensors(os.path.join(OUT, "mobilenetv2_ref.safetensors"), tensors, meta)


def check(path):
    from gen_nn import check_checkpoint
    return check_checkpoint(path, build(), "mobilenetv2_ref.safetensors", "eval64/x", "eval logits")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", metavar="FILE", help="load a Go checkpoint in torchvision and compare its output")
    args = ap.parse_args()
    if args.check:
        sys.exit(check(args.check))
    generate()


if __name__ == "__main__":
    main()
