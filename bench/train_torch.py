"""PyTorch CPU peer of bench/train.ts: the same architectures (lib/models: cnn, resnet20 with option-A
shortcuts, resnet18 with the ImageNet stem), one SGD step (momentum 0.9, weight decay 1e-4) on cross-entropy
of random inputs, median step time after warm-up. Prints `RESULT {json}` lines that bench/train.ts reads.

Usage: python3 bench/train_torch.py --models cnn,resnet20 --threads 2 --batch 128 --steps 6 --warmup 2
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def conv_bn_relu(cin, cout, k=3, s=1):
    return nn.Sequential(nn.Conv2d(cin, cout, k, s, k // 2, bias=False), nn.BatchNorm2d(cout), nn.ReLU())


class Cnn(nn.Module):
    """conv16-BN-ReLU, conv32-BN-ReLU, maxpool, conv64-BN-ReLU, maxpool, GAP, dense (lib/models/cnn.ts)."""

    def __init__(self, cin, classes):
        super().__init__()
        self.b1, self.b2, self.b3 = conv_bn_relu(cin, 16), conv_bn_relu(16, 32), conv_bn_relu(32, 64)
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        x = self.b2(self.b1(x))
        x = F.max_pool2d(self.b3(F.max_pool2d(x, 2)), 2)
        return self.fc(x.mean((2, 3)))


class Block(nn.Module):
    def __init__(self, cin, cout, stride, shortcut):
        super().__init__()
        self.c1, self.b1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout)
        self.c2, self.b2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout)
        self.kind, self.pad = None, (cout - cin) // 2
        if stride != 1 or cin != cout:
            self.kind = shortcut
            if shortcut == "projection":
                self.proj = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.b2(self.c2(F.relu(self.b1(self.c1(x)))))
        if self.kind == "pad":
            x = F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.pad, self.pad))
        elif self.kind == "projection":
            x = self.proj(x)
        return F.relu(y + x)


class ResNet(nn.Module):
    def __init__(self, stem, widths, blocks, shortcut, classes):
        super().__init__()
        self.stem = stem
        layers, cin = [], widths[0]
        for s, w in enumerate(widths):
            for b in range(blocks):
                layers.append(Block(cin, w, 2 if s > 0 and b == 0 else 1, shortcut))
                cin = w
        self.body = nn.Sequential(*layers)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        return self.fc(self.body(self.stem(x)).mean((2, 3)))


def build(name):
    if name == "cnn":
        return Cnn(1, 10), (1, 28, 28), 10
    if name == "resnet20":
        return ResNet(conv_bn_relu(3, 16), [16, 32, 64], 3, "pad", 10), (3, 32, 32), 10
    if name == "resnet18":
        stem = nn.Sequential(conv_bn_relu(3, 64, 7, 2), nn.MaxPool2d(3, 2, 1))
        return ResNet(stem, [64, 128, 256, 512], 2, "projection", 200), (3, 64, 64), 200
    raise SystemExit(f"unknown model {name}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="cnn,resnet20")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--steps", type=int, default=6)
    ap.add_argument("--warmup", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    for name in a.models.split(","):
        model, shape, classes = build(name)
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
        x = torch.rand(a.batch, *shape)
        y = torch.randint(0, classes, (a.batch,))
        times = []
        for i in range(a.warmup + a.steps):
            t0 = time.perf_counter()
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            if i >= a.warmup:
                times.append((time.perf_counter() - t0) * 1000)
        ms = statistics.median(times)
        device = f"PyTorch {torch.__version__} CPU, {a.threads} threads"
        print("RESULT " + json.dumps({"model": name, "backend": "pytorch", "device": device,
                                      "imagesPerSec": a.batch * 1000 / ms, "medianStepMs": ms, "steps": a.steps}),
              flush=True)


if __name__ == "__main__":
    main()
