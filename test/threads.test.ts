// Results do not depend on the number of threads: the same training run with ENGRAM_THREADS=1 and =2 gives
// bit-identical weights, for the GPT (products, attention, LayerNorm, dropout) and the UNet (convolutions,
// pooling). The sizes are chosen so that the products, attention, LayerNorm, GELU and the convolutions split
// their work between the threads (element-wise kernels below 64k elements run on one).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeModelFile } from '../src/weights/modelFile.js';
import { wordnetSlice } from './helpers.js';
import { scratchDir } from './scratch.js';

const MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'main.js');
const dir = scratchDir('threads');

function trainWith(threads: number, args: string[], out: string): Map<string, Float32Array> {
  const file = path.join(dir, `${out}-${threads}.safetensors`);
  const r = spawnSync(process.execPath, [MAIN, 'train', ...args, '--out', file], { cwd: dir, encoding: 'utf8', env: { ...process.env, ENGRAM_THREADS: String(threads) } });
  assert.equal(r.status, 0, r.stderr);
  return new Map([...decodeModelFile(readFileSync(file), file).params].map(([name, p]) => [name, p.data]));
}

function assertSameWeights(a: Map<string, Float32Array>, b: Map<string, Float32Array>): void {
  assert.deepEqual([...a.keys()], [...b.keys()]);
  for (const [name, values] of a) assert.ok(Buffer.from(values.buffer, values.byteOffset, values.byteLength).equals(Buffer.from(b.get(name)!.buffer, b.get(name)!.byteOffset, b.get(name)!.byteLength)), `${name} differs`);
}

test('a GPT trained on one thread and on two has the same weights, bit for bit', () => {
  const data = path.join(dir, 'adverbs.txt');
  writeFileSync(data, wordnetSlice(400).examples.map((e) => `${e.input}\t${e.output}`).join('\n') + '\n');
  const args = ['text', '--data', data, '--steps', '3', '--eval-every', '3', '--eval-batches', '1', '--n-embd', '64', '--n-head', '4', '--n-layer', '2', '--block-size', '64', '--batch-size', '8', '--dropout', '0.1'];
  assertSameWeights(trainWith(1, args, 'gpt'), trainWith(2, args, 'gpt'));
});

test('a UNet trained on one thread and on two has the same weights, bit for bit', () => {
  const args = ['image', '--data', 'mnist:10', '--image-size', '16', '--channels', '16,32', '--steps', '2', '--eval-every', '2', '--eval-batches', '1', '--batch-size', '16'];
  assertSameWeights(trainWith(1, args, 'unet'), trainWith(2, args, 'unet'));
});
