# usage: bitcompare.py A.bin B.bin: the logits bitcheck wrote (MobileNetV2 and AutoNL-S at
# batches 1, 2 and 8, in that order), compared: identical or the largest differences.
import struct, sys
sizes = [("mobilenetv2", b, 1000 * b) for b in (1, 2, 8)] + [("autonl-s", b, 1000 * b) for b in (1, 2, 8)]
a, b = (open(f, "rb").read() for f in sys.argv[1:3])
off = 0
for name, batch, n in sizes:
    x = struct.unpack("<%df" % n, a[off:off + 4 * n]); y = struct.unpack("<%df" % n, b[off:off + 4 * n]); off += 4 * n
    same = sum(1 for u, v in zip(x, y) if struct.pack("<f", u) == struct.pack("<f", v))
    d = max(abs(u - v) for u, v in zip(x, y)); r = max(abs(u - v) / max(abs(u), 1e-3) for u, v in zip(x, y))
    scale = max(abs(u) for u in x)
    print("%-12s b%d: %d of %d logits identical; max |diff| %.3g (largest |logit| %.3g), max relative %.3g" % (name, batch, same, n, d, scale, r))
