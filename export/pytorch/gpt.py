"""engram's GPT in PyTorch: loads an engram .safetensors weights file and computes the same logits.

Written by `engram export MODEL --to pytorch DIR`. Needs only torch and numpy. Everything the computation
needs comes from the file itself (engram.model_config and its `architecture`): LayerNorm epsilon, tanh GELU,
biases, the tied output layer, learned positions, [in, out] linear weights (transposed here for nn.Linear),
q/k/v order in c_attn, and the token ids.

    python3 gpt.py MODEL.safetensors --tokens 0,5,6,1      # prints the last position's logits as JSON
    python3 gpt.py MODEL.safetensors --nanogpt ckpt.pt     # a checkpoint nanoGPT's GPT loads (model, model_args)
"""
import argparse
import json
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from engram_io import engram_parameters, load_module


class Block(nn.Module):
    def __init__(self, c, n_head, eps, dropout):
        super().__init__()
        self.n_head, self.dropout = n_head, dropout
        self.ln_1 = nn.LayerNorm(c, eps=eps)
        self.c_attn = nn.Linear(c, 3 * c)
        self.c_proj = nn.Linear(c, c)
        self.ln_2 = nn.LayerNorm(c, eps=eps)
        self.c_fc = nn.Linear(c, 4 * c)
        self.mlp_proj = nn.Linear(4 * c, c)
        self.drop = nn.Dropout(dropout)

    def attention(self, x):
        b, t, c = x.shape
        q, k, v = self.c_attn(x).split(c, dim=2)  # engram's order: q, k, v
        heads = lambda z: z.view(b, t, self.n_head, c // self.n_head).transpose(1, 2)
        q, k, v = heads(q), heads(k), heads(v)
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(c // self.n_head)
        causal = torch.ones(t, t, dtype=torch.bool, device=x.device).tril()
        scores = scores.masked_fill(~causal, float('-inf'))
        y = self.drop(F.softmax(scores, dim=-1)) @ v
        return self.c_proj(y.transpose(1, 2).contiguous().view(b, t, c))

    def forward(self, x):
        x = x + self.drop(self.attention(self.ln_1(x)))
        return x + self.drop(self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate='tanh')))


class EngramGPT(nn.Module):
    kind = 'gpt'

    def __init__(self, config):
        super().__init__()
        self.config = config
        eps = config.get('architecture', {}).get('layerNormEpsilon', 1e-5)
        c = config['nEmbd']
        self.wte = nn.Embedding(config['vocabSize'], c)
        self.wpe = nn.Embedding(config['blockSize'], c)
        self.drop = nn.Dropout(config.get('dropout', 0.0))
        self.h = nn.ModuleList([Block(c, config['nHead'], eps, config.get('dropout', 0.0)) for _ in range(config['nLayer'])])
        self.ln_f = nn.LayerNorm(c, eps=eps)

    def forward(self, idx):
        t = idx.shape[1]
        x = self.drop(self.wte(idx) + self.wpe(torch.arange(t, device=idx.device)))
        for block in self.h:
            x = block(x)
        return self.ln_f(x) @ self.wte.weight.T  # tied output layer

    def loss(self, batch, generator=None):
        """Mean next-token cross-entropy, as engram's trainer: batch = (inputs, targets) [B, T]."""
        inputs, targets = batch
        logits = self(inputs)
        return F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.reshape(-1))

    def engram_names(self):
        """(engram name, this module's parameter, its layout in engram_io) for every parameter."""
        names = [('wte', self.wte.weight, None), ('wpe', self.wpe.weight, None), ('ln_f.weight', self.ln_f.weight, None), ('ln_f.bias', self.ln_f.bias, None)]
        for i, block in enumerate(self.h):
            p = f'h.{i}.'
            for ours, theirs in [('ln_1', 'ln_1'), ('ln_2', 'ln_2')]:
                names += [(p + theirs + '.weight', getattr(block, ours).weight, None), (p + theirs + '.bias', getattr(block, ours).bias, None)]
            for ours, theirs in [('c_attn', 'attn.c_attn'), ('c_proj', 'attn.c_proj'), ('c_fc', 'mlp.c_fc'), ('mlp_proj', 'mlp.c_proj')]:
                names += [(p + theirs + '.weight', getattr(block, ours).weight, 'linear'), (p + theirs + '.bias', getattr(block, ours).bias, None)]
        return names

    def to_engram(self):
        return engram_parameters(self)


def load_engram(path):
    """The model in an engram weights file, in eval mode, and the file's metadata (linears stored [in, out])."""
    return load_module(path, 'gpt', EngramGPT)


def nanogpt_checkpoint(model):
    """nanoGPT's checkpoint layout (model.py's GPT): transformer.* names, nn.Linear [out, in], lm_head tied to wte."""
    c = model.config
    sd = {'transformer.wte.weight': model.wte.weight, 'transformer.wpe.weight': model.wpe.weight,
          'transformer.ln_f.weight': model.ln_f.weight, 'transformer.ln_f.bias': model.ln_f.bias, 'lm_head.weight': model.wte.weight}
    for i, b in enumerate(model.h):
        p = f'transformer.h.{i}.'
        for ours, theirs in [('ln_1', 'ln_1'), ('ln_2', 'ln_2'), ('c_attn', 'attn.c_attn'), ('c_proj', 'attn.c_proj'), ('c_fc', 'mlp.c_fc'), ('mlp_proj', 'mlp.c_proj')]:
            sd[p + theirs + '.weight'] = getattr(b, ours).weight
            sd[p + theirs + '.bias'] = getattr(b, ours).bias
    model_args = dict(n_layer=c['nLayer'], n_head=c['nHead'], n_embd=c['nEmbd'], block_size=c['blockSize'], vocab_size=c['vocabSize'], bias=True, dropout=0.0)
    return {'model': {k: v.detach().clone() for k, v in sd.items()}, 'model_args': model_args}


if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('weights')
    parser.add_argument('--tokens', help='comma-separated token ids; prints the logits at every position as JSON')
    parser.add_argument('--nanogpt', help='write a nanoGPT checkpoint (model, model_args) to this path')
    args = parser.parse_args()
    model, _ = load_engram(args.weights)
    if args.tokens:
        idx = torch.tensor([[int(t) for t in args.tokens.split(',')]])
        with torch.no_grad():
            print(json.dumps(model(idx)[0].tolist()))
    if args.nanogpt:
        torch.save(nanogpt_checkpoint(model), args.nanogpt)
        print(f'wrote {args.nanogpt}')
