"""PyTorch reference for `npm run bench`: the same CNN tagger as src/models/tagger.ts (per block a 3x3
convolution, ReLU and 2x2 average pooling; global average pooling; one linear head), softmax cross-entropy,
trained with Adam on random images of the same size and batch. It measures speed only.

Usage: OMP_NUM_THREADS=2 /usr/bin/python3 bench/reference_tagger.py CONFIG.json
CONFIG.json (written by bench/bench.ts): {"imageSize", "channels", "numTags", "batchSize", "steps", "warmup"}.
Prints one JSON object.
"""
import json
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

from timing import median_step_seconds


class Tagger(nn.Module):
    def __init__(self, channels, num_tags):
        super().__init__()
        ins = [3] + channels[:-1]
        self.convs = nn.ModuleList([nn.Conv2d(i, o, 3, padding=1) for i, o in zip(ins, channels)])
        self.head = nn.Linear(channels[-1], num_tags)

    def forward(self, x):
        for conv in self.convs:
            x = F.avg_pool2d(F.relu(conv(x)), 2)
        return self.head(x.mean((2, 3)))


def main():
    cfg = json.load(open(sys.argv[1]))
    torch.manual_seed(0)
    model = Tagger(cfg["channels"], cfg["numTags"])
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    B, s = cfg["batchSize"], cfg["imageSize"]
    x = torch.rand(B, 3, s, s)
    y = torch.randint(0, cfg["numTags"], (B,))

    def step():
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    rate = B / median_step_seconds(step, cfg["warmup"], cfg["steps"])
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "trainImagesPerSecond": rate}))


if __name__ == "__main__":
    main()
