// engram export --to pytorch: the PyTorch module reads the weights file and gives engram's logits (Debian's
// python3-torch; skipped without it), and writes a nanoGPT checkpoint with nanoGPT's names and layouts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tidy } from '../src/engine/index.js';
import { loadTextModel, trainTextModel } from '../src/tasks/text.js';
import { FileStorage } from '../src/weights/storage.js';
import { ready, TINY_MODEL, tinyTrain, wordnetSlice } from './helpers.js';

await ready;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const PYTHON = '/usr/bin/python3';

test('the exported PyTorch GPT computes engram\'s logits from the weights file alone', { timeout: 120_000 }, async (t) => {
  if (spawnSync(PYTHON, ['-c', 'import torch']).status !== 0) return t.skip('no python3-torch (apt-get install python3-torch)');
  const dir = mkdtempSync(path.join(tmpdir(), 'engram-export-'));
  const file = path.join(dir, 'm.safetensors');
  await trainTextModel({ dataset: wordnetSlice(100), out: file, model: { ...TINY_MODEL, nLayer: 2, nEmbd: 32, nHead: 4 }, train: tinyTrain({ steps: 30, evalEvery: 30 }), split: { splitSeed: 0, heldOutFraction: 0.2 }, storage: new FileStorage() });
  const exported = spawnSync(process.execPath, [path.join(ROOT, 'dist/src/cli/main.js'), 'export', file, '--to', 'pytorch', path.join(dir, 'torch')], { encoding: 'utf8' });
  assert.equal(exported.status, 0, exported.stderr);
  const loaded = await loadTextModel(new FileStorage(), file);
  const tokens = [0, ...loaded.tokenizer.encode('quickly'), 1, ...loaded.tokenizer.encode('in a quick way')];
  const ours = tidy(() => loaded.model.forward(Int32Array.from(tokens), 1, tokens.length, { training: false, seed: 0 }).toArray());
  const run = spawnSync(PYTHON, [path.join(dir, 'torch', 'gpt.py'), path.join(dir, 'torch', 'model.safetensors'), '--tokens', tokens.join(','), '--nanogpt', path.join(dir, 'ckpt.pt')], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const theirs = (JSON.parse(run.stdout.split('\n')[0]) as number[][]).flat();
  assert.equal(theirs.length, ours.length);
  const worst = Math.max(...theirs.map((x, i) => Math.abs(x - ours[i])));
  assert.ok(worst < 1e-5, `largest logit difference ${worst}`);
  t.diagnostic(`largest logit difference between engram and PyTorch: ${worst.toExponential(2)}`);
  const names = spawnSync(PYTHON, ['-c', `import torch; c = torch.load(${JSON.stringify(path.join(dir, 'ckpt.pt'))}); sd = c['model']; print(sd['transformer.h.0.attn.c_attn.weight'].shape[0], sd['lm_head.weight'].shape[0], c['model_args']['n_layer'])`], { encoding: 'utf8' });
  assert.equal(names.stdout.trim(), `96 ${loaded.tokenizer.size} 2`, names.stderr);
  loaded.model.dispose();
});
