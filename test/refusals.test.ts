// What engram refuses, and that a refusal destroys nothing: each bad input gets one line on stderr, a
// non-zero exit, no stack trace, and every file that was there before is byte-for-byte the same after.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeModelFile, encodeModelFile } from '../src/weights/modelFile.js';
import { encodeSafetensors, decodeSafetensors } from '../src/weights/safetensors.js';

const MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'main.js');
const dir = mkdtempSync(path.join(tmpdir(), 'engram-refusals-'));
const at = (name: string) => path.join(dir, name);
const TINY = ['--n-layer', '1', '--n-head', '2', '--n-embd', '16', '--block-size', '32', '--batch-size', '4', '--eval-every', '2', '--eval-batches', '1', '--held-out-fraction', '0.3'];

function engram(...args: string[]) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd: dir, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Hashes of every file under the test folder, to show a refusal changed nothing. */
function snapshot(): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      const s = statSync(p);
      if (s.isDirectory()) walk(p);
      else if (s.isFile()) out.set(p, createHash('sha256').update(readFileSync(p)).digest('hex'));
    }
  };
  walk(dir);
  return out;
}

/** One line, non-zero exit, no stack trace, and nothing that existed before was changed or removed. */
function refused(args: string[], pattern: RegExp): void {
  const before = snapshot();
  const r = engram(...args);
  assert.notEqual(r.code, 0, `${args.join(' ')} was accepted: ${r.stdout}`);
  const errors = r.stderr.trim().split('\n').filter((l) => l.startsWith('engram: '));
  assert.equal(errors.length, 1, `expected one error line for ${args.join(' ')}, got:\n${r.stderr}`);
  assert.match(errors[0], pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at |internal error/);
  const after = snapshot();
  for (const [file, hash] of before) assert.equal(after.get(file), hash, `${file} changed after: ${args.join(' ')}`);
}

writeFileSync(at('data.txt'), Array.from({ length: 30 }, (_, i) => `word${i}\ta short definition number ${i}`).join('\n') + '\n');
const first = engram('train', 'text', '--data', 'data.txt', '--steps', '4', '--out', 'm.safetensors', ...TINY);
assert.equal(first.code, 0, first.stderr);

test('an output that is the input, a directory, or an earlier run is refused; --force and --resume are the ways on', () => {
  refused(['train', 'text', '--data', 'data.txt', '--steps', '2', '--out', 'data.txt', ...TINY], /--out data.txt is the input data.txt/);
  refused(['train', 'text', '--data', 'data.txt', '--steps', '2', '--out', './data.txt', ...TINY], /is the input/);
  refused(['train', 'text', '--data', 'data.txt', '--steps', '2', '--out', 'm.safetensors', ...TINY], /holds an earlier run; continue it with --resume, or replace it with --force/);
  writeFileSync(at('notes.safetensors'), 'my own notes');
  refused(['train', 'text', '--data', 'data.txt', '--steps', '2', '--out', 'notes.safetensors', ...TINY], /exists and is not an engram model/);
  mkdirSync(at('outdir'), { recursive: true });
  refused(['train', 'text', '--data', 'data.txt', '--steps', '2', '--out', 'outdir', ...TINY], /is a directory; give a file name/);
  refused(['train', 'text', '--data', 'data.txt', '--steps', '2', '--out', 'newdir/', ...TINY], /is a directory/);
  refused(['train', 'text', '--data', 'data.txt', '--steps', '2', '--out', 'data.txt/m.safetensors', ...TINY], /cannot write to .*data.txt/);
  refused(['audit', 'm.safetensors', '--data', 'data.txt', '--out', 'data.txt'], /--out data.txt is the input/);
  refused(['audit', 'm.safetensors', '--data', 'data.txt', '--out', 'notes.safetensors'], /is a file; the audit writes a directory/);
  const forced = engram('train', 'text', '--data', 'data.txt', '--steps', '4', '--out', 'm.safetensors', '--force', ...TINY);
  assert.equal(forced.code, 0, forced.stderr);
  const resumed = engram('train', 'text', '--data', 'data.txt', '--steps', '6', '--out', 'm.safetensors', '--resume');
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal(readFileSync(at('m.log.jsonl'), 'utf8').trim().split('\n').length, 3, 'the resumed run appends to the log');
});

test('a model file given as an image --out is refused, and so is a non-PNG file', () => {
  const train = engram('train', 'image', '--data', 'mnist:4', '--image-size', '8', '--channels', '4,8', '--embed-dim', '8', '--timesteps', '20', '--steps', '2',
    '--batch-size', '8', '--eval-every', '2', '--eval-batches', '1', '--out', 'img.safetensors');
  assert.equal(train.code, 0, train.stderr);
  refused(['sample', 'img.safetensors', '--tags', '7', '--steps', '2', '--out', 'img.safetensors'], /is the input img.safetensors/);
  refused(['sample', 'img.safetensors', '--tags', '7', '--steps', '2', '--out', 'data.txt'], /data.txt exists and is not a PNG file/);
  const ok = engram('sample', 'img.safetensors', '--tags', '7', '-n', '2', '--steps', '2', '--out', 'grid.png');
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(engram('sample', 'img.safetensors', '--tags', '7', '-n', '2', '--steps', '2', '--out', 'grid.png').code, 0, 'a PNG is replaced');
});

test('weights with NaN or infinite values, tensors that do not fit the config, and mistyped metadata are refused', () => {
  const record = decodeModelFile(readFileSync(at('m.safetensors')), 'm');
  const poisoned = new Map(record.params);
  const wte = poisoned.get('wte')!;
  const data = wte.data.slice();
  data[3] = NaN;
  data[7] = Infinity;
  poisoned.set('wte', { shape: wte.shape, data });
  writeFileSync(at('nan.safetensors'), encodeModelFile({ ...record, params: poisoned }));
  for (const command of [['inspect', 'nan.safetensors'], ['sample', 'nan.safetensors', '--prompt', 'word1'], ['audit', 'nan.safetensors', '--data', 'data.txt']]) {
    refused(command, /tensor wte holds 2 NaN or infinite values/);
  }
  const transposed = new Map(record.params);
  const proj = transposed.get('h.0.attn.c_attn.weight')!;
  transposed.set('h.0.attn.c_attn.weight', { shape: [proj.shape[1], proj.shape[0]], data: proj.data });
  writeFileSync(at('transposed.safetensors'), encodeModelFile({ ...record, params: transposed }));
  refused(['inspect', 'transposed.safetensors'], /parameter h.0.attn.c_attn.weight is \[48,16\], the config needs \[16,48\]/);
  const file = decodeSafetensors(readFileSync(at('m.safetensors')));
  const metadata = { ...file.metadata, 'engram.train_config': '"str"' };
  writeFileSync(at('str.safetensors'), encodeSafetensors([...file.tensors].map(([name, t]) => ({ ...t, name })), metadata));
  refused(['inspect', 'str.safetensors'], /metadata engram.train_config is not a JSON object/);
});

test('a FIFO, a directory and a file longer or shorter than its header says are refused without reading them whole', () => {
  assert.equal(spawnSync('mkfifo', [at('pipe.safetensors')]).status, 0);
  refused(['inspect', 'pipe.safetensors'], /not a regular file/);
  refused(['inspect', 'outdir'], /it is a directory/);
  const bytes = readFileSync(at('m.safetensors'));
  writeFileSync(at('long.safetensors'), Buffer.concat([bytes, Buffer.alloc(1000)]));
  refused(['inspect', 'long.safetensors'], /the header names \d+ bytes of data, the file has \d+/);
  writeFileSync(at('short.safetensors'), bytes.subarray(0, bytes.length - 8));
  refused(['inspect', 'short.safetensors'], /truncated/);
});

test('a verdict never rests on a figure that could not be computed', () => {
  const r = engram('audit', 'm.safetensors', '--data', 'data.txt', '--examples', '10', '--prefix-lengths', '60', '--suffix-length', '60', '--samples', '2', '--out', 'nan-audit');
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /NaN/);
  assert.match(r.stdout, /Verbatim extraction could not be measured: no training and held-out example is long enough for a 60-character prompt plus the 60 characters/);
  assert.match(r.stdout, /verbatim copying could not be tested on this data/);
  assert.doesNotMatch(readFileSync(at('nan-audit/report.html'), 'utf8'), /NaN/);
});

test('SIGTERM saves a checkpoint and exits 143; the run resumes; stale temporary files of dead writers are removed', async () => {
  writeFileSync(at('t.safetensors.999999.tmp'), 'left by a killed write');
  const child = spawn(process.execPath, [MAIN, 'train', 'text', '--data', 'data.txt', '--steps', '100000', '--out', 't.safetensors', ...TINY], { cwd: dir });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  // Wait for the first evaluation's line in the log, then ask the run to stop as kill(1) would.
  for (let i = 0; i < 600 && !(existsSync(at('t.log.jsonl')) && readFileSync(at('t.log.jsonl'), 'utf8').length > 0); i++) await new Promise((r) => setTimeout(r, 50));
  child.kill('SIGTERM');
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  assert.equal(code, 143, stderr);
  assert.match(stderr, /SIGTERM: interrupted at step \d+; checkpoint saved to t.ckpt.safetensors/);
  assert.ok(existsSync(at('t.ckpt.safetensors')));
  assert.ok(!existsSync(at('t.safetensors.999999.tmp')), 'the dead writer\'s temporary file is gone');
  const resumed = engram('train', 'text', '--data', 'data.txt', '--steps', '8', '--out', 't.safetensors', '--resume');
  assert.match(resumed.stderr + resumed.stdout, /already at step|trained/);
});
