#!/usr/bin/env python3
"""PyTorch side of scripts/fashion-compare.ts: ResNet-20 (bench_torch.py's, identical to simdnet's) on Fashion-MNIST
with the same recipe as the simdnet run. Development only (Debian's dataset-fashion-mnist; PyTorch is never a
dependency of simdnet). Prints one JSON line per epoch, then a summary line.

Recipe (both sides): pixels / 255 as [1, 28, 28]; ResNet-20, padding shortcuts, He init; batch 128, shuffled every
epoch; SGD with momentum 0.9 in the book's form (v = 0.9 v - lr g; w += v), lr 0.1 cosine-decayed per epoch to 0;
L2 weight decay 5e-4 on convolution and fully-connected weights only (not biases, not BN); augmentation: pad 2
and random 28x28 crop, random horizontal flip; per-epoch test accuracy on the 10,000 test images; BN in eval mode.

usage: fashion_torch.py --data DIR --epochs 30 --threads 2 --seed 1 [--limit N]
"""
import argparse
import gzip
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn as nn

from bench_torch import resnet20


def idx(path):
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rb') as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big') for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def find(folder, base):
    for name in (base, base + '.gz'):
        p = os.path.join(folder, name)
        if os.path.exists(p):
            return p
    raise FileNotFoundError(f'{base}(.gz) not in {folder}')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', default='/usr/share/datasets/fashion-mnist')
    ap.add_argument('--epochs', type=int, default=30)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--batch', type=int, default=128)
    ap.add_argument('--lr', type=float, default=0.1)
    ap.add_argument('--weight-decay', type=float, default=5e-4)
    ap.add_argument('--limit', type=int, default=0, help='first N training and test images only (a smoke run)')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    g = np.random.default_rng(a.seed)
    x = torch.from_numpy(idx(find(a.data, 'train-images-idx3-ubyte')).astype(np.float32) / 255).unsqueeze(1)
    t = torch.from_numpy(idx(find(a.data, 'train-labels-idx1-ubyte')).astype(np.int64))
    xt = torch.from_numpy(idx(find(a.data, 't10k-images-idx3-ubyte')).astype(np.float32) / 255).unsqueeze(1)
    tt = torch.from_numpy(idx(find(a.data, 't10k-labels-idx1-ubyte')).astype(np.int64))
    if a.limit > 0:
        x, t, xt, tt = x[:a.limit], t[:a.limit], xt[:a.limit], tt[:a.limit]
    net = resnet20(1)
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_normal_(m.weight, nonlinearity='relu')
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    decayed = [m.weight for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    velocity = {p: torch.zeros_like(p) for p in net.parameters()}
    loss_fn = nn.CrossEntropyLoss()
    n = x.shape[0]
    t00 = time.time()
    for epoch in range(a.epochs):
        lr = a.lr * 0.5 * (1 + math.cos(math.pi * epoch / a.epochs))
        net.train()
        order = torch.from_numpy(g.permutation(n))
        total, seen, t0 = 0.0, 0, time.time()
        for s in range(0, n, a.batch):
            idxs = order[s:s + a.batch]
            xb = nn.functional.pad(x[idxs], (2, 2, 2, 2))
            dys, dxs = g.integers(0, 5, (2, len(idxs)))
            xb = torch.stack([xb[i, :, dys[i]:dys[i] + 28, dxs[i]:dxs[i] + 28] for i in range(len(idxs))])
            flip = torch.from_numpy(g.random(len(idxs)) < 0.5)
            xb[flip] = xb[flip].flip(3)
            loss = loss_fn(net(xb), t[idxs]) + 0.5 * a.weight_decay * sum((w * w).sum() for w in decayed)
            net.zero_grad(set_to_none=True)
            loss.backward()
            with torch.no_grad():
                for p in net.parameters():
                    v = velocity[p]
                    v.mul_(0.9).add_(p.grad, alpha=-lr)
                    p.add_(v)
            total += loss.item() * len(idxs)
            seen += len(idxs)
        net.eval()
        with torch.no_grad():
            correct = sum((net(xt[i:i + 500]).argmax(1) == tt[i:i + 500]).sum().item() for i in range(0, len(tt), 500))
        print(json.dumps({'epoch': epoch + 1, 'loss': total / seen, 'test_acc': correct / len(tt), 'lr': lr, 'epoch_s': time.time() - t0}), flush=True)
    print(json.dumps({'done': True, 'wall_s': time.time() - t00, 'framework': f'pytorch {torch.__version__}'}), flush=True)


if __name__ == '__main__':
    main()
