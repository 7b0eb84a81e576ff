"""Train an engram model in PyTorch, on one machine or many, and write the result back as an engram weights file.

Written by `engram export MODEL --to pytorch DIR` with the model's module (gpt.py, diffusion.py or tagger.py)
and data.safetensors: the training and held-out sides of the split the model was trained on, as engram built
them (the token streams for text, with any canaries; pixels and tag vectors for images). The settings are the
file's own engram.train_config (batch size, AdamW betas and weight decay on matrices only, warm-up then cosine
learning rate, gradient clipping); flags override them.

    python3 train.py model.safetensors --out more.safetensors --steps 500                  # one process
    torchrun --nproc_per_node=2 train.py model.safetensors --out more.safetensors          # DistributedDataParallel, gloo on CPU
    torchrun --nnodes=4 --nproc_per_node=8 --rdzv-endpoint=HOST:29500 train.py ... --device cuda   # nccl on GPUs

By default training continues from the file's weights (steps are added to the file's count); --restart starts
again from PyTorch's initialisation with the same config. The global batch (train_config.batchSize) is split
over the processes. The file written back has the same metadata (config, vocabulary, dataset provenance), the
new step count and losses, and a `trainedWith` record; `engram sample`, `inspect` and `audit` read it.
"""
import argparse
import importlib
import json
import math
import os
import time

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from engram_io import read_safetensors, write_safetensors

FAMILIES = {'gpt': 'gpt', 'diffusion': 'diffusion', 'tagger': 'tagger'}


def learning_rate_at(step, c):
    """engram's schedule: linear warm-up, then cosine decay from learningRate to minLearningRate."""
    if step < c['warmupSteps']:
        return c['learningRate'] * (step + 1) / c['warmupSteps']
    progress = min(1, (step - c['warmupSteps']) / max(1, c['steps'] - c['warmupSteps']))
    return c['minLearningRate'] + 0.5 * (1 + math.cos(math.pi * progress)) * (c['learningRate'] - c['minLearningRate'])


class Batches:
    """Random batches of one side of the split, a pure function of (seed, step, rank), as engram's batches are."""

    def __init__(self, data, side, kind, block_size, device):
        self.kind, self.device = kind, device
        if kind == 'gpt':
            self.stream = data[f'{side}_tokens']
            self.time = min(block_size, len(self.stream) - 1)
            self.count = len(self.stream) - self.time
        else:
            self.pixels, self.targets = data[f'{side}_pixels'], data[f'{side}_targets']
            self.count = len(self.pixels)
        if self.count < 1:
            raise SystemExit(f'train.py: the {side} side of data.safetensors is empty')

    def batch(self, size, generator):
        picks = torch.randint(0, self.count, (size,), generator=generator)
        if self.kind == 'gpt':
            rows = picks[:, None] + torch.arange(self.time + 1)[None, :]
            window = self.stream[rows]
            return window[:, :-1].to(self.device), window[:, 1:].to(self.device)
        return self.pixels[picks].to(self.device), self.targets[picks].to(self.device)


def evaluate(model, batches, size, count, seed):
    """Mean loss over `count` fixed batches (the same for every call, as engram's evaluation)."""
    generator = torch.Generator().manual_seed(seed)
    model.eval()
    with torch.no_grad():
        losses = [model.loss(batches.batch(size, generator), torch.Generator().manual_seed(seed + i)).item() for i in range(count)]
    model.train()
    return sum(losses) / len(losses)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('weights', help='the engram weights file to continue from (and whose config to repeat)')
    parser.add_argument('--data', default=None, help='data.safetensors written by engram export (default: beside this script)')
    parser.add_argument('--out', required=True, help='the engram weights file to write')
    parser.add_argument('--steps', type=int, help='steps to train (default: the file\'s train_config.steps)')
    parser.add_argument('--learning-rate', type=float)
    parser.add_argument('--restart', action='store_true', help='start from a fresh initialisation instead of the file\'s weights')
    parser.add_argument('--device', default='cpu', help='cpu or cuda')
    parser.add_argument('--seed', type=int)
    args = parser.parse_args()

    distributed = 'WORLD_SIZE' in os.environ
    if distributed:
        dist.init_process_group('nccl' if args.device == 'cuda' else 'gloo')
    rank, world = (dist.get_rank(), dist.get_world_size()) if distributed else (0, 1)
    device = torch.device(f'cuda:{int(os.environ.get("LOCAL_RANK", 0))}' if args.device == 'cuda' else 'cpu')

    _, metadata = read_safetensors(args.weights)
    kind = metadata.get('engram.kind')
    if kind not in FAMILIES:
        raise SystemExit(f'train.py: {args.weights} holds a {kind} model; train.py trains {", ".join(FAMILIES)} models')
    family = importlib.import_module(FAMILIES[kind])
    model, _ = family.load_engram(args.weights)
    c = json.loads(metadata['engram.train_config'])
    c.update({k: v for k, v in {'steps': args.steps, 'learningRate': args.learning_rate, 'seed': args.seed}.items() if v is not None})
    c['minLearningRate'] = min(c['minLearningRate'], c['learningRate'])
    seed = c['seed']
    torch.manual_seed(seed)  # the same initialisation on every process
    if args.restart:
        model = type(model)(model.config)
    model.to(device).train()
    data, _ = read_safetensors(args.data or os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data.safetensors'))
    block = model.config.get('blockSize', 0)
    train, held_out = Batches(data, 'train', kind, block, device), Batches(data, 'held_out', kind, block, device)
    per_rank = max(1, math.ceil(c['batchSize'] / world))
    objective = DistributedDataParallel(Objective(model)) if distributed else Objective(model)
    decay = [p for p in model.parameters() if p.dim() >= 2]  # matrices only, as engram and nanoGPT
    rest = [p for p in model.parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW([{'params': decay, 'weight_decay': c['weightDecay']}, {'params': rest, 'weight_decay': 0.0}], lr=c['learningRate'], betas=(c['beta1'], c['beta2']), eps=1e-8)
    started, last = time.time(), float('nan')
    for step in range(c['steps']):
        generator = torch.Generator().manual_seed(seed * 1_000_003 + step * 1009 + rank)
        for group in optimizer.param_groups:
            group['lr'] = learning_rate_at(step, c)
        loss = objective(train.batch(per_rank, generator), generator)
        if not torch.isfinite(loss):
            raise SystemExit(f'train.py: the loss became {loss.item()} at step {step + 1}; nothing was written (try a lower --learning-rate)')
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if c['gradClip'] > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), c['gradClip'])
        optimizer.step()
        last = loss.item()
        if rank == 0 and ((step + 1) % max(1, c['evalEvery']) == 0 or step + 1 == c['steps']):
            rate = (step + 1) / (time.time() - started)
            print(f'step {step + 1}/{c["steps"]}  loss {last:.4f}  {rate:.1f} steps/s  eta {(c["steps"] - step - 1) / rate:.0f} s', flush=True)
    if rank == 0:
        write_back(args, model, metadata, c, train, held_out, world, kind)
    if distributed:
        dist.destroy_process_group()


class Objective(torch.nn.Module):
    """The family's loss as a module's forward, so DistributedDataParallel averages its gradients over processes."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, batch, generator):
        return self.model.loss(batch, generator)


def write_back(args, model, metadata, c, train, held_out, world, kind):
    size = c['batchSize']
    train_loss = evaluate(model, train, size, c['evalBatches'], 0)
    held_out_loss = evaluate(model, held_out, size, c['evalBatches'], 1)
    provenance = json.loads(metadata['engram.provenance'])
    previous = 0 if args.restart else provenance.get('steps', 0)
    provenance.update(steps=previous + c['steps'], trainLoss=train_loss, heldOutLoss=held_out_loss)
    provenance['trainedWith'] = {'framework': f'pytorch {torch.__version__}', 'processes': world, 'device': args.device,
                                 'continuedFromSteps': previous, 'steps': c['steps'], 'restart': bool(args.restart)}
    out = {k: v for k, v in metadata.items() if k != 'engram.train_state'}
    out['engram.provenance'] = json.dumps(provenance)
    out['engram.train_config'] = json.dumps({**json.loads(metadata['engram.train_config']), 'steps': previous + c['steps']})
    write_safetensors(args.out, model.to('cpu').to_engram(), out)
    print(f'wrote {args.out}: {previous + c["steps"]} steps, train loss {train_loss:.4f}, held-out loss {held_out_loss:.4f} ({kind}, {world} process{"es" if world > 1 else ""})')


if __name__ == '__main__':
    main()
