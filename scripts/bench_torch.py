#!/usr/bin/env python3
"""PyTorch side of `npm run bench`: the book's SimpleConvNet / DeepConvNet, built layer for layer as simdnet
builds them, timed the same way (median over steps after warm-up). For comparison only: PyTorch is never a
dependency of simdnet. Prints one JSON object.

usage: bench_torch.py --net simple|deep --threads N --batch 100 --steps 20 --warmup 3
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn


def simple_convnet():
    return nn.Sequential(
        nn.Conv2d(1, 30, 5, stride=1, padding=0), nn.ReLU(), nn.MaxPool2d(2, 2),
        nn.Flatten(), nn.Linear(30 * 12 * 12, 100), nn.ReLU(), nn.Linear(100, 10))


def deep_convnet():
    def conv(cin, cout, pad):
        return [nn.Conv2d(cin, cout, 3, stride=1, padding=pad), nn.ReLU()]
    return nn.Sequential(
        *conv(1, 16, 1), *conv(16, 16, 1), nn.MaxPool2d(2, 2),
        *conv(16, 32, 1), *conv(32, 32, 2), nn.MaxPool2d(2, 2),
        *conv(32, 64, 1), *conv(64, 64, 1), nn.MaxPool2d(2, 2),
        nn.Flatten(), nn.Linear(64 * 4 * 4, 50), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(50, 10), nn.Dropout(0.5))


def median_ms(fn, steps, warmup):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--net', choices=['simple', 'deep'], required=True)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--batch', type=int, default=100)
    ap.add_argument('--steps', type=int, default=20)
    ap.add_argument('--warmup', type=int, default=3)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    net = simple_convnet() if a.net == 'simple' else deep_convnet()
    x = torch.rand(a.batch, 1, 28, 28)
    t = torch.randint(0, 10, (a.batch,))
    opt = torch.optim.Adam(net.parameters(), lr=0.001)
    loss_fn = nn.CrossEntropyLoss()

    def train_step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(x), t)
        loss.backward()
        opt.step()

    net.train()
    train_ms = median_ms(train_step, a.steps, a.warmup)
    net.eval()

    def infer():
        with torch.no_grad():
            net(x)

    infer_ms = median_ms(infer, a.steps, a.warmup)
    print(json.dumps({
        'framework': f'pytorch {torch.__version__}', 'net': a.net, 'threads': a.threads, 'batch': a.batch,
        'train_step_ms': train_ms, 'infer_batch_ms': infer_ms, 'infer_images_per_s': a.batch / infer_ms * 1e3,
        'mkldnn': torch.backends.mkldnn.is_available(),
    }))


if __name__ == '__main__':
    main()
