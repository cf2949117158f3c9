#!/usr/bin/python3
"""Checks autonl's networks against PyTorch, both ways, with
python/autonl_torch.py. Run by interop/run.sh after `go run ./interop write
DIR`; needs Debian's python3-torch (run with /usr/bin/python3).

    /usr/bin/python3 interop/torch_check.py DIR NAME...

For each NAME:

  Go → PyTorch: loads DIR/NAME.safetensors (a network file written by Go:
  its spec and weights) strictly into autonl_torch's module, runs it on the
  input "x" of DIR/NAME.io.safetensors and compares with the logits Go wrote
  there. It also runs the network in float64 and prints how far Go's float32
  logits and PyTorch's are from that, the measure of how well conditioned
  the comparison is.

  PyTorch → Go: builds the same network afresh in PyTorch (its own
  initialization, then random batch-norm parameters and statistics as the Go
  writer sets them), saves it with autonl_torch.save as
  DIR/NAME.torch.safetensors and writes the input and PyTorch's logits to
  DIR/NAME.torch_io.safetensors, for `go run ./interop compare DIR NAME`.

The relative difference of logits a and b is max|a − b| / max|b|; the
tolerance is 1e-4. Exit status 1 if a comparison exceeds it.
"""

import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import autonl_torch  # noqa: E402

TOLERANCE = 1e-4


def rel(a, b):
    a, b = a.double(), b.double()
    den = b.abs().max().item()
    num = (a - b).abs().max().item()
    return num / den if den else num


def randomize(model, x):
    """Random BN γ and β (LightNL's γ in [0.2, 0.5)) and running statistics
    set layer by layer on x in evaluation mode, as interop/main.go does."""
    g = torch.Generator().manual_seed(2020)
    bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    with torch.no_grad():
        for bn in bns:
            bn.weight.copy_(0.5 + torch.rand(bn.num_features, generator=g))
            bn.bias.copy_(0.1 * torch.randn(bn.num_features, generator=g))
        for m in model.modules():
            if isinstance(m, autonl_torch.LightNL):
                m.bn.weight.copy_(0.2 + 0.3 * torch.rand(m.channels, generator=g))
        model.eval()
        for bn in bns:
            momentum, bn.momentum = bn.momentum, 1.0
            bn.train()
            model(x)
            bn.eval()
            bn.momentum = momentum
            bn.num_batches_tracked.fill_(17)


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    torch.manual_seed(1)
    torch.set_num_threads(2)
    folder, failed = sys.argv[1], False
    for name in sys.argv[2:]:
        io, _ = autonl_torch.read_safetensors(os.path.join(folder, name + ".io.safetensors"))
        model, meta = autonl_torch.load(os.path.join(folder, name + ".safetensors"))
        with torch.no_grad():
            got = model(io["x"])
            ref = model.double()(io["x"].double())
        d = rel(got, io["logits"])
        ok = d <= TOLERANCE
        failed |= not ok
        print("%-12s Go → PyTorch %s: max relative logit difference %.3g (tolerance %g) %s;"
              " against float64: Go %.3g, PyTorch %.3g"
              % (name, torch.__version__, d, TOLERANCE, "ok" if ok else "FAIL",
                 rel(io["logits"], ref), rel(got, ref)))

        fresh = autonl_torch.build(meta[autonl_torch.SPEC_KEY])
        randomize(fresh, io["x"])
        autonl_torch.save(os.path.join(folder, name + ".torch.safetensors"), fresh,
                          {k: v for k, v in meta.items() if k != autonl_torch.SPEC_KEY})
        with torch.no_grad():
            logits = fresh(io["x"])
        autonl_torch.write_safetensors(os.path.join(folder, name + ".torch_io.safetensors"),
                                       {"x": io["x"], "logits": logits}, {"case": name})
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
