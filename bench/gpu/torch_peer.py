"""PyTorch peer of bench/gpu/tfjs_webgpu.ts: the same architectures as lib/models (cnn, resnet20 option A),
eager fp32 CUDA, random data on the device, cross-entropy, plain SGD (lr 0.01) or momentum SGD (μ 0.9, weight
decay 5e-4, as the `train` stage); median step after warm-up synchronised per step, and a pipelined figure
(`--pipelined` steps queued, one synchronisation). Prints one `RESULT {json}` line per model, batch and
optimizer.

Modes (`--modes`): `eager` (the reference of every ratio), `graphs` (the stronger peer: the whole step — forward,
backward, optimizer — captured once as a CUDA graph and replayed, as in PyTorch's "whole-network capture"; no
per-kernel CPU launch cost is left) and `compile` (`torch.compile` of the model, default mode; compiling takes
tens of seconds per shape). PyTorch's cuDNN convolutions run in TF32 by default on Ampere and later
(`torch.backends.cudnn.allow_tf32`), on tensor cores with a 10-bit mantissa; `fp32` is eager with TF32 off for
convolutions (matmuls are fp32 by default), the arithmetic our WGSL shaders do. Every row records `tf32`. A mode that fails prints
a RESULT line with its error instead of numbers.

Usage: python3 bench/gpu/torch_peer.py [--batches 128,512] [--optimizers sgd,momentum] [--modes eager]
       [--steps 30] [--warmup 5] [--pipelined 50]
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def conv_bn(cin, cout, k=3, stride=1):
    # TF 'same' padding for odd k and stride 1 equals k//2; for stride 2 on even sizes TF pads (0,1) vs
    # PyTorch's (1,1): the FLOPs and shapes match, which is what a throughput peer needs.
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, k // 2, bias=False), nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1))


class Cnn(nn.Module):
    """conv16-BN-ReLU → conv32-BN-ReLU-maxpool → conv64-BN-ReLU-maxpool → GAP → dense (lib/models/cnn.ts)."""

    def __init__(self, cin=1, classes=10):
        super().__init__()
        self.b1, self.b2, self.b3 = conv_bn(cin, 16), conv_bn(16, 32), conv_bn(32, 64)
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        x = F.relu(self.b1(x))
        x = F.max_pool2d(F.relu(self.b2(x)), 2)
        x = F.max_pool2d(F.relu(self.b3(x)), 2)
        return self.fc(x.mean((2, 3)))


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1, self.c2 = conv_bn(cin, cout, 3, stride), conv_bn(cout, cout, 3, 1)
        self.pad = cout - cin if (stride != 1 or cin != cout) else None

    def forward(self, x):
        y = self.c2(F.relu(self.c1(x)))
        if self.pad is not None:  # option A: subsample, zero-pad channels on both sides
            x = F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.pad // 2, self.pad - self.pad // 2))
        return F.relu(y + x)


class ResNet20(nn.Module):
    """CIFAR ResNet20 with option-A shortcuts (lib/models/resnet.ts)."""

    def __init__(self, classes=10):
        super().__init__()
        self.stem = conv_bn(3, 16)
        blocks, cin = [], 16
        for s, w in enumerate([16, 32, 64]):
            for b in range(3):
                blocks.append(Block(cin, w, 2 if s > 0 and b == 0 else 1))
                cin = w
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        return self.fc(self.blocks(F.relu(self.stem(x))).mean((2, 3)))


MODELS = {"cnn": (lambda: Cnn(), (1, 28, 28)), "resnet20": (lambda: ResNet20(), (3, 32, 32))}


def make_step(model, opt, x, y, mode):
    """One training step as a function returning the loss tensor, in `mode` (see the module doc)."""

    def eager_step(m):
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(m(x), y)
        loss.backward()
        opt.step()
        return loss

    if mode in ("eager", "fp32"):
        return lambda: eager_step(model)
    if mode == "compile":
        compiled = torch.compile(model)
        return lambda: eager_step(compiled)
    if mode != "graphs":
        raise ValueError(f"unknown mode {mode}")
    # Warm up on a side stream (allocates the gradients and optimizer state), then capture one whole step.
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(3):
            eager_step(model)
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    opt.zero_grad(set_to_none=True)
    with torch.cuda.graph(graph):
        static_loss = F.cross_entropy(model(x), y)
        static_loss.backward()
        opt.step()

    def replay():
        graph.replay()
        return static_loss

    return replay


def bench(name, batch, optimizer, mode, steps, warmup, max_seconds, pipelined):
    make, shape = MODELS[name]
    model = make().cuda()
    if optimizer == "momentum":  # as lib/train's MomentumSgd in the `train` stage
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x = torch.randn(batch, *shape, device="cuda")
    y = torch.randint(0, 10, (batch,), device="cuda")
    strict = mode == "fp32"
    torch.backends.cudnn.allow_tf32 = not strict
    row = {"impl": "torch", "variant": f"torch {torch.__version__} {mode}/{optimizer}", "mode": mode,
           "optimizer": optimizer, "model": name, "batch": batch, "device": torch.cuda.get_device_name(0),
           "tf32": {"cudnn": torch.backends.cudnn.allow_tf32, "matmul": torch.backends.cuda.matmul.allow_tf32}}
    try:
        step = make_step(model, opt, x, y, mode)
        times, start = [], time.perf_counter()
        for i in range(warmup + steps):
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            loss = step()
            torch.cuda.synchronize()
            if i >= warmup:
                times.append((time.perf_counter() - t0) * 1000)
                if time.perf_counter() - start > max_seconds:
                    break
        ms = statistics.median(times)
        # Pipelined: queue `pipelined` steps, synchronise once (as the tfjs side's pipelined figure).
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        for _ in range(pipelined):
            loss = step()
        last = loss.item()
        pipe_ms = (time.perf_counter() - t0) * 1000 / pipelined
    except Exception as e:  # a mode this PyTorch or GPU cannot run: say so, keep the other rows
        return {**row, "error": f"{type(e).__name__}: {e}"[:300]}
    return {**row, "syncedSteps": len(times), "medianMs": round(ms, 3), "imgPerSec": round(batch / (ms / 1000)),
            "pipelinedMs": round(pipe_ms, 3), "pipelinedImgPerSec": round(batch / (pipe_ms / 1000)),
            "loss": round(last, 4)}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--batches", default="128,512")
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--max-seconds", type=float, default=15)
    p.add_argument("--pipelined", type=int, default=50)
    p.add_argument("--optimizers", default="sgd,momentum")
    p.add_argument("--modes", default="eager")
    a = p.parse_args()
    torch.backends.cudnn.benchmark = True
    for name in MODELS:
        for batch in map(int, a.batches.split(",")):
            for optimizer in a.optimizers.split(","):
                for mode in a.modes.split(","):
                    r = bench(name, batch, optimizer, mode, a.steps, a.warmup, a.max_seconds, a.pipelined)
                    print("RESULT " + json.dumps(r), flush=True)


if __name__ == "__main__":
    main()
