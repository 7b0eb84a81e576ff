// engram export --to pytorch: each family's PyTorch module reads the weights file and gives engram's outputs
// (Debian's python3-torch; skipped without it); train.py trains on under torchrun's DistributedDataParallel
// (2 processes, gloo) and writes an engram file that engram samples from, inspects and audits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng, tensor, tidy } from '../src/engine/index.js';
import { readTextFile } from '../src/data/textFile.js';
import { loadTextModel, trainTextModel } from '../src/tasks/text.js';
import { loadTagger } from '../src/tasks/tagger.js';
import { loadImageModel } from '../src/tasks/image.js';
import { loadModelFile, saveModelFile } from '../src/weights/modelFile.js';
import { encodeSafetensors } from '../src/weights/safetensors.js';
import { FileStorage } from '../src/weights/storage.js';
import { ready, TINY_MODEL, tinyTrain, wordnetSlice } from './helpers.js';
import { scratchDir } from './scratch.js';

await ready;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const MAIN = path.join(ROOT, 'dist/src/cli/main.js');
const PYTHON = '/usr/bin/python3';
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch']).status === 0;
const NO_TORCH = 'no python3-torch (apt-get install python3-torch)';
// Debian's torch 1.13 on Python 3.11 cannot parse torchrun's default --redirects/--tee of 0 (Python 3.11's
// IntFlag no longer lists a zero member); any non-zero value works.
const TORCHRUN = ['/usr/bin/torchrun', '--redirects', '2', '--tee', '2', '--nproc_per_node', '2'];

function run(command: string, args: string[], cwd: string) {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
  assert.equal(r.status, 0, `${command} ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}
const engram = (cwd: string, ...args: string[]) => run(process.execPath, [MAIN, ...args], cwd);

function largestDifference(theirs: number[], ours: Float32Array | number[]): number {
  assert.equal(theirs.length, ours.length);
  return Math.max(...theirs.map((x, i) => Math.abs(x - ours[i])));
}

const randomArray = (n: number, seed: number, scale = 1) => {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.normal() * scale);
};

test('GPT: the exported module computes engram\'s logits; torchrun trains on; engram samples and audits what came back', { timeout: 240_000 }, async (t) => {
  if (!hasTorch) return t.skip(NO_TORCH);
  const dir = scratchDir('export');
  const file = path.join(dir, 'm.safetensors');
  const lines = path.join(dir, 'adverbs.txt');
  writeFileSync(lines, wordnetSlice(100).examples.map((e) => `${e.input}\t${e.output}`).join('\n'));
  await trainTextModel({ dataset: readTextFile(lines), out: file, model: { ...TINY_MODEL, nLayer: 2, nEmbd: 32, nHead: 4 }, train: tinyTrain({ steps: 30, evalEvery: 30 }), split: { splitSeed: 0, heldOutFraction: 0.2 }, storage: new FileStorage() });
  assert.match(engram(dir, 'export', file, '--to', 'pytorch', 'torch', '--data', lines), /gpt\.py, train\.py/);
  const loaded = await loadTextModel(new FileStorage(), file);
  const tokens = [0, ...loaded.tokenizer.encode('quickly'), 1, ...loaded.tokenizer.encode('in a quick way')];
  const ours = tidy(() => loaded.model.forward(Int32Array.from(tokens), 1, tokens.length, { training: false, seed: 0 }).toArray());
  const theirs = JSON.parse(run(PYTHON, ['torch/gpt.py', 'torch/model.safetensors', '--tokens', tokens.join(','), '--nanogpt', 'ckpt.pt'], dir).split('\n')[0]) as number[][];
  const worst = largestDifference(theirs.flat(), ours);
  assert.ok(worst < 1e-5, `largest logit difference ${worst}`);
  t.diagnostic(`GPT: largest logit difference between engram and PyTorch ${worst.toExponential(2)}`);
  const names = run(PYTHON, ['-c', `import torch; c = torch.load('ckpt.pt'); sd = c['model']; print(sd['transformer.h.0.attn.c_attn.weight'].shape[0], sd['lm_head.weight'].shape[0], c['model_args']['n_layer'])`], dir);
  assert.equal(names.trim(), `96 ${loaded.tokenizer.size} 2`, 'nanoGPT names and [out, in] layouts');
  loaded.model.dispose();

  const trained = run(TORCHRUN[0], [...TORCHRUN.slice(1), 'torch/train.py', 'torch/model.safetensors', '--out', 'more.safetensors', '--steps', '40'], dir);
  assert.match(trained, /wrote more\.safetensors: 70 steps, train loss [\d.]+, held-out loss [\d.]+ \(gpt, 2 processes\)/);
  assert.match(engram(dir, 'inspect', 'more.safetensors'), /continued {3}40 steps in pytorch .* on 2 cpu processes, after 30 steps in engram/);
  const sampled = engram(dir, 'sample', 'more.safetensors', '--prompt', 'quickly', '--temperature', '0', '--max-tokens', '20');
  assert.ok(sampled.trim().length > 0);
  const audit = engram(dir, 'audit', 'more.safetensors', '--data', lines, '--examples', '20', '--extraction-examples', '5', '--out', 'audit');
  assert.match(audit, /verdict|memoris/i);
});

test('tagger: the exported module computes engram\'s logits; torchrun trains on; engram audits what came back', { timeout: 240_000 }, async (t) => {
  if (!hasTorch) return t.skip(NO_TORCH);
  const dir = scratchDir('export');
  engram(dir, 'train', 'tagger', '--data', 'mnist:30', '--steps', '6', '--eval-every', '3', '--image-size', '16', '--channels', '4,8', '--out', 'tagger.safetensors');
  assert.match(engram(dir, 'export', 'tagger.safetensors', '--to', 'pytorch', 'torch'), /tagger\.py, train\.py/);
  const loaded = await loadTagger(new FileStorage(), path.join(dir, 'tagger.safetensors'));
  const pixels = randomArray(3 * 16 * 16 * 3, 1, 0.3).map((x) => Math.min(1, Math.abs(x)));
  const ours = tidy(() => loaded.model.logits(pixels, 3).toArray());
  writeFileSync(path.join(dir, 'inputs.safetensors'), encodeSafetensors([{ name: 'pixels', dtype: 'F32', shape: [3, 16, 16, 3], data: pixels }]));
  const worst = largestDifference(JSON.parse(run(PYTHON, ['torch/tagger.py', 'torch/model.safetensors', '--inputs', 'inputs.safetensors'], dir)), ours);
  assert.ok(worst < 1e-5, `largest logit difference ${worst}`);
  t.diagnostic(`tagger: largest logit difference between engram and PyTorch ${worst.toExponential(2)}`);
  loaded.model.dispose();
  const trained = run(TORCHRUN[0], [...TORCHRUN.slice(1), 'torch/train.py', 'torch/model.safetensors', '--out', 'more.safetensors', '--steps', '20'], dir);
  assert.match(trained, /wrote more\.safetensors: \d+ steps, .* \(tagger, 2 processes\)/);
  assert.match(engram(dir, 'audit', 'more.safetensors', '--examples', '20', '--out', 'audit'), /AUC/);
});

test('diffusion UNet: the exported module computes engram\'s network output; train.py trains on; engram samples from it', { timeout: 240_000 }, async (t) => {
  if (!hasTorch) return t.skip(NO_TORCH);
  const dir = scratchDir('export');
  engram(dir, 'train', 'image', '--data', 'mnist:20', '--image-size', '8', '--channels', '8,16', '--embed-dim', '16', '--timesteps', '100', '--batch-size', '8', '--steps', '4', '--eval-every', '4', '--eval-batches', '1', '--out', 'digits.safetensors');
  // Random weights everywhere (a few steps leave the zero-initialised convolutions near zero, which would hide a wrong layout).
  const storage = new FileStorage();
  const record = await loadModelFile(storage, path.join(dir, 'digits.safetensors'));
  const params = new Map([...record.params].map(([name, a], i) => [name, { shape: a.shape, data: randomArray(a.data.length, 10 + i, 0.2) }]));
  await saveModelFile(storage, path.join(dir, 'digits.safetensors'), { ...record, params });
  assert.match(engram(dir, 'export', 'digits.safetensors', '--to', 'pytorch', 'torch'), /diffusion\.py, train\.py/);
  const loaded = await loadImageModel(storage, path.join(dir, 'digits.safetensors'));
  const xt = randomArray(2 * 8 * 8 * 3, 2);
  const steps = [3, 77];
  const tags = Float32Array.from({ length: 2 * 10 }, (_, i) => (i === 7 || i === 12 ? 1 : 0));
  const ours = tidy(() => loaded.model.predict(tensor(xt, [2, 8, 8, 3]), steps, tensor(tags, [2, 10])).toArray());
  writeFileSync(path.join(dir, 'inputs.safetensors'), encodeSafetensors([
    { name: 'xt', dtype: 'F32', shape: [2, 8, 8, 3], data: xt }, { name: 't', dtype: 'I32', shape: [2], data: Int32Array.from(steps) },
    { name: 'tags', dtype: 'F32', shape: [2, 10], data: tags },
  ]));
  const worst = largestDifference(JSON.parse(run(PYTHON, ['torch/diffusion.py', 'torch/model.safetensors', '--inputs', 'inputs.safetensors'], dir)), ours);
  // Random weights give outputs up to ~100: float32 agrees to ~1e-7 of the largest value, not to 1e-5 absolute.
  const largest = Math.max(...ours.map(Math.abs));
  assert.ok(worst < 1e-5 * Math.max(1, largest), `largest output difference ${worst} (outputs up to ${largest})`);
  t.diagnostic(`diffusion: largest output difference between engram and PyTorch ${worst.toExponential(2)}, outputs up to ${largest.toFixed(1)}`);
  loaded.model.dispose();
  assert.match(run(PYTHON, ['torch/train.py', 'torch/model.safetensors', '--out', 'more.safetensors', '--steps', '5'], dir), /wrote more\.safetensors: 9 steps, .* \(diffusion, 1 process\)/);
  engram(dir, 'sample', 'more.safetensors', '--tags', '7', '-n', '2', '--steps', '3', '--out', 'sevens.png');
});
