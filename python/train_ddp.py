#!/usr/bin/python3
"""Train an autonl network with PyTorch DistributedDataParallel (torchrun).

The network comes from an arch file (``--arch``, such as the arch.txt that
``autonl search`` writes; a fresh network with the AutoNL recipe's
settings, which flags change) or from a network file (``--init``, written
by ``autonl export -format safetensors`` or by this script: architecture
and weights). Every process trains its shard of the data; the gradients
are averaged across processes by DDP. At the end the first process writes
the network with ``autonl_torch.save``: Go reads it back
(``models.Load``), and ``autonl export -checkpoint FILE -format onnx``
turns it into an ONNX model.

Run on one machine with N processes (GPUs: one process per GPU, NCCL; CPU:
gloo), for example

    python3 -m torch.distributed.run --nproc_per_node 2 python/train_ddp.py \\
        --arch runs/search/arch.txt --data /data/imagenet/train --classes 1000 \\
        --size 224 --epochs 350 --batch 128 --out runs/torch/net.safetensors

(``torchrun`` is the same launcher). ``--data`` is a folder with one
sub-folder of images per class (torchvision's ImageFolder; needs
torchvision); ``--synthetic N`` trains on N random images instead, to
check a setup. With Debian's python3-torch 1.13 use /usr/bin/python3.

The recipe: SGD with Nesterov momentum 0.9, learning rate ``--lr`` per 256
images scaled by the global batch, linear warm-up then cosine decay, weight
decay on conv and linear weights only, label smoothing 0.1. Batch norm
statistics are per process unless ``--sync-bn`` (which needs GPUs).
"""

import argparse
import math
import os
import sys
import time

import torch
import torch.distributed as dist
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import autonl_torch  # noqa: E402

MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--arch", help="arch file: one block string per line (a fresh network)")
    src.add_argument("--init", help="network file to start from (autonl export -format safetensors)")
    data = p.add_mutually_exclusive_group(required=True)
    data.add_argument("--data", help="folder of class sub-folders of images (ImageFolder)")
    data.add_argument("--synthetic", type=int, metavar="N", help="train on N random images instead")
    p.add_argument("--classes", type=int, default=1000, help="classes of a fresh network (--arch)")
    p.add_argument("--size", type=int, default=224, help="side of the training images")
    p.add_argument("--activation", default="SiLU", help="activation of a fresh network: ReLU, ReLU6, SiLU, Hardswish")
    p.add_argument("--se-gate", default="Sigmoid", help="squeeze-excite gate of a fresh network")
    p.add_argument("--head", type=int, default=1280, help="head width of a fresh network")
    p.add_argument("--stem-stride", type=int, default=2, help="stem stride of a fresh network (1 for images of 64 pixels or less)")
    p.add_argument("--dropout", type=float, default=0.2, help="dropout before the classifier of a fresh network")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--steps", type=int, default=0, help="stop after this many steps (0: run all epochs)")
    p.add_argument("--batch", type=int, default=64, help="images per process and step")
    p.add_argument("--lr", type=float, default=0.1, help="peak learning rate per 256 images")
    p.add_argument("--wd", type=float, default=4e-5, help="weight decay of conv and linear weights")
    p.add_argument("--warmup", type=float, default=1, help="epochs of linear warm-up")
    p.add_argument("--workers", type=int, default=2, help="data loading processes per training process")
    p.add_argument("--sync-bn", action="store_true", help="synchronize batch norm statistics across processes (GPUs)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", default="net.safetensors", help="network file to write at the end")
    return p.parse_args(argv)


def make_model(args):
    if args.init:
        model, meta = autonl_torch.load(args.init)
        return model.train(), meta
    with open(args.arch) as f:
        text = f.read()
    model = autonl_torch.from_arch(text, args.classes, stem_stride=args.stem_stride, head_width=args.head,
                                   dropout=args.dropout, activation=args.activation, se_gate=args.se_gate)
    return model, {}


def make_data(args, classes, seed):
    if args.synthetic:
        g = torch.Generator().manual_seed(seed)
        x = torch.rand(args.synthetic, 3, args.size, args.size, generator=g)
        x = (x - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)
        y = torch.randint(0, classes, (args.synthetic,), generator=g)
        return TensorDataset(x, y)
    import torchvision.datasets as datasets  # only needed for --data
    import torchvision.transforms as T
    return datasets.ImageFolder(args.data, T.Compose([
        T.RandomResizedCrop(args.size), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize(MEAN, STD)]))


def main(argv=None):
    args = parse_args(argv)
    cuda = torch.cuda.is_available()
    dist.init_process_group("nccl" if cuda else "gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    local = int(os.environ.get("LOCAL_RANK", 0))
    device = torch.device("cuda", local) if cuda else torch.device("cpu")
    if cuda:
        torch.cuda.set_device(device)
    torch.manual_seed(args.seed)  # the same initial weights in every process

    model, meta = make_model(args)
    classes = model.spec["classes"]
    if args.sync_bn:
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    model.to(device)
    ddp = DDP(model, device_ids=[local] if cuda else None)

    data = make_data(args, classes, args.seed)
    sampler = DistributedSampler(data, num_replicas=world, rank=rank, shuffle=True, seed=args.seed, drop_last=True)
    loader = DataLoader(data, batch_size=args.batch, sampler=sampler, num_workers=args.workers,
                        pin_memory=cuda, drop_last=True, persistent_workers=args.workers > 0)
    if len(loader) == 0:
        raise SystemExit("train_ddp: %d images are too few for %d processes of batch %d" % (len(data), world, args.batch))

    decay = [p for n, p in model.named_parameters() if p.ndim > 1]
    no_decay = [p for n, p in model.named_parameters() if p.ndim <= 1]
    lr = args.lr * args.batch * world / 256
    opt = torch.optim.SGD([{"params": decay, "weight_decay": args.wd}, {"params": no_decay, "weight_decay": 0}],
                          lr=lr, momentum=0.9, nesterov=True)
    total = args.epochs * len(loader) if not args.steps else min(args.steps, args.epochs * len(loader))
    warm = int(args.warmup * len(loader))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: (s + 1) / warm if s < warm else
                                              0.5 * (1 + math.cos(math.pi * (s - warm) / max(1, total - warm))))
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)
    if rank == 0:
        print("train_ddp: %d processes (%s), %d images, %d steps of %d images, lr %.4g, %s parameters"
              % (world, "nccl" if cuda else "gloo", len(data), total, args.batch * world, lr,
                 sum(p.numel() for p in model.parameters())), flush=True)

    step, start = 0, time.time()
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        ddp.train()
        for x, y in loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            loss = loss_fn(ddp(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            if rank == 0 and (step % 50 == 0 or step == total or step <= 2):
                print("step %d/%d epoch %d loss %.4f lr %.4g (%.1f s)" % (step, total, epoch + 1, loss.item(),
                                                                          sched.get_last_lr()[0], time.time() - start), flush=True)
            if step == total:
                break
        if step == total:
            break

    if rank == 0:
        if args.sync_bn:
            model = autonl_torch.build(model.spec)  # back to plain BatchNorm2d, same names
            model.load_state_dict(ddp.module.state_dict())
        keep = {k: v for k, v in meta.items() if k != autonl_torch.SPEC_KEY}
        keep["autonl.input_shape"] = "[3,%d,%d]" % (args.size, args.size)  # what it was trained on
        keep["autonl.mean"] = "[%s]" % ",".join(map(str, MEAN))
        keep["autonl.std"] = "[%s]" % ",".join(map(str, STD))
        autonl_torch.save(args.out, model, keep)
        print("train_ddp: wrote %s after %d steps" % (args.out, step), flush=True)
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
