"""Makes the ONNX import fixtures of test/fixtures/onnx with PyTorch's exporter (run once, outputs committed).

    apt-get install python3-torch python3-onnx      # Debian's packages (torch 1.13, onnx 1.12 on Debian 12)
    /usr/bin/python3 scripts/make_onnx_fixtures.py [name ...]

Names given: only those fixtures are written (every model is still built, in order, so the seeded draws and thus
the other fixtures stay as committed).

For each model: <name>.onnx (torch.onnx.export, opset 17, dynamic batch), <name>_x.npy (an input batch) and
<name>_y.npy (PyTorch's output for it, float32). Weights are seeded random values, BatchNorm running statistics
are set to non-trivial values, so every op's parameters matter. The test suite (test/onnx/import.test.ts) imports
each model with simdnet and compares its predict with PyTorch's output; it needs no Python.
"""
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
from onnx import TensorProto, helper, numpy_helper

here = os.path.dirname(os.path.abspath(__file__))
out_dir = os.path.join(here, '..', 'test', 'fixtures', 'onnx')
os.makedirs(out_dir, exist_ok=True)
OPSET = 17
ONLY = set(sys.argv[1:])


def wanted(name):
    return not ONLY or name in ONLY


class DeepConvNet(nn.Module):
    """The book's DeepConvNet (ch08) as a PyTorch user writes it: nn.Dropout is identity in eval mode."""

    def __init__(self):
        super().__init__()
        def conv(c, f, pad=1):
            return [nn.Conv2d(c, f, 3, padding=pad), nn.ReLU()]
        self.features = nn.Sequential(
            *conv(1, 16), *conv(16, 16), nn.MaxPool2d(2, 2),
            *conv(16, 32), *conv(32, 32, pad=2), nn.MaxPool2d(2, 2),
            *conv(32, 64), *conv(64, 64), nn.MaxPool2d(2, 2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(64 * 4 * 4, 50), nn.ReLU(), nn.Dropout(0.5), nn.Linear(50, 10), nn.Dropout(0.5),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


class Zoo(nn.Module):
    """Every other supported op once: strided padded conv, LeakyReLU, BatchNorm2d, AvgPool with padding, Tanh,
    MaxPool with padding, a non-square kernel, global average pooling, reshape(-1, D), BatchNorm1d, Sigmoid."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.bn1 = nn.BatchNorm2d(8, eps=1e-3)
        self.act1 = nn.LeakyReLU(0.2)
        self.pool1 = nn.AvgPool2d(3, stride=1, padding=1)  # count_include_pad=True (PyTorch's default)
        self.conv2 = nn.Conv2d(8, 6, (3, 2), padding=1)
        self.act2 = nn.Tanh()
        self.pool2 = nn.MaxPool2d(2, stride=2, padding=1)
        self.fc1 = nn.Linear(6 * 5 * 6, 12)
        self.bn2 = nn.BatchNorm1d(12)
        self.act3 = nn.Sigmoid()
        self.fc2 = nn.Linear(12, 4)

    def forward(self, x):
        h = self.pool2(self.act2(self.conv2(self.pool1(self.bn1(self.act1(self.conv1(x)))))))  # bn1 after the activation: not folded into conv1
        h = h.reshape(-1, 6 * 5 * 6)
        return self.fc2(self.act3(self.bn2(self.fc1(h))))


class GapNet(nn.Module):
    """Global average pooling into a classifier (the ResNet head), ending in a Softmax."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 5, 3, padding=1)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(5, 3)

    def forward(self, x):
        return torch.softmax(self.fc(torch.flatten(self.gap(torch.relu(self.conv(x))), 1)), dim=1)


def randomize_bn(model, gen):
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            with torch.no_grad():
                m.weight.uniform_(0.5, 1.5, generator=gen)
                m.bias.uniform_(-0.5, 0.5, generator=gen)
                m.running_mean.uniform_(-0.5, 0.5, generator=gen)
                m.running_var.uniform_(0.5, 2.0, generator=gen)


def export(name, model, x):
    model.eval()
    if not wanted(name):
        return
    path = os.path.join(out_dir, f'{name}.onnx')
    torch.onnx.export(model, x, path, opset_version=OPSET, input_names=['input'], output_names=['output'],
                      dynamic_axes={'input': {0: 'batch'}, 'output': {0: 'batch'}}, do_constant_folding=True)
    onnx.checker.check_model(onnx.load(path))
    with torch.no_grad():
        y = model(x).numpy().astype(np.float32)
    np.save(os.path.join(out_dir, f'{name}_x.npy'), x.numpy().astype(np.float32))
    np.save(os.path.join(out_dir, f'{name}_y.npy'), y)
    print(name, os.path.getsize(path), 'bytes; output', y.shape)


def matmul_model():
    """A hand-made graph in the form other exporters write a dense layer: MatMul + Add (bias), Relu, Gemm."""
    rng = np.random.default_rng(3)
    W1 = rng.standard_normal((6, 5)).astype(np.float32)
    b1 = rng.standard_normal(5).astype(np.float32)
    W2 = rng.standard_normal((3, 5)).astype(np.float32)
    b2 = rng.standard_normal(3).astype(np.float32)
    nodes = [
        helper.make_node('MatMul', ['input', 'W1'], ['h'], name='dense1'),
        helper.make_node('Add', ['h', 'b1'], ['hb'], name='dense1_bias'),
        helper.make_node('Relu', ['hb'], ['r'], name='relu'),
        helper.make_node('Gemm', ['r', 'W2', 'b2'], ['output'], name='dense2', transB=1),
    ]
    graph = helper.make_graph(
        nodes, 'matmul',
        [helper.make_tensor_value_info('input', TensorProto.FLOAT, ['batch', 6])],
        [helper.make_tensor_value_info('output', TensorProto.FLOAT, ['batch', 3])],
        [numpy_helper.from_array(a, n) for n, a in [('W1', W1), ('b1', b1), ('W2', W2), ('b2', b2)]],
    )
    if not wanted('matmul'):
        return
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', OPSET)], producer_name='onnx.helper')
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out_dir, 'matmul.onnx'))
    x = rng.standard_normal((4, 6)).astype(np.float32)
    y = (np.maximum(x @ W1 + b1, 0) @ W2.T + b2).astype(np.float32)
    np.save(os.path.join(out_dir, 'matmul_x.npy'), x)
    np.save(os.path.join(out_dir, 'matmul_y.npy'), y)
    print('matmul', os.path.getsize(os.path.join(out_dir, 'matmul.onnx')), 'bytes')


gen = torch.Generator().manual_seed(13)
torch.manual_seed(13)
deep = DeepConvNet()
export('deep_convnet', deep, torch.rand(3, 1, 28, 28, generator=gen))
zoo = Zoo()
randomize_bn(zoo, gen)
export('zoo', zoo, torch.randn(2, 3, 17, 19, generator=gen))
export('gap_softmax', GapNet(), torch.randn(2, 2, 6, 6, generator=gen))
matmul_model()


class LambdaShortcut(nn.Module):
    """The CIFAR ResNet paper's option A shortcut as PyTorch users write it: subsample by 2, pad channels with zeros."""

    def __init__(self, planes):
        super().__init__()
        self.planes = planes

    def forward(self, x):
        return nn.functional.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.planes // 4, self.planes // 4), 'constant', 0)


class BasicBlock(nn.Module):
    def __init__(self, cin, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = LambdaShortcut(planes) if stride != 1 or cin != planes else nn.Identity()

    def forward(self, x):
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return torch.relu(out + self.shortcut(x))


class ResNet20(nn.Module):
    """ResNet-20 for CIFAR (He et al. 2015, section 4.2; option A shortcuts), at half width (8, 16, 32 filters) to
    keep the committed file small: the same depth, blocks and ops as the full-width network."""

    def __init__(self, width=8, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        blocks, cin = [], width
        for stage, planes in enumerate([width, 2 * width, 4 * width]):
            for b in range(3):
                stride = 2 if stage > 0 and b == 0 else 1
                blocks.append(BasicBlock(cin, planes, stride))
                cin = planes
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        out = self.blocks(torch.relu(self.bn1(self.conv1(x))))
        out = nn.functional.adaptive_avg_pool2d(out, 1).flatten(1)
        return self.fc(out)


resnet = ResNet20()
randomize_bn(resnet, gen)
export('resnet20', resnet, torch.randn(2, 3, 32, 32, generator=gen))


class ViewBatch(nn.Module):
    """Flatten written as x.view(x.size(0), -1): with a dynamic batch, PyTorch exports it as Shape -> Gather ->
    Unsqueeze -> Concat (with -1) -> Reshape."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 4, 3, padding=1)
        self.pool = nn.MaxPool2d(2, 2)
        self.fc = nn.Linear(4 * 4 * 4, 5)

    def forward(self, x):
        h = self.pool(torch.relu(self.conv(x)))
        return self.fc(h.view(h.size(0), -1))


class ViewDims(nn.Module):
    """Flatten written from the sizes: n, c, h, w = x.size(); x.view(n, c * h * w) -- Shape -> Gather per dim, Mul
    of the known dims, Unsqueeze, Concat, Reshape."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, stride=2)
        self.fc = nn.Linear(4 * 3 * 4, 3)

    def forward(self, x):
        h = torch.tanh(self.conv(x))
        n, c, hh, ww = h.size()
        return self.fc(h.view(n, c * hh * ww))


gen2 = torch.Generator().manual_seed(15)
torch.manual_seed(15)
export('view_batch', ViewBatch(), torch.randn(3, 2, 8, 8, generator=gen2))
export('view_dims', ViewDims(), torch.randn(2, 3, 7, 9, generator=gen2))
