"""PyTorch reference for `npm run bench`: the same conditional UNet as src/models/diffusion.ts (3x3 convolutions,
residual blocks with a timestep + tag embedding added after the first convolution, one 2x average-pooling
level, nearest-neighbour upsampling with a skip connection), the same v-prediction loss, trained with Adam
on random images of the same size and batch, and sampled with the same number of guided DDIM steps.
It measures speed only: engram's and PyTorch's images/s side by side.

Usage: OMP_NUM_THREADS=2 /usr/bin/python3 bench/reference_unet.py CONFIG.json
CONFIG.json (written by bench/bench.ts): {"model": DiffusionConfig, "batchSize", "steps", "warmup",
"samples", "sampleSteps"}. Prints one JSON object.
"""
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from timing import median_step_seconds


class ResBlock(nn.Module):
    def __init__(self, cin, cout, emb):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.emb = nn.Linear(emb, cout, bias=False)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1, bias=False) if cin != cout else None

    def forward(self, x, e):
        h = F.relu(self.conv1(x)) + self.emb(e)[:, :, None, None]
        h = self.conv2(F.relu(h))
        return h + (self.skip(x) if self.skip is not None else x)


class UNet(nn.Module):
    def __init__(self, c):
        super().__init__()
        c1, c2 = c["channels"]
        E = c["embedDim"]
        self.E = E
        self.time1 = nn.Linear(E, E)
        self.time2 = nn.Linear(E, E, bias=False)
        self.tags = nn.Linear(c["numTags"], E, bias=False)
        self.inc = nn.Conv2d(3, c1, 3, padding=1)
        self.down1 = ResBlock(c1, c1, E)
        self.down2 = ResBlock(c1, c2, E)
        self.mid = ResBlock(c2, c2, E)
        self.up = ResBlock(c2 + c1, c1, E)
        self.out = nn.Conv2d(c1, 3, 3, padding=1)

    def forward(self, x, t, tags):
        half = self.E // 2
        freqs = torch.exp(-math.log(10000) * torch.arange(half) / half)
        angles = t[:, None].float() * freqs[None]
        e = self.time2(F.relu(self.time1(torch.cat([angles.sin(), angles.cos()], 1)))) + self.tags(tags)
        d1 = self.down1(self.inc(x), e)
        d2 = self.down2(F.avg_pool2d(d1, 2), e)
        m = self.mid(d2, e)
        u = self.up(torch.cat([F.interpolate(m, scale_factor=2, mode="nearest"), d1], 1), e)
        return self.out(F.relu(u))


def main():
    cfg = json.load(open(sys.argv[1]))
    c = cfg["model"]
    torch.manual_seed(0)
    model = UNet(c)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    B, s, T = cfg["batchSize"], c["imageSize"], c["timesteps"]
    f = lambda t: math.cos(((t / T + 0.008) / 1.008) * math.pi / 2) ** 2
    alpha_bar = torch.tensor([f(t + 1) / f(0) for t in range(T)])
    x0 = torch.rand(B, 3, s, s) * 2 - 1
    tags = torch.zeros(B, c["numTags"])
    tags[torch.arange(B), torch.randint(0, c["numTags"], (B,))] = 1

    def step():
        t = torch.randint(0, T, (B,))
        a = alpha_bar[t].sqrt()[:, None, None, None]
        sigma = (1 - alpha_bar[t]).sqrt()[:, None, None, None]
        eps = torch.randn_like(x0)
        loss = F.mse_loss(model(x0 * a + eps * sigma, t, tags), eps * a - x0 * sigma)
        opt.zero_grad()
        loss.backward()
        opt.step()

    train_rate = B / median_step_seconds(step, cfg["warmup"], cfg["steps"])

    n, steps = cfg["samples"], cfg["sampleSteps"]
    model.eval()
    with torch.no_grad():
        started = time.perf_counter()
        x = torch.randn(n, 3, s, s)
        cond = torch.cat([tags[:1].repeat(n, 1), torch.zeros(n, c["numTags"])])
        for i in range(steps):
            t = round((T - 1) * (steps - 1 - i) / max(1, steps - 1))
            out = model(torch.cat([x, x]), torch.full((2 * n,), t), cond)
            v = out[n:] + 2 * (out[:n] - out[n:])
            a_t, a_prev = alpha_bar[t], (alpha_bar[round((T - 1) * (steps - 2 - i) / max(1, steps - 1))] if i + 1 < steps else torch.tensor(1.0))
            x0_hat = (a_t.sqrt() * x - (1 - a_t).sqrt() * v).clamp(-1, 1)
            eps = (x - a_t.sqrt() * x0_hat) / (1 - a_t).sqrt()
            x = a_prev.sqrt() * x0_hat + (1 - a_prev).sqrt() * eps
        sample_rate = n / (time.perf_counter() - started)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "trainImagesPerSecond": train_rate, "sampleImagesPerSecond": sample_rate}))


if __name__ == "__main__":
    main()
