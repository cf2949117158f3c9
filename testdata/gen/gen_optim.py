#!/usr/bin/python3
"""Generate the reference data for autonl's optimizers (package nn/optim).

Run from anywhere, with the system Python and PyTorch (Debian's
python3-torch 1.13 is enough):

    /usr/bin/python3 testdata/gen/gen_optim.py

It rewrites testdata/optim/optim.safetensors at the repository root, using
the safetensors writer of gen.py (imported, so both scripts write the same
layout; gen.py's own files, testdata/*.safetensors, are not touched: the
subdirectory keeps this file out of their glob). The output is
deterministic.

Every case runs one optimizer for five steps on three parameters with a
fixed sequence of gradients, in float64 from float32 inputs:

    w  4×3      a "weight"
    b  3        a "bias"
    s  2×2×3    a third tensor, in the second parameter group where a case
                has two groups

Some gradients are missing, as when a parameter takes no part in a forward
pass: torch.optim then skips the parameter, leaving its state and step count
alone. "s" has no gradient at step 0 and "b" none at step 2, so the
per-parameter step counts differ (which matters for Adam's bias correction
and for the first-step initialisation of SGD's momentum buffer). The learning
rate changes between steps (lr_factors), as a schedule would change it: this
separates "lr inside the momentum buffer" (TensorFlow) from "lr outside"
(PyTorch).

Tensors of case c, parameter p, step k (0-based):
    c/p/init        the initial value
    c/p/grad<k>     the gradient given before step k (absent when missing)
    c/p/value<k>    the parameter after step k
    c/p/<slot><k>   the optimizer's state after step k, named as in
                    torch.optim's state dict (momentum_buffer, exp_avg,
                    exp_avg_sq, max_exp_avg_sq, square_avg, grad_avg) or, for
                    the TensorFlow RMSProp, as TF1's slots (rms, momentum, mg)
The case's metadata (JSON) gives the optimizer kind, its hyperparameters, the
groups with their overrides, lr_factors and the missing gradients.

Optimizers: torch.optim.SGD, Adam, AdamW, RMSprop; and the TensorFlow 1
RMSPropOptimizer (tf.compat.v1.train.RMSPropOptimizer, the MnasNet /
EfficientNet TPU recipe), written out from its kernel (ApplyRMSProp and
ApplyCenteredRMSProp in tensorflow/core/kernels/training_ops.cc) with the
"rms" slot initialised to ones as in _create_slots of
tensorflow/python/training/rmsprop.py:

    ms  <- ms + (g² - ms)·(1 - rho)
    mg  <- mg + (g - mg)·(1 - rho)                  (centered)
    mom <- momentum·mom + lr·g / sqrt(ms [- mg²] + eps)
    w   <- w - mom

Clip cases ("clip_*") store gradients before and after
torch.nn.utils.clip_grad_norm_ and the returned total norm.
"""

import json
import os
import sys

import torch

sys.dont_write_bytecode = True  # importing gen.py leaves no __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen import OUT, Writer, randn, rand  # noqa: E402

STEPS = 5
SHAPES = {"w": (4, 3), "b": (3,), "s": (2, 2, 3)}
ORDER = ["w", "b", "s"]
MISSING = {"s": [0], "b": [2]}
LR_FACTORS = [1.0, 0.5, 2.0, 1.0, 0.25]
GRAD_SCALES = [1.0, 0.1, 3.0, 0.5, 1.0]


def tf_rmsprop_step(state, p, g, lr, rho, momentum, eps, centered, weight_decay):
    """One step of TF1's RMSPropOptimizer with L2 weight decay folded into g."""
    if weight_decay != 0:
        g = g + weight_decay * p
    ms = state["rms"]
    ms += (g * g - ms) * (1 - rho)
    if centered:
        mg = state["mg"]
        mg += (g - mg) * (1 - rho)
        denom = ms - mg * mg + eps
    else:
        denom = ms + eps
    mom = state["momentum"]
    mom.mul_(momentum).add_(lr * g / denom.sqrt())
    p -= mom


def make_torch(kind, groups, cfg):
    if kind == "sgd":
        return torch.optim.SGD(groups, lr=cfg["lr"], momentum=cfg.get("momentum", 0),
                               dampening=cfg.get("dampening", 0), nesterov=cfg.get("nesterov", False),
                               weight_decay=cfg.get("weight_decay", 0))
    if kind in ("adam", "adamw"):
        cls = torch.optim.Adam if kind == "adam" else torch.optim.AdamW
        return cls(groups, lr=cfg["lr"], betas=tuple(cfg.get("betas", (0.9, 0.999))), eps=cfg.get("eps", 1e-8),
                   weight_decay=cfg.get("weight_decay", 0), amsgrad=cfg.get("amsgrad", False),
                   foreach=False)
    if kind == "rmsprop":
        return torch.optim.RMSprop(groups, lr=cfg["lr"], alpha=cfg.get("alpha", 0.99), eps=cfg.get("eps", 1e-8),
                                   weight_decay=cfg.get("weight_decay", 0), momentum=cfg.get("momentum", 0),
                                   centered=cfg.get("centered", False), foreach=False)
    raise ValueError(kind)


def run_case(w, name, kind, cfg, groups=None):
    """Runs one optimizer case and records it.

    groups: list of (param names, overrides) with overrides in torch's
    param-group keys (lr, weight_decay, momentum; betas for Adam).
    """
    if groups is None:
        groups = [(ORDER, {})]
    init = {p: rand(*SHAPES[p]) for p in ORDER}
    grads = {p: [randn(*SHAPES[p], scale=GRAD_SCALES[k]) for k in range(STEPS)] for p in ORDER}
    tensors = {}
    for p in ORDER:
        tensors[p + "/init"] = init[p]
        for k in range(STEPS):
            if k not in MISSING.get(p, []):
                tensors["%s/grad%d" % (p, k)] = grads[p][k]

    params = {p: init[p].clone().requires_grad_(True) for p in ORDER}
    base_lr = cfg["lr"]
    group_lrs = [ov.get("lr", base_lr) for _, ov in groups]
    if kind == "rmsprop_tf":
        state = {}
        for names, ov in groups:
            for p in names:
                st = {"rms": torch.full_like(init[p], cfg.get("init_ms", 1.0)),
                      "momentum": torch.zeros_like(init[p])}
                if cfg.get("centered"):
                    st["mg"] = torch.zeros_like(init[p])
                state[p] = st
        opt = None
    else:
        opt = make_torch(kind, [dict(params=[params[p] for p in names], **ov) for names, ov in groups], cfg)

    def tf_momentum(p):
        for names, ov in groups:
            if p in names:
                return ov.get("momentum", cfg.get("momentum", 0.0))

    for k in range(STEPS):
        for p in ORDER:
            params[p].grad = None if k in MISSING.get(p, []) else grads[p][k].clone()
        if opt is not None:
            for gi, g in enumerate(opt.param_groups):
                g["lr"] = group_lrs[gi] * LR_FACTORS[k]
            opt.step()
        else:
            with torch.no_grad():
                for gi, (names, ov) in enumerate(groups):
                    for p in names:
                        if params[p].grad is None:
                            continue
                        tf_rmsprop_step(state[p], params[p], params[p].grad, group_lrs[gi] * LR_FACTORS[k],
                                        cfg.get("rho", 0.9), ov.get("momentum", cfg.get("momentum", 0.0)),
                                        cfg.get("eps", 1e-10), cfg.get("centered", False),
                                        ov.get("weight_decay", cfg.get("weight_decay", 0.0)))
        for p in ORDER:
            tensors["%s/value%d" % (p, k)] = params[p].detach().clone()
            st = state[p] if opt is None else opt.state.get(params[p], {})
            for slot, v in st.items():
                if slot == "step" or v is None:
                    continue
                if opt is None and slot == "momentum" and tf_momentum(p) == 0:
                    continue  # autonl allocates no momentum slot then
                tensors["%s/%s%d" % (p, slot, k)] = v.detach().clone()

    meta = {"kind": kind, "config": cfg, "params": ORDER, "shapes": SHAPES, "steps": STEPS,
            "lr_factors": LR_FACTORS, "missing": MISSING,
            "groups": [{"params": names, **ov} for names, ov in groups]}
    w.case(name, meta, **tensors)


def run_clip(w, name, max_norm, missing=()):
    grads = {p: randn(*SHAPES[p], scale=0.7) for p in ORDER}
    params = {p: torch.zeros(SHAPES[p], dtype=torch.float64, requires_grad=True) for p in ORDER}
    tensors = {}
    for p in ORDER:
        if p not in missing:
            params[p].grad = grads[p].clone()
            tensors[p + "/grad"] = grads[p]
    total = torch.nn.utils.clip_grad_norm_([params[p] for p in ORDER], max_norm)
    for p in ORDER:
        if p not in missing:
            tensors[p + "/clipped"] = params[p].grad
    tensors["total_norm"] = total.reshape(1)
    w.case(name, {"max_norm": max_norm, "params": ORDER, "missing": list(missing)}, **tensors)


def main():
    torch.set_num_threads(1)
    torch.manual_seed(7)
    os.makedirs(os.path.join(OUT, "optim"), exist_ok=True)
    w = Writer(os.path.join("optim", "optim.safetensors"))
    w.meta["generator"] = "testdata/gen/gen_optim.py"
    two = lambda **ov: [(["w", "b"], {}), (["s"], ov)]  # noqa: E731

    run_case(w, "sgd_plain", "sgd", {"lr": 0.1})
    run_case(w, "sgd_momentum", "sgd", {"lr": 0.1, "momentum": 0.9})
    run_case(w, "sgd_dampening", "sgd", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.01})
    run_case(w, "sgd_nesterov", "sgd", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.05})
    run_case(w, "sgd_groups", "sgd", {"lr": 0.1, "momentum": 0.8, "weight_decay": 0.05},
             two(lr=0.03, weight_decay=0.0, momentum=0.5))

    run_case(w, "adam", "adam", {"lr": 0.01})
    run_case(w, "adam_wd_amsgrad", "adam", {"lr": 0.02, "betas": [0.8, 0.9], "eps": 1e-6,
                                            "weight_decay": 0.1, "amsgrad": True})
    run_case(w, "adam_groups", "adam", {"lr": 0.01, "weight_decay": 0.01}, two(lr=0.005, weight_decay=0.0))
    run_case(w, "adamw", "adamw", {"lr": 0.01, "weight_decay": 0.1})
    run_case(w, "adamw_amsgrad", "adamw", {"lr": 0.05, "weight_decay": 0.5, "amsgrad": True, "betas": [0.5, 0.6]})
    run_case(w, "adamw_groups", "adamw", {"lr": 0.01, "weight_decay": 0.1}, two(weight_decay=0.0))

    run_case(w, "rmsprop", "rmsprop", {"lr": 0.01})
    run_case(w, "rmsprop_momentum", "rmsprop", {"lr": 0.01, "alpha": 0.9, "momentum": 0.9, "weight_decay": 0.01})
    run_case(w, "rmsprop_centered", "rmsprop", {"lr": 0.01, "alpha": 0.9, "centered": True, "eps": 1e-3})
    run_case(w, "rmsprop_centered_momentum", "rmsprop", {"lr": 0.01, "centered": True, "momentum": 0.5})
    run_case(w, "rmsprop_groups", "rmsprop", {"lr": 0.01, "momentum": 0.9, "weight_decay": 0.01},
             two(lr=0.02, weight_decay=0.0, momentum=0.0))

    # The MnasNet / AutoNL recipe: decay 0.9, momentum 0.9, eps 1e-3, L2 1e-5.
    run_case(w, "rmsprop_tf", "rmsprop_tf", {"lr": 0.016, "rho": 0.9, "momentum": 0.9, "eps": 1e-3,
                                             "weight_decay": 1e-5})
    run_case(w, "rmsprop_tf_plain", "rmsprop_tf", {"lr": 0.01})
    run_case(w, "rmsprop_tf_centered", "rmsprop_tf", {"lr": 0.01, "rho": 0.8, "momentum": 0.5, "eps": 1e-3,
                                                      "centered": True})
    # Keras 2's RMSprop starts the mean square at zero.
    run_case(w, "rmsprop_tf_init0", "rmsprop_tf", {"lr": 0.01, "rho": 0.9, "momentum": 0.9, "eps": 1e-3,
                                                   "init_ms": 0.0})
    run_case(w, "rmsprop_tf_groups", "rmsprop_tf", {"lr": 0.016, "momentum": 0.9, "eps": 1e-3,
                                                    "weight_decay": 0.1},
             two(lr=0.008, weight_decay=0.0, momentum=0.0))

    run_clip(w, "clip_active", 1.0)
    run_clip(w, "clip_inactive", 100.0)
    run_clip(w, "clip_missing", 0.5, missing=("b",))
    w.save()


if __name__ == "__main__":
    main()
