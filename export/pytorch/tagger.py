"""engram's tagger (image -> tags) in PyTorch: loads an engram .safetensors weights file and computes the same
tag logits.

Written by `engram export MODEL --to pytorch DIR`. Needs only torch and numpy. 3x3 convolutions (zero "same"
padding) with ReLU and 2x2 average pooling after each, global average pooling, one linear head; images are
[batch, size, size, 3] in [0, 1], as engram's. Multi-label models score with a sigmoid per tag, single-label
models with a softmax.

    python3 tagger.py MODEL.safetensors --inputs INPUTS.safetensors   # INPUTS holds `pixels`; prints logits as JSON
"""
import argparse
import json

import torch
import torch.nn as nn
import torch.nn.functional as F

from engram_io import engram_parameters, load_module, read_safetensors


class EngramTagger(nn.Module):
    kind = 'tagger'

    def __init__(self, config):
        super().__init__()
        self.config = config
        channels = [3] + list(config['channels'])
        self.convs = nn.ModuleList([nn.Conv2d(a, b, 3, padding=1) for a, b in zip(channels, channels[1:])])
        self.head = nn.Linear(channels[-1], config['numTags'])

    def forward(self, pixels):
        """Tag logits [B, numTags] for images [B, size, size, 3]."""
        x = pixels.permute(0, 3, 1, 2)
        for conv in self.convs:
            x = F.avg_pool2d(F.relu(conv(x)), 2)
        return self.head(x.mean(dim=(2, 3)))

    def loss(self, batch, generator=None):
        """engram's loss: softmax cross-entropy, or binary cross-entropy summed over tags; mean over images."""
        pixels, targets = batch
        z = self(pixels)
        if not self.config['multiLabel']:
            return -(F.log_softmax(z, dim=-1) * targets).sum(-1).mean()
        return F.binary_cross_entropy_with_logits(z, targets, reduction='none').sum(-1).mean()

    def engram_names(self):
        names = []
        for i, conv in enumerate(self.convs):
            names += [(f'conv{i}.weight', conv.weight, 'conv'), (f'conv{i}.bias', conv.bias, None)]
        return names + [('head.weight', self.head.weight, 'linear'), ('head.bias', self.head.bias, None)]

    def to_engram(self):
        return engram_parameters(self)


def load_engram(path):
    """The model in an engram weights file, in eval mode, and the file's metadata."""
    return load_module(path, 'tagger', EngramTagger)


if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('weights')
    parser.add_argument('--inputs', required=True, help='a safetensors file with `pixels` [B, size, size, 3]')
    args = parser.parse_args()
    model, _ = load_engram(args.weights)
    inputs, _ = read_safetensors(args.inputs)
    with torch.no_grad():
        print(json.dumps(model(inputs['pixels']).flatten().tolist()))
