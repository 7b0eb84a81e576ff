"""engram's conditional diffusion UNet (tags -> image) in PyTorch: loads an engram .safetensors weights file
and computes the same network output (the predicted noise, or v).

Written by `engram export MODEL --to pytorch DIR`. Needs only torch and numpy. The network: a sinusoidal
embedding of the step t through a two-layer MLP, plus a linear embedding of the tag vector; an input 3x3
convolution; residual blocks down1 (full size), down2 (after 2x2 average pooling), mid, and up (after
nearest-neighbour upsampling, concatenated with down1's output); an output 3x3 convolution. Images are
[batch, size, size, 3] in [-1, 1]. The noise schedule (alpha-bar) and the loss are engram's: DDPM's linear
or the cosine schedule, noise or v prediction (engram.model_config says which).

    python3 diffusion.py MODEL.safetensors --inputs INPUTS.safetensors   # INPUTS holds xt, t, tags; prints the output as JSON
"""
import argparse
import json
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from engram_io import engram_parameters, load_module, read_safetensors


def alpha_bars(timesteps, schedule):
    """alpha-bar_t as engram computes it (float64): linear betas 1e-4..0.02, or the cosine schedule."""
    f = lambda t: math.cos(((t / timesteps + 0.008) / 1.008) * (math.pi / 2)) ** 2
    out, product = [], 1.0
    for t in range(timesteps):
        beta = min(0.999, 1 - f(t + 1) / f(t)) if schedule == 'cosine' else 1e-4 + (0.02 - 1e-4) * t / max(1, timesteps - 1)
        product *= 1 - beta
        out.append(product)
    return torch.tensor(out, dtype=torch.float64)


class ResBlock(nn.Module):
    def __init__(self, cin, cout, embed):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.emb = nn.Linear(embed, cout, bias=False)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1, bias=False) if cin != cout else None

    def forward(self, x, emb):
        h = F.relu(self.conv1(x)) + self.emb(emb)[:, :, None, None]
        h = self.conv2(F.relu(h))
        return h + (x if self.skip is None else self.skip(x))


class EngramUNet(nn.Module):
    kind = 'diffusion'

    def __init__(self, config):
        super().__init__()
        self.config = config
        c1, c2 = config['channels']
        e = config['embedDim']
        self.time_w1 = nn.Linear(e, e)
        self.time_w2 = nn.Linear(e, e, bias=False)
        self.tags = nn.Linear(config['numTags'], e, bias=False)
        self.conv_in = nn.Conv2d(3, c1, 3, padding=1)
        self.down1, self.down2, self.mid, self.up = ResBlock(c1, c1, e), ResBlock(c1, c2, e), ResBlock(c2, c2, e), ResBlock(c2 + c1, c1, e)
        self.conv_out = nn.Conv2d(c1, 3, 3, padding=1)
        self.register_buffer('alpha_bar', alpha_bars(config['timesteps'], config.get('schedule', 'linear')), persistent=False)

    def time_embedding(self, t):
        half = self.config['embedDim'] // 2
        angles = t.double()[:, None] / 10000 ** (torch.arange(half, dtype=torch.float64, device=t.device) / half)
        sinusoid = torch.cat([angles.sin(), angles.cos()], dim=1).float()
        return self.time_w2(F.relu(self.time_w1(sinusoid)))

    def forward(self, xt, t, tags):
        """The network's output [B, size, size, 3] for noisy images xt [B, size, size, 3], steps t [B], tag vectors [B, numTags]."""
        emb = self.time_embedding(t) + self.tags(tags)
        h0 = self.conv_in(xt.permute(0, 3, 1, 2))
        d1 = self.down1(h0, emb)
        m = self.mid(self.down2(F.avg_pool2d(d1, 2), emb), emb)
        u = self.up(torch.cat([F.interpolate(m, scale_factor=2, mode='nearest'), d1], dim=1), emb)
        return self.conv_out(F.relu(u)).permute(0, 2, 3, 1)

    def loss(self, batch, generator=None):
        """engram's loss: each image noised at a random step, tags dropped with tagDropout, mean squared error of
        the predicted noise (or v = sqrt(a) noise - sqrt(1 - a) image) per image, then the mean over images."""
        pixels, tags = batch
        b, device = pixels.shape[0], pixels.device
        t = torch.randint(0, self.config['timesteps'], (b,), generator=generator).to(device)
        noise = torch.randn(pixels.shape, generator=generator).to(device)
        keep = (torch.rand(b, generator=generator) >= self.config['tagDropout']).float().to(device)[:, None]
        x0 = pixels * 2 - 1
        a = self.alpha_bar[t].sqrt().float()[:, None, None, None]
        sigma = (1 - self.alpha_bar[t]).sqrt().float()[:, None, None, None]
        target = noise * a - x0 * sigma if self.config.get('prediction', 'eps') == 'v' else noise
        predicted = self(x0 * a + noise * sigma, t, tags * keep)
        return ((predicted - target) ** 2).mean(dim=(1, 2, 3)).mean()

    def engram_names(self):
        names = [('time.w1', self.time_w1.weight, 'linear'), ('time.b1', self.time_w1.bias, None), ('time.w2', self.time_w2.weight, 'linear'),
                 ('tags.w', self.tags.weight, 'linear'), ('in.conv', self.conv_in.weight, 'conv'), ('in.bias', self.conv_in.bias, None)]
        for name in ['down1', 'down2', 'mid', 'up']:
            block = getattr(self, name)
            names += [(f'{name}.conv1', block.conv1.weight, 'conv'), (f'{name}.bias1', block.conv1.bias, None), (f'{name}.emb', block.emb.weight, 'linear'),
                      (f'{name}.conv2', block.conv2.weight, 'conv'), (f'{name}.bias2', block.conv2.bias, None)]
            if block.skip is not None:
                names.append((f'{name}.skip', block.skip.weight, 'skip'))
        return names + [('out.conv', self.conv_out.weight, 'conv'), ('out.bias', self.conv_out.bias, None)]

    def to_engram(self):
        return engram_parameters(self)


def load_engram(path):
    """The model in an engram weights file, in eval mode, and the file's metadata."""
    return load_module(path, 'diffusion', EngramUNet)


if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('weights')
    parser.add_argument('--inputs', required=True, help='a safetensors file with xt [B, size, size, 3], t [B] (I32) and tags [B, numTags]')
    args = parser.parse_args()
    model, _ = load_engram(args.weights)
    inputs, _ = read_safetensors(args.inputs)
    with torch.no_grad():
        print(json.dumps(model(inputs['xt'], inputs['t'].long(), inputs['tags']).flatten().tolist()))
