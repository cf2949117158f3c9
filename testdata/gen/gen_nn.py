#!/usr/bin/python3
"""Reference data for package nn's layers and state dicts, and the check that
a checkpoint written by Go loads in PyTorch.

Generate (run from anywhere, with Debian's python3-torch and
python3-torchvision; the safetensors Python module is not needed):

    /usr/bin/python3 testdata/gen/gen_nn.py

It builds a small torch.nn.Sequential from the layers that package nn
mirrors (grouped and depthwise Conv2d with and without bias, BatchNorm2d with
default and MnasNet-style eps/momentum, ReLU6, Hardswish, SiLU,
torchvision's SqueezeExcitation with fc1/fc2, Dropout, AvgPool2d,
AdaptiveAvgPool2d, Flatten, Linear) with seeded weights, batch norm
parameters and nontrivial running statistics, and writes two files into
testdata/:

    nn_state.safetensors  the model's state_dict, exactly as
                          safetensors.torch.save_file would store it
                          (float32 tensors, num_batches_tracked as I64)
    nn_ref.safetensors    case "model", read by internal/testref:
        x, labels                  an input batch and its labels
        y_eval                     the eval-mode output
        y_train                    the train-mode output with dropout p=0
        loss                       cross-entropy of y_train, smoothing 0.1
        grad/<param>               ∂loss/∂param for every parameter
        after/<buffer>             every buffer after that train-mode pass
      and metadata "model": {"label_smoothing", "dropout", "repr", "keys"},
      repr being what PyTorch prints for the model and keys the names of
      its state_dict in PyTorch's order.

Reference values are computed in float64 from the stored float32 values and
rounded to float32 once, as in gen.py, whose writer this script reuses. The
Go tests (nn/reference_test.go) read only these files.

Check a Go checkpoint (the manual PyTorch round trip):

    go test ./nn -run TestWriteForPyTorch -args -write=/tmp/x.safetensors
    /usr/bin/python3 testdata/gen/gen_nn.py --check /tmp/x.safetensors

The Go test builds the same structure with nn's own initialization, runs
two train-mode passes so that the running statistics move, and saves it
with nn.Save, putting its eval-mode output for the reference input x into
the file's metadata. --check reads that file with a plain reader, loads it
with load_state_dict(strict=True) into the model built here, runs it in
eval mode on x and compares with Go's output; it exits with status 1 if
anything differs.
"""

import argparse
import json
import os
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen import OUT, write_safetensors  # noqa: E402  (the shared writer)

try:
    from torchvision.ops import SqueezeExcitation
except ImportError:  # the same module as torchvision 0.14's
    class SqueezeExcitation(nn.Module):
        def __init__(self, input_channels, squeeze_channels, activation=nn.ReLU, scale_activation=nn.Sigmoid):
            super().__init__()
            self.avgpool = nn.AdaptiveAvgPool2d(1)
            self.fc1 = nn.Conv2d(input_channels, squeeze_channels, 1)
            self.fc2 = nn.Conv2d(squeeze_channels, input_channels, 1)
            self.activation = activation()
            self.scale_activation = scale_activation()

        def forward(self, x):
            s = self.scale_activation(self.fc2(self.activation(self.fc1(self.avgpool(x)))))
            return s * x

DROPOUT = 0.2
SMOOTHING = 0.1
INPUT = (4, 4, 9, 9)
CLASSES = 5


def build():
    """The model; nn/reference_test.go builds the same structure."""
    return nn.Sequential(
        nn.Conv2d(4, 8, 3, padding=1, groups=2, bias=True),  # bias not cancelled by a BN
        nn.ReLU6(),
        nn.BatchNorm2d(8),
        nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=8, bias=False),
        nn.BatchNorm2d(8, eps=1e-3, momentum=0.01),
        nn.Hardswish(),
        SqueezeExcitation(8, 4),
        nn.Dropout(DROPOUT),
        nn.Conv2d(8, 12, 1, bias=False),
        nn.BatchNorm2d(12),
        nn.SiLU(),
        nn.AvgPool2d(3, 1, 1),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(12, CLASSES),
    )


def generate():
    torch.manual_seed(11)
    model = build()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                c = m.num_features
                m.weight.copy_(1 + 0.3 * torch.randn(c))
                m.bias.copy_(0.2 * torch.randn(c))
                m.running_mean.copy_(0.3 * torch.randn(c))
                m.running_var.copy_(0.5 + torch.rand(c))
                m.num_batches_tracked.fill_(17)
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    meta = {"generator": "testdata/gen/gen_nn.py", "torch": torch.__version__}
    write_safetensors(os.path.join(OUT, "nn_state.safetensors"), state, meta, keep_int64=True)

    x = torch.randn(*INPUT)
    labels = torch.randint(0, CLASSES, (INPUT[0],))
    ref = {"x": x, "labels": labels.double()}
    params = {"label_smoothing": SMOOTHING, "dropout": DROPOUT, "repr": repr(model),
              "keys": list(model.state_dict().keys())}

    # Compute in float64 from the float32 values.
    model = model.double()
    xd = x.double()
    model.eval()
    with torch.no_grad():
        ref["y_eval"] = model(xd)

    model.train()
    model[7].p = 0.0
    y = model(xd)
    loss = F.cross_entropy(y, labels, label_smoothing=SMOOTHING)
    loss.backward()
    ref["y_train"] = y
    ref["loss"] = loss
    for name, p in model.named_parameters():
        ref["grad/" + name] = p.grad
    for name, b in model.named_buffers():
        ref["after/" + name] = b

    tensors = {"model/" + k: v for k, v in ref.items()}
    meta = {"generator": "testdata/gen/gen_nn.py", "torch": torch.__version__,
            "model": json.dumps(params, separators=(",", ":"), sort_keys=True)}
    write_safetensors(os.path.join(OUT, "nn_ref.safetensors"), tensors, meta)


DTYPES = {"F32": ("<f4", torch.float32), "F64": ("<f8", torch.float64), "I64": ("<i8", torch.int64),
          "I32": ("<i4", torch.int32), "F16": ("<f2", torch.float16)}


def read_safetensors(path):
    """Read a safetensors file with struct and json: (tensors, metadata)."""
    import numpy as np
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {})
    data = blob[8 + n:]
    tensors = {}
    for name, info in header.items():
        fmt, dtype = DTYPES[info["dtype"]]
        begin, end = info["data_offsets"]
        arr = np.frombuffer(data[begin:end], dtype=fmt).reshape(info["shape"])
        tensors[name] = torch.from_numpy(arr.copy()).to(dtype)
    return tensors, meta


def check_checkpoint(path, model, ref_file, input_name, what, list_keys=False):
    """Load the Go checkpoint at path strictly into model and compare its
    evaluation-mode output for the reference input ref_file/input_name with
    the output Go stored in the file's metadata (internal/testref's
    OutputMetadata). Returns the exit status: 0 if everything agrees."""
    tensors, meta = read_safetensors(path)
    print("%s: %d tensors, metadata keys %s" % (path, len(tensors), sorted(meta)))
    if list_keys:
        for k, v in model.state_dict().items():
            got = tensors.get(k)
            desc = "missing" if got is None else "%s %s" % (list(got.shape), str(got.dtype).replace("torch.", ""))
            print("  %-24s model %-14s file %s" % (k, list(v.shape), desc))
    result = model.load_state_dict(tensors, strict=True)
    print("load_state_dict(strict=True):", result)
    ok = True
    for k, v in model.state_dict().items():
        if not torch.equal(v.double(), tensors[k].double()):
            print("  value of %s changed on loading" % k)
            ok = False

    ref, _ = read_safetensors(os.path.join(OUT, ref_file))
    x = ref[input_name]
    shape = json.loads(meta["eval_output_shape"])
    go = torch.tensor(json.loads(meta["eval_output"]), dtype=torch.float64).reshape(shape)
    model.eval()
    with torch.no_grad():
        y = model.double()(x.double())
    err = ((y - go).abs().max() / y.abs().max()).item()
    print("%s %s: max|torch − go|/max|torch| = %.3g" % (what, list(y.shape), err))
    if err > 1e-4:
        ok = False
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


def check(path):
    return check_checkpoint(path, build(), "nn_ref.safetensors", "model/x", "eval output", list_keys=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", metavar="FILE", help="load a Go checkpoint in PyTorch and compare its output")
    args = ap.parse_args()
    torch.set_num_threads(1)
    if args.check:
        sys.exit(check(args.check))
    generate()


if __name__ == "__main__":
    main()
