"""autonl's networks in PyTorch, with autonl's state-dict names.

This module builds a torch.nn.Module from autonl's arch strings (one block
per line, in the grammar of the AutoNL paper's released code, such as
``r1_k5_s22_e6_i40_o80_se0.25_nonlocal0.25-2``) with exactly the modules,
parameter names and computation of Go's ``models.Net`` (torchvision
MobileNetV2's layout: ``features.0`` the stem, ``features.1`` … the MBConv
layers as ``features.N.conv.M…``, then the head; ``classifier.1`` the
fully connected layer), so that checkpoints move both ways:

    import autonl_torch
    model, meta = autonl_torch.load("net.safetensors")   # written by Go
    ...train with PyTorch (see train_ddp.py)...
    autonl_torch.save("trained.safetensors", model)      # Go reads it

``load`` reads files that carry the network's description (metadata
``autonl.net``, Go's ``models.Spec`` as JSON): those of
``autonl export -format safetensors`` and of ``save`` here. ``from_arch``
builds a fresh network from an arch file, such as the ``arch.txt`` of
``autonl search`` or ``autonl train``.

It needs only PyTorch (Debian's python3-torch 1.13 is enough): the
safetensors format is read and written here (an 8-byte little-endian
header length, a JSON header, the raw tensor data), so the ``safetensors``
package is not needed.
"""

import json
import math
import os
import struct
import tempfile

import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = [
    "SPEC_KEY", "read_safetensors", "write_safetensors", "parse_arch", "BlockSpec",
    "ConvBNAct", "SqueezeExcitation", "LightNL", "InvertedResidual", "Net",
    "build", "from_arch", "load", "save",
]

SPEC_KEY = "autonl.net"
"""Metadata key of the network description (Go's models.SpecKey)."""

TRAIN_KEY = "autonl.train"  # metadata of autonl train's training checkpoints

# Limits on the sizes of a network, the same as Go's (models.MaxWidth and the
# others; docs/limits.md says why each is what it is). Every size read from a
# file is checked against them before anything is allocated, and the
# network's weights are checked against the memory this process may use.
MAX_WIDTH = 1 << 14      # channels of any layer: input, stem, hidden, output, head
MAX_CLASSES = 1 << 17
MAX_KERNEL = 31
MAX_STRIDE = 9           # depthwise strides and the LightNL key stride
MAX_EXPAND = 64
MAX_REPEATS = 64
MAX_LAYERS = 1024
MAX_QUOTE = 60           # the most characters of a block string an error quotes


def _excerpt(text):
    """repr(text), or for a long text that of its first MAX_QUOTE characters
    and its length."""
    if len(text) <= MAX_QUOTE:
        return repr(text)
    return "%r… (%d characters)" % (text[:MAX_QUOTE], len(text))


def _available_memory():
    """Bytes this process may still allocate: the least of the machine's
    available memory and the address-space limit (ulimit -v), or None if
    neither can be read."""
    limits = []
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    limits.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        pass
    try:
        import resource
        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft != resource.RLIM_INFINITY:
            used = 0
            with open("/proc/self/status") as f:
                for line in f:
                    if line.startswith("VmSize:"):
                        used = int(line.split()[1]) * 1024
            limits.append(max(soft - used, 0))
    except (ImportError, OSError, ValueError, IndexError):
        pass
    return min(limits) if limits else None

# ---------------------------------------------------------------------------
# safetensors

_DTYPES = {
    "F64": (torch.float64, 8), "F32": (torch.float32, 4), "F16": (torch.float16, 2),
    "BF16": (torch.bfloat16, 2), "I64": (torch.int64, 8), "I32": (torch.int32, 4),
    "I16": (torch.int16, 2), "I8": (torch.int8, 1), "U8": (torch.uint8, 1), "BOOL": (torch.bool, 1),
}
_NAMES = {dt: name for name, (dt, _) in _DTYPES.items()}


def read_safetensors(path):
    """Return (tensors, metadata) of a .safetensors file: a dict of name to
    CPU tensor and the header's ``__metadata__`` dict (empty if none).
    Raises ValueError naming the file and what is wrong."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError("%s: not a safetensors file (%d bytes, shorter than the 8-byte header length)" % (path, len(data)))
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        raise ValueError("%s: header length %d exceeds the file's %d bytes" % (path, n, len(data)))
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError("%s: header is not JSON: %s" % (path, e)) from None
    if not isinstance(header, dict):
        raise ValueError("%s: header is not a JSON object" % path)
    meta = header.pop("__metadata__", None) or {}
    body = memoryview(data)[8 + n:]
    tensors = {}
    for name, info in header.items():
        try:
            dtype, size = _DTYPES[info["dtype"]]
            shape = [int(d) for d in info["shape"]]
            begin, end = (int(o) for o in info["data_offsets"])
        except (KeyError, TypeError, ValueError):
            raise ValueError("%s: tensor %r: bad entry %r" % (path, name, info)) from None
        count = math.prod(shape)
        if not (0 <= begin <= end <= len(body)) or end - begin != count * size:
            raise ValueError("%s: tensor %r: offsets [%d, %d) do not hold %s %s" % (path, name, begin, end, shape, info["dtype"]))
        raw = bytearray(body[begin:end])
        t = torch.frombuffer(raw, dtype=dtype) if count else torch.empty(0, dtype=dtype)
        tensors[name] = t.reshape(shape)
    return tensors, dict(meta)


def write_safetensors(path, tensors, metadata=None):
    """Write tensors (name -> tensor) and string metadata to a .safetensors
    file, atomically (a temporary file in the same directory, renamed).
    Tensors keep their dtype; names are sorted, the header padded to a
    multiple of 8 bytes."""
    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in sorted(metadata.items())}
    chunks, offset = [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        if t.dtype not in _NAMES:
            raise ValueError("tensor %r: dtype %s has no safetensors name" % (name, t.dtype))
        raw = t.numpy().tobytes() if t.dtype != torch.bfloat16 else t.view(torch.int16).numpy().tobytes()
        header[name] = {"dtype": _NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(struct.pack("<Q", len(text)))
            f.write(text)
            for c in chunks:
                f.write(c)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


# ---------------------------------------------------------------------------
# arch strings


class BlockSpec:
    """One block string: ``repeats`` MBConv layers sharing kernel, expansion,
    squeeze-excite and LightNL settings (see Go's models.BlockSpec)."""

    __slots__ = ("repeats", "kernel", "strides", "expand", "inp", "out", "se", "noskip", "nl_ratio", "nl_stride")

    def __init__(self, repeats, kernel, strides, expand, inp, out, se=0.0, noskip=False, nl_ratio=0.0, nl_stride=0):
        self.repeats, self.kernel, self.strides, self.expand = repeats, kernel, tuple(strides), expand
        self.inp, self.out, self.se, self.noskip = inp, out, se, noskip
        self.nl_ratio, self.nl_stride = nl_ratio, nl_stride

    def has_skip(self):
        return self.strides == (1, 1) and self.inp == self.out and not self.noskip

    def hidden(self):
        return _round(self.inp * self.expand)

    def se_width(self):
        return max(1, _round(self.inp * self.se)) if self.se else 0

    def __repr__(self):
        s = "r%d_k%d_s%d%d_e%s_i%d_o%d" % (self.repeats, self.kernel, self.strides[0], self.strides[1], _num(self.expand), self.inp, self.out)
        if self.se:
            s += "_se" + _num(self.se)
        if self.noskip:
            s += "_noskip"
        if self.nl_ratio:
            s += "_nonlocal" + _num(self.nl_ratio) + ("-%d" % self.nl_stride if self.nl_stride != 1 else "")
        return s


def _round(x):
    """Go's math.Round for x ≥ 0: halves away from zero (Python rounds them to even)."""
    return int(math.floor(x + 0.5))


def _num(x):
    return ("%.10g" % x) if x != int(x) else "%d" % int(x)


def _parse_number(tok, val, integer):
    ok = val != "" and all(c.isdigit() or (c == "." and not integer) for c in val) and val.count(".") <= 1 \
        and not val.startswith(".") and not val.endswith(".")
    if not ok:
        raise ValueError("token %s: not a plain %s" % (_excerpt(tok), "integer" if integer else "number"))
    return int(val) if integer else float(val)


def parse_block(text):
    """Parse one block string; raise ValueError naming the token."""
    fields = {}
    for tok in text.strip().split("_"):
        n = 0
        while n < len(tok) and "a" <= tok[n] <= "z":
            n += 1
        key, val = tok[:n], tok[n:]
        if key in fields:
            raise ValueError("duplicate token %s" % _excerpt(tok))
        if key in ("r", "k", "i", "o"):
            fields[key] = _parse_number(tok, val, True)
        elif key in ("e", "se"):
            fields[key] = _parse_number(tok, val, False)
        elif key == "s":
            if len(val) not in (1, 2) or not val.isdigit() or "0" in val:
                raise ValueError("token %r: strides are one or two digits 1-9" % tok)
            fields[key] = (int(val[0]), int(val[-1]))
        elif key == "noskip" and val == "":
            fields[key] = True
        elif key == "nonlocal":
            ratio, _, stride = val.partition("-")
            fields[key] = (_parse_number(tok, ratio, False), _parse_number(tok, stride, True) if stride else 1)
        else:
            raise ValueError("unknown token %s (want r, k, s, e, i, o, se, noskip or nonlocal)" % _excerpt(tok))
    missing = [k for k in ("r", "k", "s", "e", "i", "o") if k not in fields]
    if missing:
        raise ValueError("missing token%s %s" % ("s" if len(missing) > 1 else "", ", ".join(missing)))
    nl = fields.get("nonlocal", (0.0, 0))
    b = BlockSpec(fields["r"], fields["k"], fields["s"], fields["e"], fields["i"], fields["o"],
                  fields.get("se", 0.0), fields.get("noskip", False), nl[0], nl[1])
    if b.repeats < 1 or b.kernel < 1 or b.kernel % 2 == 0 or b.expand <= 0 or b.inp < 1 or b.out < 1:
        raise ValueError("repeats, kernel (odd), expansion and widths must be positive")
    if not 0 <= b.se <= 1 or not 0 <= b.nl_ratio <= 1 or (b.nl_ratio and b.nl_stride < 1):
        raise ValueError("ratios must be in (0, 1] and the key stride at least 1")
    for what, v, limit in (("repeats", b.repeats, MAX_REPEATS), ("kernel size", b.kernel, MAX_KERNEL),
                           ("expansion ratio", b.expand, MAX_EXPAND), ("input width", b.inp, MAX_WIDTH),
                           ("output width", b.out, MAX_WIDTH), ("hidden width", b.hidden(), MAX_WIDTH),
                           ("LightNL key stride", b.nl_stride, MAX_STRIDE)):
        if v > limit:
            raise ValueError("%s %s must be at most %d" % (what, _num(v), limit))
    return b


def parse_arch(text):
    """Parse arch text, one block string per line; '#' starts a comment.
    Raise ValueError naming the line."""
    blocks = []
    for no, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            blocks.append(parse_block(line))
        except ValueError as e:
            raise ValueError("arch line %d %s: %s" % (no, _excerpt(line), e)) from None
        if sum(b.repeats for b in blocks) > MAX_LAYERS:
            raise ValueError("arch line %d: the network has more than %d layers" % (no, MAX_LAYERS))
    if not blocks:
        raise ValueError("arch: no blocks")
    for a, b in zip(blocks, blocks[1:]):
        if b.inp != a.out:
            raise ValueError("arch: block %r takes %d channels but %r gives %d" % (b, b.inp, a, a.out))
    return blocks


def expand(blocks):
    """One BlockSpec per layer: repeats after the first get stride 1 and
    input width out (Go's models.Unroll)."""
    layers = []
    for b in blocks:
        for r in range(b.repeats):
            layers.append(BlockSpec(1, b.kernel, b.strides if r == 0 else (1, 1), b.expand,
                                    b.inp if r == 0 else b.out, b.out, b.se, b.noskip, b.nl_ratio, b.nl_stride))
    return layers


# ---------------------------------------------------------------------------
# modules

_ACTIVATIONS = {
    "relu": nn.ReLU, "relu6": nn.ReLU6, "silu": nn.SiLU, "swish": nn.SiLU,
    "hardswish": nn.Hardswish, "sigmoid": nn.Sigmoid, "hardsigmoid": nn.Hardsigmoid,
}


def activation(name):
    """A new activation module by its PyTorch name (ReLU, ReLU6, SiLU,
    Hardswish, Sigmoid, Hardsigmoid; case ignored)."""
    try:
        return _ACTIVATIONS[name.lower()]()
    except KeyError:
        raise ValueError("unknown activation %r (valid: ReLU, ReLU6, SiLU, Hardswish, Sigmoid, Hardsigmoid)" % name) from None


class ConvBNAct(nn.Sequential):
    """k×k conv (padding k//2, no bias), BN and an optional activation:
    torchvision's Conv2dNormActivation, children "0", "1", "2"."""

    def __init__(self, inp, out, kernel, stride, groups, bn, act):
        layers = [nn.Conv2d(inp, out, kernel, stride, kernel // 2, groups=groups, bias=False),
                  nn.BatchNorm2d(out, **bn)]
        if act is not None:
            layers.append(act)
        super().__init__(*layers)


class SqueezeExcitation(nn.Module):
    """x·gate(fc2(act(fc1(avgpool(x))))), with torchvision's names."""

    def __init__(self, channels, reduced, act, gate):
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, reduced, 1)
        self.fc2 = nn.Conv2d(reduced, channels, 1)
        self.activation = act
        self.scale_activation = gate

    def forward(self, x):
        return self.scale_activation(self.fc2(self.activation(self.fc1(self.avgpool(x))))) * x


def reduced_channels(c, ratio):
    """⌊r·C⌋ (with Go's 1e-9 tolerance)."""
    return int(math.floor(ratio * c + 1e-9))


class LightNL(nn.Module):
    """The LightNL block of AutoNL: z = x + BN(DW3×3(V·(KᵀQ)/(H·W))), with
    Q the first ⌊r·C⌋ channels of x, K those of xs = x[:, :, ::s, ::s] and
    V all of xs; children "conv" and "bn" (Go's lightnl.Block). The
    product is associated as the Go block does for the input size: the
    cheaper order, (V·Kᵀ)·Q unless (KᵀQ) first is strictly cheaper."""

    def __init__(self, channels, ratio, stride, bn):
        super().__init__()
        self.channels, self.ratio, self.stride = channels, ratio, max(stride, 1)
        self.reduced = reduced_channels(channels, ratio)
        if self.reduced < 1:
            raise ValueError("LightNL ratio %g leaves no query channel at width %d" % (ratio, channels))
        self.conv = nn.Conv2d(channels, channels, 3, padding=1, groups=channels, bias=False)
        self.bn = nn.BatchNorm2d(channels, **bn)
        nn.init.zeros_(self.bn.weight)  # a fresh block is the identity

    def order(self, h, w):
        hw, m, c, rc = h * w, (h // self.stride) * (w // self.stride), self.channels, self.reduced
        return "A" if hw * m * (rc + c) < (hw + m) * c * rc else "B"

    def forward(self, x):
        n, c, h, w = x.shape
        s, rc = self.stride, self.reduced
        xs = x[:, :, ::s, ::s] if s > 1 else x
        q = x[:, :rc].reshape(n, rc, h * w)
        k = xs[:, :rc].reshape(n, rc, -1)
        v = xs.reshape(n, c, -1)
        scale = 1.0 / (h * w)
        if self.order(h, w) == "A":
            y = torch.bmm(v, torch.bmm(k.transpose(1, 2), q)) * scale
        else:
            y = torch.bmm(torch.bmm(v, k.transpose(1, 2)) * scale, q)
        return x + self.bn(self.conv(y.reshape(n, c, h, w)))

    def extra_repr(self):
        return "%d, ratio=%r, stride=%d" % (self.channels, self.ratio, self.stride)


class InvertedResidual(nn.Module):
    """One MBConv layer (Go's models.MBConv): conv = Sequential(expansion
    ConvBNAct if e ≠ 1, depthwise ConvBNAct, SqueezeExcitation if se,
    projection Conv2d, BN, LightNL if any), plus the input when the layer
    has an identity skip."""

    def __init__(self, b, act, gate, bn):
        super().__init__()
        hidden = b.hidden()
        layers = []
        if b.expand != 1:
            layers.append(ConvBNAct(b.inp, hidden, 1, 1, 1, bn, activation(act)))
        layers.append(ConvBNAct(hidden, hidden, b.kernel, b.strides, hidden, bn, activation(act)))
        if b.se:
            layers.append(SqueezeExcitation(hidden, b.se_width(), activation(act), activation(gate)))
        layers.append(nn.Conv2d(hidden, b.out, 1, bias=False))
        layers.append(nn.BatchNorm2d(b.out, **bn))
        if b.nl_ratio:
            layers.append(LightNL(b.out, b.nl_ratio, b.nl_stride, bn))
        self.conv = nn.Sequential(*layers)
        self.use_res_connect = b.has_skip()

    def forward(self, x):
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


class Net(nn.Module):
    """A network of MBConv layers with torchvision MobileNetV2's layout and
    names: features (stem, layers, head), global average pooling,
    classifier (Dropout, Linear). ``spec`` is its description (Go's
    models.Spec) as a dict, which ``save`` stores."""

    def __init__(self, spec):
        super().__init__()
        self.spec = dict(spec)
        layers = [b for b in parse_arch(spec["arch"])]
        if any(b.repeats != 1 for b in layers):
            raise ValueError("spec arch: every line must be one layer (r1)")
        bn = {"eps": spec["bn_eps"], "momentum": spec["bn_momentum"]}
        act, gate = spec["activation"], spec["se_gate"]
        s = spec["stem_stride"]
        features = [ConvBNAct(spec["input_channels"], layers[0].inp, 3, s, 1, bn, activation(act))]
        features += [InvertedResidual(b, act, gate, bn) for b in layers]
        features.append(ConvBNAct(layers[-1].out, spec["head_width"], 1, 1, 1, bn, activation(act)))
        self.features = nn.Sequential(*features)
        self.classifier = nn.Sequential(nn.Dropout(spec.get("dropout", 0.0)), nn.Linear(spec["head_width"], spec["classes"]))

    def forward(self, x):
        x = F.adaptive_avg_pool2d(self.features(x), 1).flatten(1)
        return self.classifier(x)


def build(spec):
    """A fresh Net (PyTorch's default initialization) from a spec dict, or
    from its JSON text."""
    if isinstance(spec, str):
        spec = json.loads(spec)
    required = ("arch", "input_channels", "stem_stride", "head_width", "classes", "activation", "se_gate", "bn_momentum", "bn_eps")
    missing = [k for k in required if k not in spec]
    if missing:
        raise ValueError("spec lacks %s" % ", ".join(missing))
    for key, limit in (("input_channels", MAX_WIDTH), ("stem_stride", MAX_STRIDE), ("head_width", MAX_WIDTH),
                       ("classes", MAX_CLASSES)):
        v = spec[key]
        if not isinstance(v, int) or isinstance(v, bool) or not 1 <= v <= limit:
            raise ValueError("spec %s is %s, want 1 to %d" % (key, str(v)[:MAX_QUOTE], limit))
    if not isinstance(spec["arch"], str):
        raise ValueError("spec arch is not text")
    need = 4 * _count_params(spec)
    avail = _available_memory()
    if avail is not None and need > avail:
        raise ValueError("the network of the spec (%d parameters) needs about %.1f GiB of memory for its weights; "
                         "this process may use %.1f GiB" % (need // 4, need / 2**30, avail / 2**30))
    return Net(spec)


def _count_params(spec):
    """The parameters of the network of spec (Go's models.CountArch), counted
    without building it."""
    layers = parse_arch(spec["arch"])
    w = layers[0].inp
    n = spec["input_channels"] * 9 * w + 2 * w  # stem
    for b in layers:
        h = b.hidden()
        if b.expand != 1:
            n += b.inp * h + 2 * h
        n += b.kernel * b.kernel * h + 2 * h
        if b.se:
            r = b.se_width()
            n += 2 * h * r + r + h
        n += h * b.out + 2 * b.out
        if b.nl_ratio:
            n += 11 * b.out
    head = spec["head_width"]
    return n + layers[-1].out * head + 2 * head + head * spec["classes"] + spec["classes"]


def from_arch(text, classes, *, input_channels=3, stem_stride=2, head_width=1280, dropout=0.2,
              activation="SiLU", se_gate="Sigmoid", bn_eps=1e-3, bn_momentum=0.01, name="Net"):
    """A fresh Net from arch text (blocks with repeats, as autonl search and
    autonl train write arch.txt; widths as they are, no multiplier). The
    defaults are the AutoNL paper's: swish, sigmoid squeeze-excite gates,
    stem stride 2, head 1280, dropout 0.2, BN eps 1e-3 and momentum 0.01."""
    layers = expand(parse_arch(text))
    return build({
        "name": name, "arch": "".join(repr(b) + "\n" for b in layers), "input_channels": input_channels,
        "stem_stride": stem_stride, "head_width": head_width, "classes": classes, "dropout": dropout,
        "activation": activation, "se_gate": se_gate, "bn_momentum": bn_momentum, "bn_eps": bn_eps,
    })


def load(path, strict=True):
    """Build the network a file describes and load its weights (strictly by
    default: every name and shape must match). Return (model in eval mode,
    metadata). Raises ValueError for a file without a description."""
    tensors, meta = read_safetensors(path)
    if SPEC_KEY not in meta:
        if TRAIN_KEY in meta:
            raise ValueError("%s is a training checkpoint of autonl train; write the network with its weights first: "
                             "autonl export -checkpoint %s -format safetensors -o net.safetensors" % (path, path))
        raise ValueError("%s has no %r metadata: it does not describe an autonl network" % (path, SPEC_KEY))
    model = build(meta[SPEC_KEY])
    state = model.state_dict()
    for name, t in tensors.items():
        if name in state and state[name].dtype != t.dtype:
            tensors[name] = t.to(state[name].dtype)  # num_batches_tracked: float32 in Go, int64 here
    model.load_state_dict(tensors, strict=strict)
    return model.eval(), meta


def save(path, model, metadata=None):
    """Write model's state dict and its spec (metadata ``autonl.net``) to a
    .safetensors file that Go's models.Load, autonl export and ``load``
    read. A DistributedDataParallel wrapper is unwrapped."""
    model = getattr(model, "module", model)
    meta = dict(metadata or {})
    meta[SPEC_KEY] = json.dumps(model.spec, separators=(",", ":"))
    write_safetensors(path, {k: v for k, v in model.state_dict().items()}, meta)
