#!/usr/bin/python3
"""Reference data for package lightnl: the LightNL block of AutoNL and the
conventional (dot-product) non-local block of Wang et al., in PyTorch.

Generate (run from anywhere, with Debian's python3-torch; the safetensors
Python module is not needed):

    /usr/bin/python3 testdata/gen/gen_lightnl.py

It writes testdata/lightnl.safetensors, read by lightnl/reference_test.go
through internal/testref. Cases "lnlNN" are LightNL blocks, "nlNN"
non-local blocks, each with seeded weights, non-zero BN γ (so that the block
is not the identity), random running statistics, and either training mode
(batch statistics, running statistics updated) or evaluation mode. Per case:

    x                 the input N×C×H×W
    dy                a random upstream gradient of the output
    param/<name>      every parameter, named as in the module's state dict
    buffer/<name>     every buffer before the forward pass
    attention         LightNL only: y = V·(KᵀQ)/(H·W), N×C×H×W
    z                 the block's output
    grad/x            ∂L/∂x for L = Σ z·dy
    grad/<name>       ∂L/∂param for every parameter
    after/<name>      every buffer after the forward pass

and metadata with the case's parameters (block, n, c, h, w, ratio, stride,
train, eps, momentum), the association order the cost formula picks
("order", LightNL only), what PyTorch prints for the module ("repr") and
its state-dict keys ("keys").

The modules follow DESIGN.md section 5 and the paper's released TensorFlow
code (LiYingwei/AutoNL, model_def.py: non_local_op and
MnasBlock._call_non_local) for LightNL, and Wang et al.'s released code
(facebookresearch/video-nonlocal-net, the dot-product variant with max
pooling before φ and g) for the non-local block. As in gen.py, whose writer
this script reuses, inputs and weights are drawn in float32 and every
result is computed in float64 from those exact values, then rounded to
float32 once. The generator also checks that LightNL's two association
orders agree in float64.
"""

import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen import OUT, params_json, randn, write_safetensors  # noqa: E402  (the shared writer)


def reduced_channels(c, ratio):
    """⌊r·C⌋ with the 1e-9 tolerance of lightnl.ReducedChannels."""
    return int(math.floor(ratio * c + 1e-9))


def keys_formula(h, w, s):
    """M = ⌊H/s⌋·⌊W/s⌋, the key count of the cost formulas."""
    return (h // s) * (w // s)


def cheaper_order(c, h, w, ratio, s):
    """lightnl.CheaperOrder: A only if strictly cheaper."""
    n, m, rc = h * w, keys_formula(h, w, s), reduced_channels(c, ratio)
    a, b = n * m * (rc + c), (n + m) * c * rc
    return "A" if a < b else "B"


class LightNL(nn.Module):
    """z = x + BN(DW3x3(V·(KᵀQ)/(H·W))), DESIGN.md section 5."""

    def __init__(self, channels, ratio=0.25, stride=1, eps=1e-5, momentum=0.1):
        super().__init__()
        self.channels, self.ratio, self.stride = channels, ratio, stride
        self.reduced = reduced_channels(channels, ratio)
        assert self.reduced >= 1
        self.conv = nn.Conv2d(channels, channels, 3, padding=1, groups=channels, bias=False)
        self.bn = nn.BatchNorm2d(channels, eps=eps, momentum=momentum)
        nn.init.zeros_(self.bn.weight)

    def attention(self, x, order="A"):
        n, c, h, w = x.shape
        s, rc = self.stride, self.reduced
        xs = x[:, :, ::s, ::s]  # plain strided subsampling, ⌈H/s⌉×⌈W/s⌉
        q = x[:, :rc].reshape(n, rc, h * w)
        k = xs[:, :rc].reshape(n, rc, -1)
        v = xs.reshape(n, c, -1)
        if order == "A":
            y = torch.bmm(v, torch.bmm(k.transpose(1, 2), q))  # (KᵀQ) first: N×M×HW
        else:
            y = torch.bmm(torch.bmm(v, k.transpose(1, 2)), q)  # (V·Kᵀ) first: N×C×rC
        return (y / (h * w)).reshape(n, c, h, w)

    def forward(self, x):
        return x + self.bn(self.conv(self.attention(x)))

    def extra_repr(self):
        return "%d, ratio=%r, stride=%d" % (self.channels, self.ratio, self.stride)


class NonLocal(nn.Module):
    """Wang et al.'s dot-product non-local block with max-pooled keys."""

    def __init__(self, channels, stride=1, eps=1e-5, momentum=0.1):
        super().__init__()
        self.channels, self.stride = channels, stride
        self.inner = channels // 2
        self.theta = nn.Conv2d(channels, self.inner, 1)
        self.phi = nn.Conv2d(channels, self.inner, 1)
        self.g = nn.Conv2d(channels, self.inner, 1)
        self.w_z = nn.Conv2d(self.inner, channels, 1)
        self.bn = nn.BatchNorm2d(channels, eps=eps, momentum=momentum)
        nn.init.zeros_(self.bn.weight)

    def forward(self, x):
        n, c, h, w = x.shape
        s, ci = self.stride, self.inner
        xp = F.max_pool2d(x, s, s) if s > 1 else x  # ⌊H/s⌋×⌊W/s⌋ keys
        theta = self.theta(x).reshape(n, ci, h * w)
        phi = self.phi(xp).reshape(n, ci, -1)
        g = self.g(xp).reshape(n, ci, -1)
        f = torch.bmm(theta.transpose(1, 2), phi) / phi.shape[2]  # N×HW×M, divided by the number of keys
        y = torch.bmm(g, f.transpose(1, 2)).reshape(n, ci, h, w)
        return x + self.bn(self.w_z(y))

    def extra_repr(self):
        return "%d, inter_channels=%d, stride=%d" % (self.channels, self.inner, self.stride)


def randomize(model):
    """Seeded float32 weights with non-zero γ and non-trivial running statistics."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Conv2d):
                fan_in = m.weight[0].numel()
                m.weight.copy_(randn(*m.weight.shape, scale=1.0 / math.sqrt(fan_in)).float())
                if m.bias is not None:
                    m.bias.copy_(randn(*m.bias.shape, scale=0.1).float())
            elif isinstance(m, nn.BatchNorm2d):
                c = m.num_features
                m.weight.copy_(randn(c, scale=0.5, shift=1.0).float())
                m.bias.copy_(randn(c, scale=0.2).float())
                m.running_mean.copy_(randn(c, scale=0.1).float())
                m.running_var.copy_((torch.rand(c) * 0.5 + 0.5).float())
                m.num_batches_tracked.fill_(17)


def run_case(w, name, model, params, n, c, h, wd, train):
    randomize(model)
    x = randn(n, c, h, wd)
    dy = randn(n, c, h, wd)
    tensors = {"x": x, "dy": dy}
    for k, v in model.named_parameters():
        tensors["param/" + k] = v.detach().clone()
    for k, v in model.named_buffers():
        tensors["buffer/" + k] = v.detach().clone()
    params = dict(params, n=n, c=c, h=h, w=wd, train=train, repr=repr(model),
                  keys=list(model.state_dict().keys()))

    model = model.double()
    model.train(train)
    xd = x.clone().requires_grad_(True)
    if isinstance(model, LightNL):
        with torch.no_grad():
            ya, yb = model.attention(x, "A"), model.attention(x, "B")
            assert torch.allclose(ya, yb, rtol=1e-12, atol=1e-14), "orders A and B differ"
        tensors["attention"] = ya
    z = model(xd)
    (z * dy).sum().backward()
    tensors["z"] = z.detach()
    tensors["grad/x"] = xd.grad
    for k, v in model.named_parameters():
        tensors["grad/" + k] = v.grad
    for k, v in model.named_buffers():
        tensors["after/" + k] = v.detach().clone()
    w.meta[name] = params_json(params)
    for k, v in tensors.items():
        w.tensors[name + "/" + k] = v


MNAS_BN = {"eps": 1e-3, "momentum": 0.01}
TORCH_BN = {"eps": 1e-5, "momentum": 0.1}

# (n, c, h, w, ratio, stride, train, bn)
LIGHTNL_CASES = [
    (2, 8, 7, 7, 0.25, 2, True, TORCH_BN),      # odd map, s = 2: 4×4 keys (formula counts 3×3)
    (2, 16, 9, 11, 0.125, 2, True, MNAS_BN),    # odd rectangular map, r = 0.125
    (2, 16, 9, 11, 0.25, 2, False, MNAS_BN),
    (2, 24, 8, 8, 0.25, 1, True, TORCH_BN),
    (1, 24, 6, 5, 0.125, 1, False, TORCH_BN),  # rC = 3
    (2, 32, 5, 5, 0.25, 2, True, MNAS_BN),      # the formula picks order A
    (2, 64, 3, 3, 0.25, 1, False, TORCH_BN),    # order A
    (2, 10, 5, 4, 0.25, 1, True, TORCH_BN),     # rC = ⌊2.5⌋ = 2
    (2, 12, 7, 8, 0.25, 3, True, MNAS_BN),      # s = 3: 3×3 keys
    (3, 40, 7, 7, 0.125, 2, False, MNAS_BN),    # rC = 5
    (1, 16, 7, 9, 0.25, 2, True, TORCH_BN),     # batch of one in training mode
]

# (n, c, h, w, stride, train, bn)
NONLOCAL_CASES = [
    (2, 8, 6, 6, 1, True, TORCH_BN),
    (2, 8, 7, 7, 2, True, MNAS_BN),    # odd map: 3×3 max-pooled keys
    (2, 10, 9, 11, 2, False, TORCH_BN),
    (2, 7, 5, 6, 1, False, MNAS_BN),   # odd C: C' = 3
    (1, 12, 8, 8, 2, True, TORCH_BN),
]


class Writer:
    def __init__(self, name):
        self.name = name
        self.tensors = {}
        self.meta = {"generator": "testdata/gen/gen_lightnl.py", "torch": torch.__version__}

    def save(self):
        write_safetensors(os.path.join(OUT, self.name), self.tensors, self.meta)


def main():
    torch.set_num_threads(1)
    torch.manual_seed(2020)
    w = Writer("lightnl.safetensors")
    for i, (n, c, h, wd, ratio, s, train, bn) in enumerate(LIGHTNL_CASES):
        model = LightNL(c, ratio, s, **bn)
        params = dict(block="lightnl", ratio=ratio, stride=s, order=cheaper_order(c, h, wd, ratio, s), **bn)
        run_case(w, "lnl%02d" % i, model, params, n, c, h, wd, train)
    for i, (n, c, h, wd, s, train, bn) in enumerate(NONLOCAL_CASES):
        model = NonLocal(c, s, **bn)
        params = dict(block="nonlocal", stride=s, **bn)
        run_case(w, "nl%02d" % i, model, params, n, c, h, wd, train)
    w.save()


if __name__ == "__main__":
    main()
