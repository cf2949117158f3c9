#!/usr/bin/python3
"""Unit tests of autonl_torch.py that need no Go files (the interop checks,
interop/run.sh, compare it with Go). Run with Debian's python3-torch:

    /usr/bin/python3 -m unittest discover -s python -p 'test_*.py'
"""

import os
import struct
import tempfile
import unittest

import torch

import autonl_torch as at


class TestSafetensors(unittest.TestCase):
    def test_round_trip(self):
        tensors = {"a": torch.randn(2, 3), "b.i": torch.arange(5, dtype=torch.int64),
                   "c": torch.zeros(0, 4), "d": torch.tensor(3.5, dtype=torch.float64)}
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "t.safetensors")
            at.write_safetensors(path, tensors, {"k": "v"})
            back, meta = at.read_safetensors(path)
            self.assertEqual(os.listdir(d), ["t.safetensors"])
        self.assertEqual(meta, {"k": "v"})
        self.assertEqual(sorted(back), sorted(tensors))
        for k, t in tensors.items():
            self.assertEqual(back[k].dtype, t.dtype)
            self.assertTrue(torch.equal(back[k], t), k)

    def test_corrupt(self):
        short = b'{"x":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}'  # 16 bytes declared, 8 given
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "bad.safetensors")
            for data, want in [(b"abc", "shorter than"), (struct.pack("<Q", 99) + b"{}", "exceeds"),
                               (struct.pack("<Q", 2) + b"[]", "not a JSON object"),
                               (struct.pack("<Q", len(short)) + short + bytes(8), "offsets")]:
                with open(path, "wb") as f:
                    f.write(data)
                with self.assertRaisesRegex(ValueError, want):
                    at.read_safetensors(path)


class TestArch(unittest.TestCase):
    def test_parse(self):
        b = at.parse_block("r2_k5_s22_e6_i40_o80_se0.25_noskip_nonlocal0.125-2")
        self.assertEqual((b.repeats, b.kernel, b.strides, b.expand, b.inp, b.out), (2, 5, (2, 2), 6.0, 40, 80))
        self.assertEqual((b.se, b.noskip, b.nl_ratio, b.nl_stride), (0.25, True, 0.125, 2))
        self.assertEqual(repr(b), "r2_k5_s22_e6_i40_o80_se0.25_noskip_nonlocal0.125-2")
        self.assertEqual(repr(at.parse_block("r1_k3_s1_e1_i8_o8_nonlocal0.25")), "r1_k3_s11_e1_i8_o8_nonlocal0.25")
        layers = at.expand(at.parse_arch("# c\nr1_k3_s11_e1_i32_o16\nr3_k3_s22_e3_i16_o24  # x\n"))
        self.assertEqual([repr(l) for l in layers], ["r1_k3_s11_e1_i32_o16", "r1_k3_s22_e3_i16_o24",
                                                     "r1_k3_s11_e3_i24_o24", "r1_k3_s11_e3_i24_o24"])

    def test_errors(self):
        for text, want in [("r1_k3_s11_e1_i8", "missing token o"), ("r1_k4_s11_e1_i8_o8", "kernel"),
                           ("r1_k3_s11_e1_i8_o8_x2", "unknown token 'x2'"), ("r1_k3_s11_e1_i8_o8_r2", "duplicate"),
                           ("r1_k3_s10_e1_i8_o8", "strides"), ("r1_k3_s11_e.5_i8_o8", "not a plain number"),
                           ("r1_k3_s11_e1_i8_o8\nr1_k3_s11_e1_i16_o16", "takes 16 channels"), ("# only\n", "no blocks")]:
            with self.assertRaisesRegex(ValueError, want):
                at.parse_arch(text)


    def test_limits(self):
        # Every size is bounded before anything is allocated, with the
        # token or line named and a long line quoted by an excerpt.
        for text, want in [("r1_k3_s11_e1_i16_o999999999", "output width 999999999 must be at most 16384"),
                           ("r999_k9_s11_e9_i1000_o1000", "repeats 999 must be at most 64"),
                           ("r1_k3_s11_e100000_i16_o16", "expansion ratio 100000 must be at most 64"),
                           ("r1_k3_s11_e64_i1000_o16", "hidden width 64000 must be at most 16384"),
                           ("r1_k99_s11_e1_i16_o16", "kernel size 99 must be at most 31"),
                           ("r1_k3_s11_e1_i16_o16_nonlocal0.25-99", "key stride 99 must be at most 9"),
                           ("r64_k3_s11_e1_i16_o16\n" * 17, "more than 1024 layers")]:
            with self.assertRaisesRegex(ValueError, want):
                at.parse_arch(text)
        with self.assertRaises(ValueError) as cm:
            at.parse_arch("r1_k3_s11_e1_i16_o16_" + "x" * 1000000)
        self.assertLess(len(str(cm.exception)), 300)
        spec = {"arch": "r1_k3_s11_e1_i16_o16\n", "input_channels": 3, "stem_stride": 1, "head_width": 32,
                "classes": 2, "activation": "ReLU", "se_gate": "Sigmoid", "bn_momentum": 0.1, "bn_eps": 1e-5}
        at.build(spec)
        for key, v in [("classes", 2000000000), ("head_width", 1 << 20), ("input_channels", 0), ("stem_stride", 10)]:
            with self.assertRaisesRegex(ValueError, "spec %s is %d" % (key, v)):
                at.build(dict(spec, **{key: v}))
        # Within every limit but far beyond any machine's memory.
        huge = dict(spec, arch="r1_k3_s11_e1_i16_o16384\n" + "r1_k31_s11_e1_i16384_o16384\n" * 1000)
        with self.assertRaisesRegex(ValueError, "needs about .* GiB of memory"):
            at.build(huge)


class TestNet(unittest.TestCase):
    def test_names_and_save_load(self):
        net = at.from_arch("r1_k3_s11_e1_i16_o16\nr1_k5_s22_e6_i16_o24_se0.25_nonlocal0.25-2\n", 7, head_width=64)
        names = list(net.state_dict())
        for want in ["features.0.0.weight", "features.1.conv.0.0.weight", "features.2.conv.0.0.weight",
                     "features.2.conv.1.0.weight", "features.2.conv.2.fc1.bias", "features.2.conv.3.weight",
                     "features.2.conv.5.conv.weight", "features.2.conv.5.bn.running_var", "features.3.0.weight",
                     "classifier.1.weight"]:
            self.assertIn(want, names)
        net.eval()
        x = torch.randn(2, 3, 20, 20)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "n.safetensors")
            at.save(path, net, {"note": "x"})
            back, meta = at.load(path)
            self.assertEqual(meta["note"], "x")
            with torch.no_grad():
                self.assertTrue(torch.equal(net(x), back(x)))
            at.write_safetensors(path, {"w": torch.zeros(1)}, {"autonl.train": "{}"})
            with self.assertRaisesRegex(ValueError, "autonl export"):
                at.load(path)

    def test_lightnl_orders_agree(self):
        nl = at.LightNL(32, 0.25, 2, {"eps": 1e-3, "momentum": 0.01}).double().eval()
        x = torch.randn(2, 32, 5, 6, dtype=torch.float64)
        nl.order = lambda h, w: "A"
        a = nl(x)
        nl.order = lambda h, w: "B"
        self.assertTrue(torch.allclose(a, nl(x), rtol=1e-12, atol=1e-12))


if __name__ == "__main__":
    unittest.main()
