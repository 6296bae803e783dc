#!/usr/bin/env python3
"""PyTorch side of `npm run bench`: the book's SimpleConvNet / DeepConvNet and ResNet-20 (on 28x28x1 and 32x32x3),
built layer for layer as simdnet builds them, timed the same way (median over steps after warm-up). For
comparison only: PyTorch is never a dependency of simdnet. Prints one JSON object, with the process's peak RSS.

usage: bench_torch.py --net simple|deep|resnet|resnet-rgb --threads N --batch 100 --steps 20 --warmup 3
"""
import argparse
import json
import resource
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


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


class BasicBlock(nn.Module):
    """simdnet's ResNet block (lib/nets/resnet.ts): conv3x3(stride)-BN-ReLU-conv3x3-BN + shortcut, ReLU. Where the
    shape changes the shortcut is the paper's option A: x[:, :, ::2, ::2] widened with zero channels (half the new
    channels before, the rest after). Convolutions without bias; BN eps 1e-5."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout, eps=1e-5)
        self.conv2 = nn.Conv2d(cout, cout, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout, eps=1e-5)
        self.stride = stride
        self.extra = cout - cin

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        short = x
        if self.stride != 1 or self.extra != 0:
            short = x[:, :, ::self.stride, ::self.stride]
            short = F.pad(short, (0, 0, 0, 0, self.extra // 2, self.extra - self.extra // 2))
        return F.relu(out + short)


def resnet20(in_channels, classes=10, n=3):
    layers = [nn.Conv2d(in_channels, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16, eps=1e-5), nn.ReLU()]
    c = 16
    for stage in range(3):
        f = 16 << stage
        for b in range(n):
            layers.append(BasicBlock(c, f, 2 if stage > 0 and b == 0 else 1))
            c = f
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, classes)]
    return nn.Sequential(*layers)


NETS = {
    'simple': (simple_convnet, (1, 28, 28)),
    'deep': (deep_convnet, (1, 28, 28)),
    'resnet': (lambda: resnet20(1), (1, 28, 28)),
    'resnet-rgb': (lambda: resnet20(3), (3, 32, 32)),
}


def peak_rss_mb():
    """VmHWM (Linux), which starts afresh at exec; getrusage's ru_maxrss keeps the forking parent's peak."""
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith('VmHWM:'):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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
    ap.add_argument('--net', choices=list(NETS), required=True)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--batch', type=int, default=100)
    ap.add_argument('--steps', type=int, default=20)
    ap.add_argument('--warmup', type=int, default=3)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    make, shape = NETS[a.net]
    net = make()
    x = torch.rand(a.batch, *shape)
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
        'params': sum(p.numel() for p in net.parameters()),
        'max_rss_mb': peak_rss_mb(),
    }))


if __name__ == '__main__':
    main()
