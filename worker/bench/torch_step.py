"""PyTorch baseline for `cohort-worker bench`: the same two reference models, trained with the
same optimizer, batch size and shapes as the worker's candle trainer, on the CPU.

Prints one JSON object: {"mlp": ms_per_step, "charTransformer": ms_per_step, "matmulGflops":
GFLOP/s over the char transformer's matrix products, "torch": version}.
Usage: python torch_step.py STEPS THREADS
"""
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Mlp(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:]))

    def forward(self, x):
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i + 1 < len(self.layers):
                x = F.relu(x)
        return x


class Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d, bias=False)
        self.proj = nn.Linear(d, d, bias=False)
        self.ln2 = nn.LayerNorm(d)
        self.up = nn.Linear(d, 4 * d)
        self.down = nn.Linear(4 * d, d)

    def forward(self, x, mask):
        b, t, d = x.shape
        h = self.heads
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=-1)
        q, k, v = (z.view(b, t, h, d // h).transpose(1, 2) for z in (q, k, v))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(d // h) + mask
        y = (att.softmax(-1) @ v).transpose(1, 2).reshape(b, t, d)
        x = x + self.proj(y)
        return x + self.down(F.gelu(self.up(self.ln2(x))))


class CharTransformer(nn.Module):
    def __init__(self, context, d, layers, heads):
        super().__init__()
        # As the worker's model: no bias on qkv, the attention output or the head.
        self.tok = nn.Embedding(256, d)
        self.pos = nn.Embedding(context, d)
        self.blocks = nn.ModuleList(Block(d, heads) for _ in range(layers))
        self.ln = nn.LayerNorm(d)
        self.head = nn.Linear(d, 256, bias=False)
        mask = torch.full((context, context), float("-inf")).triu(1)
        self.register_buffer("mask", mask)

    def forward(self, tokens):
        t = tokens.shape[1]
        x = self.tok(tokens) + self.pos(torch.arange(t))
        for block in self.blocks:
            x = block(x, self.mask[:t, :t])
        return self.head(self.ln(x))


def time_steps(model, batch, loss_of, steps):
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    times = []
    for step in range(steps + 2):
        inputs, targets = batch()
        start = time.perf_counter()
        loss = loss_of(model(inputs), targets)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step >= 2:
            times.append(time.perf_counter() - start)
    times.sort()
    return 1000 * times[len(times) // 2]


def matmul_gflops(batch, context, d, vocab):
    """GFLOP/s over the char transformer's products, as `char_products` in bench.rs lists them:
    for each linear layer, its forward product, its input's gradient and its weight's gradient."""
    rows = batch * context
    layers = [(d, 3 * d), (d, d), (d, 4 * d), (4 * d, d), (d, vocab)]
    products = [s for i, o in layers for s in ((rows, o, i), (rows, i, o), (i, o, rows))]
    flops = seconds = 0.0
    for m, n, k in products:
        a, b = torch.randn(m, k), torch.randn(k, n)
        a @ b
        times = []
        for _ in range(5):
            start = time.perf_counter()
            a @ b
            times.append(time.perf_counter() - start)
        flops += 2.0 * m * n * k
        seconds += sorted(times)[2]
    return flops / seconds / 1e9


def main():
    steps, threads = int(sys.argv[1]), int(sys.argv[2])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    mlp = Mlp([784, 512, 512, 10])
    mlp_ms = time_steps(
        mlp,
        lambda: (torch.randn(128, 784), torch.randint(0, 10, (128,))),
        F.cross_entropy,
        steps,
    )
    char = CharTransformer(128, 128, 4, 4)
    char_ms = time_steps(
        char,
        lambda: (torch.randint(0, 256, (16, 128)), torch.randint(0, 256, (16, 128))),
        lambda logits, y: F.cross_entropy(logits.reshape(-1, 256), y.reshape(-1)),
        steps,
    )
    gflops = matmul_gflops(16, 128, 128, 256)
    print(json.dumps({"mlp": mlp_ms, "charTransformer": char_ms, "matmulGflops": gflops, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
