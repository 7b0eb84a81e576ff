"""PyTorch reference for `npm run bench`: the same GPT as src/models/gpt.ts (pre-LayerNorm blocks, causal
multi-head attention, tanh-GELU MLP, tied output embedding), the same AdamW + warm-up/cosine schedule,
trained on the very batches engram trained on, so engram's speed and loss can be read beside it.

Usage: OMP_NUM_THREADS=2 /usr/bin/python3 bench/reference_gpt.py CONFIG.json
CONFIG.json (written by bench/bench.ts) holds the model and training config, the path of engram's training
batches ([steps, batch, blockSize + 1] uint16 tokens), the held-out token stream (uint16) and the held-out
evaluation windows. Prints one JSON object.
"""
import json
import math
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        C = c["nEmbd"]
        self.n_head = c["nHead"]
        self.ln_1 = nn.LayerNorm(C)
        self.c_attn = nn.Linear(C, 3 * C)
        self.attn_proj = nn.Linear(C, C)
        self.ln_2 = nn.LayerNorm(C)
        self.c_fc = nn.Linear(C, 4 * C)
        self.mlp_proj = nn.Linear(4 * C, C)
        self.drop = c["dropout"]

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(C, dim=2)
        heads = lambda t: t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        q, k, v = heads(q), heads(k), heads(v)  # [B, H, T, D]; Debian's torch 1.13 has no fused attention
        att = (q @ k.transpose(-2, -1)) / math.sqrt(k.size(-1))
        att = att.masked_fill(torch.triu(torch.ones(T, T, dtype=torch.bool), 1), float("-inf"))
        y = F.dropout(F.softmax(att, dim=-1), self.drop, self.training) @ v
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        x = x + F.dropout(self.attn_proj(y), self.drop, self.training)
        h = self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))
        return x + F.dropout(h, self.drop, self.training)


class GPT(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.wte = nn.Embedding(c["vocabSize"], c["nEmbd"])
        self.wpe = nn.Embedding(c["blockSize"], c["nEmbd"])
        self.blocks = nn.ModuleList([Block(c) for _ in range(c["nLayer"])])
        self.ln_f = nn.LayerNorm(c["nEmbd"])
        for name, p in self.named_parameters():
            if name.endswith("bias"):
                nn.init.zeros_(p)
            elif "ln_" in name:
                nn.init.ones_(p)
            else:
                std = 0.02 / math.sqrt(2 * c["nLayer"]) if name.endswith("proj.weight") else 0.02
                nn.init.normal_(p, 0.0, std)

    def forward(self, idx, targets=None):
        B, T = idx.shape
        x = F.dropout(self.wte(idx) + self.wpe(torch.arange(T)), self.c["dropout"], self.training)
        for block in self.blocks:
            x = block(x)
        logits = self.ln_f(x) @ self.wte.weight.T  # tied output layer
        loss = None if targets is None else F.cross_entropy(logits.view(B * T, -1), targets.view(-1))
        return logits, loss


def lr_at(step, t):
    if step < t["warmupSteps"]:
        return t["learningRate"] * (step + 1) / t["warmupSteps"]
    progress = min(1.0, (step - t["warmupSteps"]) / max(1, t["steps"] - t["warmupSteps"]))
    return t["minLearningRate"] + 0.5 * (1 + math.cos(math.pi * progress)) * (t["learningRate"] - t["minLearningRate"])


def windows(stream, starts, T):
    x = torch.stack([torch.from_numpy(stream[s:s + T].astype(np.int64)) for s in starts])
    y = torch.stack([torch.from_numpy(stream[s + 1:s + 1 + T].astype(np.int64)) for s in starts])
    return x, y


def main():
    cfg = json.load(open(sys.argv[1]))
    m, t = cfg["model"], cfg["train"]
    torch.manual_seed(t["seed"])
    # The exact windows engram trained on, step by step: [steps, batch, blockSize + 1] tokens.
    batches = np.fromfile(cfg["trainBatches"], dtype=np.uint16).reshape(t["steps"], t["batchSize"], m["blockSize"] + 1).astype(np.int64)
    held_out = np.fromfile(cfg["heldOutStream"], dtype=np.uint16)
    T, B = m["blockSize"], t["batchSize"]
    model = GPT(m)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": t["weightDecay"]}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=t["learningRate"], betas=(t["beta1"], t["beta2"]), eps=1e-8)
    warmup = cfg["timingWarmupSteps"]
    seconds = []
    for step in range(t["steps"]):
        started = time.perf_counter()
        for group in opt.param_groups:
            group["lr"] = lr_at(step, t)
        x, y = torch.from_numpy(np.ascontiguousarray(batches[step, :, :-1])), torch.from_numpy(np.ascontiguousarray(batches[step, :, 1:]))
        model.train()
        _, loss = model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), t["gradClip"])
        opt.step()
        if step >= warmup:
            seconds.append(time.perf_counter() - started)
    # The median step, as engram's bench takes it (this machine's speed varies from moment to moment).
    step_seconds = sorted(seconds)[len(seconds) // 2]
    model.eval()
    with torch.no_grad():
        losses = [model(*windows(held_out, starts, T))[1].item() for starts in cfg["heldOutEvalStarts"]]
        # Sampling as nanoGPT does it: recompute the (cropped) context for every new character.
        idx = torch.zeros((1, 1), dtype=torch.long)
        sample_chars = cfg["sampleChars"]
        t0 = time.perf_counter()
        for _ in range(sample_chars):
            logits, _ = model(idx[:, -T:])
            probs = F.softmax(logits[:, -1, :], dim=-1)
            idx = torch.cat([idx, torch.multinomial(probs, 1)], dim=1)
        sample_seconds = time.perf_counter() - t0
    print(json.dumps({
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "parameters": sum(p.numel() for p in model.parameters()),
        "trainTokensPerSecond": B * T / step_seconds,
        "heldOutLoss": sum(losses) / len(losses),
        "sampleCharsPerSecond": sample_chars / sample_seconds,
    }))


if __name__ == "__main__":
    main()
