#!/usr/bin/python3
"""Generate the PyTorch reference data that autonl's Go tests compare with.

Run from anywhere, with the system Python and PyTorch (Debian's
python3-torch 1.13 is enough; the safetensors Python module is not needed):

    /usr/bin/python3 testdata/gen/gen.py

It rewrites the *.safetensors files in testdata/ at the repository root. The
output is deterministic (fixed seeds, computations in float64 on the CPU),
so running it again reproduces the committed files byte for byte on the same
PyTorch version. The Go tests only read the committed files: they never need
Python or PyTorch.

Every file stores float32 tensors named "<case>/<tensor>", for example
"case012/dx". The file's __metadata__ maps each case name to a JSON object
with the case's parameters, for example
    "case012": {"stride":[2,1],"padding":[1,0],"dilation":[1,1],"groups":2}
and "generator" / "torch" to provenance strings.

Inputs are drawn in float32 and every reference result is computed in
float64 from those exact values, then rounded to float32 once, so the
reference carries no float32 accumulation error of its own. Upstream
gradients "dy" are random, so that a backward rule that drops or mixes
elements cannot pass by symmetry.

Files:
    conv2d.safetensors      F.conv2d forward and grads over a parameter grid
    matmul.safetensors      torch.matmul, 2-D, batched, broadcast, transposed
    batchnorm.safetensors   F.batch_norm in training and eval mode
    softmax.safetensors     softmax, log_softmax, cross_entropy, nll_loss
    pool.safetensors        avg_pool2d, max_pool2d, adaptive_avg_pool2d(1)
    activation.safetensors  relu, relu6, sigmoid, silu, hardswish,
                            hardsigmoid, tanh
"""

import itertools
import json
import os
import struct
import sys

import torch
import torch.nn.functional as F

OUT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def write_safetensors(path, tensors, metadata, keep_int64=False):
    """Write tensors (name -> torch.Tensor) as F32 safetensors.

    The layout matches Go's safetensors.Write: metadata first, tensors
    sorted by name with their data in the same order, header padded with
    spaces to a multiple of 8 bytes. With keep_int64, int64 tensors are
    stored as I64, as safetensors.torch.save_file stores them (for example
    batch norm's num_batches_tracked); otherwise everything is F32.
    """
    header = {}
    if metadata:
        header["__metadata__"] = {k: metadata[k] for k in sorted(metadata)}
    chunks = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name].detach()
        if keep_int64 and t.dtype == torch.int64:
            dtype, t = "I64", t.contiguous()
            data = t.numpy().astype("<i8").tobytes()
        else:
            dtype, t = "F32", t.to(torch.float32).contiguous()
            data = t.numpy().astype("<f4").tobytes()
        header[name] = {
            "dtype": dtype,
            "shape": list(t.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for c in chunks:
            f.write(c)
    os.replace(tmp, path)
    print("%-32s %5d tensors %8d bytes" % (os.path.relpath(path), len(tensors), os.path.getsize(path)))


def params_json(p):
    return json.dumps(p, separators=(",", ":"), sort_keys=True)


def rand(*shape, lo=-1.0, hi=1.0):
    """float32 uniform on [lo, hi), returned as float64 holding float32 values."""
    return (torch.rand(*shape, dtype=torch.float32) * (hi - lo) + lo).double()


def randn(*shape, scale=1.0, shift=0.0):
    return (torch.randn(*shape, dtype=torch.float32) * scale + shift).double()


def leaf(t):
    return t.clone().requires_grad_(True)


class Writer:
    """Collects the tensors and metadata of one file."""

    def __init__(self, name):
        self.name = name
        self.tensors = {}
        self.meta = {"generator": "testdata/gen/gen.py", "torch": torch.__version__}

    def case(self, case, params, **tensors):
        assert case not in self.meta
        self.meta[case] = params_json(params)
        for k, v in tensors.items():
            self.tensors[case + "/" + k] = v

    def save(self):
        write_safetensors(os.path.join(OUT, self.name), self.tensors, self.meta)


def conv_out(size, k, s, p, d):
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def gen_conv2d():
    torch.manual_seed(1)
    w = Writer("conv2d.safetensors")
    n, c, h, wd = 2, 4, 11, 9
    cases = []
    # The grid: square parameters, every combination with a non-empty output.
    # Dilation does nothing to a 1×1 kernel, so that pair is left out.
    for groups, stride, pad, dil, k in itertools.product((1, 2, c), (1, 2), (0, 1, 2), (1, 2), (1, 3, 5, 7)):
        if k == 1 and dil > 1:
            continue
        cases.append(dict(groups=groups, stride=[stride, stride], padding=[pad, pad],
                          dilation=[dil, dil], kernel=[k, k], n=n, c=c, h=h, w=wd))
    # Asymmetric strides, paddings, dilations and kernels, odd channel counts.
    extra = [
        dict(groups=1, stride=[2, 1], padding=[1, 0], dilation=[1, 1], kernel=[3, 3]),
        dict(groups=2, stride=[1, 3], padding=[0, 2], dilation=[2, 1], kernel=[3, 5]),
        dict(groups=1, stride=[3, 2], padding=[2, 1], dilation=[1, 3], kernel=[5, 1]),
        dict(groups=4, stride=[2, 1], padding=[0, 1], dilation=[1, 1], kernel=[1, 3]),
        dict(groups=1, stride=[1, 1], padding=[3, 0], dilation=[1, 1], kernel=[7, 2]),
        dict(groups=3, stride=[2, 2], padding=[1, 1], dilation=[1, 1], kernel=[3, 3], n=3, c=6, cout=9, h=8, w=10),
        dict(groups=1, stride=[1, 1], padding=[0, 0], dilation=[1, 1], kernel=[3, 3], n=1, c=3, cout=5, h=3, w=3),
        dict(groups=1, stride=[1, 1], padding=[1, 1], dilation=[1, 1], kernel=[3, 3], n=1, c=1, cout=1, h=1, w=1),
    ]
    for e in extra:
        cases.append({"n": n, "c": c, "h": h, "w": wd, **e})

    i = 0
    for p in cases:
        kh, kw = p["kernel"]
        ho = conv_out(p["h"], kh, p["stride"][0], p["padding"][0], p["dilation"][0])
        wo = conv_out(p["w"], kw, p["stride"][1], p["padding"][1], p["dilation"][1])
        if ho < 1 or wo < 1:
            continue
        g = p["groups"]
        cin = p["c"]
        cout = p.get("cout", cin if g == cin else 6)
        x = leaf(randn(p["n"], cin, p["h"], p["w"]))
        wt = leaf(randn(cout, cin // g, kh, kw, scale=(cin // g * kh * kw) ** -0.5))
        b = leaf(randn(cout))
        y = F.conv2d(x, wt, b, stride=p["stride"], padding=p["padding"], dilation=p["dilation"], groups=g)
        dy = randn(*y.shape)
        y.backward(dy)
        meta = {k: p[k] for k in ("stride", "padding", "dilation", "groups")}
        w.case("case%03d" % i, meta, x=x, w=wt, b=b, y=y, dy=dy, dx=x.grad, dw=wt.grad, db=b.grad)
        i += 1
    w.save()


def gen_matmul():
    torch.manual_seed(2)
    w = Writer("matmul.safetensors")
    # (stored a shape, stored b shape, transA, transB): a is [..., K, M]
    # when transA, b is [..., N, K] when transB, as in tensor.MatMul.
    cases = [
        ((3, 5), (5, 4), False, False),
        ((1, 7), (7, 1), False, False),
        ((4, 1), (1, 3), False, False),
        ((5, 3), (5, 4), True, False),
        ((3, 5), (4, 5), False, True),
        ((5, 3), (4, 5), True, True),
        ((67, 45), (45, 53), False, False),
        ((70, 33), (29, 70), True, True),
        ((2, 3, 4), (2, 4, 5), False, False),
        ((2, 1, 3, 4), (5, 4, 2), False, False),
        ((3, 4), (2, 4, 5), False, False),
        ((2, 3, 4), (4, 5), False, False),
        ((4, 6, 3), (1, 6, 2), True, False),
        ((3, 1, 2, 5), (4, 7, 5), False, True),
        ((2, 9, 17), (2, 3, 9), True, True),
    ]
    for i, (sa, sb, ta, tb) in enumerate(cases):
        a = leaf(randn(*sa))
        b = leaf(randn(*sb))
        ea = a.transpose(-1, -2) if ta else a
        eb = b.transpose(-1, -2) if tb else b
        y = torch.matmul(ea, eb)
        dy = randn(*y.shape)
        y.backward(dy)
        w.case("case%03d" % i, {"transA": ta, "transB": tb}, a=a, b=b, y=y, dy=dy, da=a.grad, db=b.grad)
    w.save()


def gen_batchnorm():
    torch.manual_seed(3)
    w = Writer("batchnorm.safetensors")
    momentum = 0.1
    cases = [
        ((3, 5, 4, 6), 1e-5, 1.0, 0.0),
        ((3, 5, 4, 6), 1e-3, 1.0, 0.0),
        ((8, 7), 1e-5, 1.0, 0.0),
        ((8, 7), 1e-3, 1.0, 0.0),
        ((1, 3, 5, 5), 1e-5, 0.5, 0.0),
        ((2, 4, 3, 3), 1e-5, 3.0, 5.0),  # large mean relative to the spread
        ((16, 3), 1e-5, 2.0, -4.0),
    ]
    for i, (shape, eps, scale, shift) in enumerate(cases):
        c = shape[1]
        dims = [0] + list(range(2, len(shape)))
        x = leaf(randn(*shape, scale=scale, shift=shift))
        gamma = leaf(randn(c, scale=0.5, shift=1.0))
        beta = leaf(randn(c, scale=0.5))
        rm0 = randn(c, scale=0.2)
        rv0 = rand(c, lo=0.5, hi=1.5)
        rm, rv = rm0.clone(), rv0.clone()
        y = F.batch_norm(x, rm, rv, gamma, beta, training=True, momentum=momentum, eps=eps)
        dy = randn(*y.shape)
        y.backward(dy)
        mean = x.detach().mean(dim=dims)
        var = x.detach().var(dim=dims, unbiased=False)
        tensors = dict(x=x, gamma=gamma, beta=beta, dy=dy, y=y, dx=x.grad, dgamma=gamma.grad, dbeta=beta.grad,
                       mean=mean, var=var, running_mean0=rm0, running_var0=rv0, running_mean=rm, running_var=rv)

        # Eval mode with the initial running statistics, and its grads.
        xe, ge, be = leaf(x.detach()), leaf(gamma.detach()), leaf(beta.detach())
        ye = F.batch_norm(xe, rm0.clone(), rv0.clone(), ge, be, training=False, eps=eps)
        ye.backward(dy)
        tensors.update(y_eval=ye, dx_eval=xe.grad, dgamma_eval=ge.grad, dbeta_eval=be.grad)
        w.case("case%03d" % i, {"eps": eps, "momentum": momentum}, **tensors)
    w.save()


def gen_softmax():
    torch.manual_seed(4)
    w = Writer("softmax.safetensors")
    # Cross entropy: mean over the batch, labels stored as float.
    ce = [((6, 5), 0.0, 1.0), ((6, 5), 0.1, 1.0), ((4, 10), 0.0, 3.0), ((4, 10), 0.1, 3.0),
          ((5, 7), 0.1, 40.0), ((1, 3), 0.0, 1.0), ((1, 3), 0.1, 1.0)]
    for i, (shape, smoothing, scale) in enumerate(ce):
        n, k = shape
        logits = leaf(randn(n, k, scale=scale))
        labels = torch.randint(0, k, (n,))
        loss = F.cross_entropy(logits, labels, label_smoothing=smoothing)
        loss.backward()
        logp = leaf(F.log_softmax(logits.detach(), dim=1))
        nll = F.nll_loss(logp, labels)
        nll.backward()
        w.case("ce%03d" % i, {"smoothing": smoothing}, logits=logits, labels=labels.double(), loss=loss,
               dlogits=logits.grad, logp=logp, nll=nll, dlogp=logp.grad)
    # Softmax and log-softmax along every axis, with random upstream grads.
    sm = [((3, 4, 5), 0, 1.0), ((3, 4, 5), 1, 1.0), ((3, 4, 5), 2, 1.0), ((3, 4, 5), -1, 1.0),
          ((7, 11), 0, 2.0), ((7, 11), 1, 2.0), ((2, 6), 1, 60.0), ((4, 1), 1, 1.0), ((9,), 0, 1.0)]
    for i, (shape, axis, scale) in enumerate(sm):
        x = randn(*shape, scale=scale)
        dy = randn(*shape)
        xs, xl = leaf(x), leaf(x)
        ys = F.softmax(xs, dim=axis)
        ys.backward(dy)
        yl = F.log_softmax(xl, dim=axis)
        yl.backward(dy)
        w.case("sm%03d" % i, {"axis": axis}, x=x, dy=dy, softmax=ys, dsoftmax=xs.grad,
               logsoftmax=yl, dlogsoftmax=xl.grad)
    w.save()


def gen_pool():
    torch.manual_seed(5)
    w = Writer("pool.safetensors")
    shape = (2, 3, 7, 8)
    i = 0

    def add(op, x, y, dy, dx, **params):
        nonlocal i
        w.case("case%03d" % i, {"op": op, **params}, x=x, y=y, dy=dy, dx=dx)
        i += 1

    avg = [([k, k], [s, s], [p, p]) for k, s, p in itertools.product((2, 3), (1, 2), (0, 1))]
    avg += [([2, 3], [1, 2], [0, 1]), ([3, 2], [2, 1], [1, 0])]
    for (kernel, stride, padding), cip in itertools.product(avg, (True, False)):
        x = leaf(randn(*shape))
        y = F.avg_pool2d(x, kernel, stride, padding, count_include_pad=cip)
        dy = randn(*y.shape)
        y.backward(dy)
        add("avg", x, y, dy, x.grad, kernel=kernel, stride=stride, padding=padding, count_include_pad=cip)
    for kernel, stride, padding in avg:
        x = leaf(randn(*shape))
        y, idx = F.max_pool2d(x, kernel, stride, padding, return_indices=True)
        dy = randn(*y.shape)
        y.backward(dy)
        w.tensors["case%03d/argmax" % i] = idx.double()
        add("max", x, y, dy, x.grad, kernel=kernel, stride=stride, padding=padding)
    for s in (shape, (3, 4, 1, 1), (1, 2, 5, 3)):
        x = leaf(randn(*s))
        y = F.adaptive_avg_pool2d(x, 1)
        dy = randn(*y.shape)
        y.backward(dy)
        add("global", x, y, dy, x.grad)
    w.save()


def gen_activation():
    torch.manual_seed(6)
    w = Writer("activation.safetensors")
    fns = {
        "relu": F.relu,
        "relu6": F.relu6,
        "sigmoid": torch.sigmoid,
        "silu": F.silu,
        "hardswish": F.hardswish,
        "hardsigmoid": F.hardsigmoid,
        "tanh": torch.tanh,
    }
    kinks = torch.tensor([-3.0, 0.0, 3.0, 6.0], dtype=torch.float64)
    # Random inputs on [-8, 8), pushed at least 0.05 away from every kink.
    x = rand(6, 50, lo=-8.0, hi=8.0)
    d = x.unsqueeze(-1) - kinks
    near = d.abs() < 0.05
    x = x + (near * torch.where(d >= 0, 0.05 - d, -0.05 - d)).sum(-1)
    x = x.float().double()
    # Exactly at and next to the kinks, where the subgradient convention
    # matters, plus large magnitudes.
    at = torch.tensor([-30.0, -6.0, -3.0, -2.5, -0.0, 0.0, 0.5, 3.0, 3.5, 6.0, 6.5, 30.0], dtype=torch.float32).double()
    for name, xin in (("random", x), ("kinks", at)):
        dy = randn(*xin.shape)
        tensors = {"x": xin, "dy": dy}
        for fn_name, fn in fns.items():
            if name == "kinks":
                # One element at a time. PyTorch 1.13's vectorized and
                # scalar CPU kernels disagree on hardswish'(3): the
                # vectorized one (used for tensors of 8 or more doubles)
                # gives 1, the scalar one gives 1.5, the formula of
                # hardswish_backward in its source (grad·(x/3 + 1/2) for
                # -3 <= x <= 3). Single elements always take the scalar
                # path, so the stored convention is the documented one.
                ys, dxs = [], []
                for j in range(len(xin)):
                    xv = leaf(xin[j:j + 1])
                    y = fn(xv)
                    y.backward(dy[j:j + 1])
                    ys.append(y.detach())
                    dxs.append(xv.grad)
                y, dx = torch.cat(ys), torch.cat(dxs)
            else:
                xv = leaf(xin)
                y = fn(xv)
                y.backward(dy)
                dx = xv.grad
            tensors[fn_name + "/y"] = y
            tensors[fn_name + "/dx"] = dx
        w.case(name, {}, **tensors)
    w.save()


def main():
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    gen_conv2d()
    gen_matmul()
    gen_batchnorm()
    gen_softmax()
    gen_pool()
    gen_activation()
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT) if f.endswith(".safetensors"))
    print("total %d bytes" % total)
    if total > 3 << 20:
        sys.exit("reference data exceeds 3 MB")


if __name__ == "__main__":
    main()
