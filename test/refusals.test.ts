// What engram refuses, and that a refusal destroys nothing: each bad input gets one line on stderr, a
// non-zero exit, no stack trace, and every file that was there before is byte-for-byte the same after.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeModelFile, encodeModelFile } from '../src/weights/modelFile.js';
import { encodeSafetensors, decodeSafetensors } from '../src/weights/safetensors.js';
import { encodePng } from '../src/data/imageFile.js';
import { encodeWav } from '../src/data/audio.js';
import { scratchDir } from './scratch.js';

const MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'main.js');
const dir = scratchDir('refusals');
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
  const r = engram('audit', 'm.safetensors', '--data', 'data.txt', '--examples', '10', '--prefix-lengths', '30', '--suffix-length', '60', '--samples', '2', '--out', 'nan-audit');
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /NaN/);
  assert.match(r.stdout, /Verbatim extraction could not be measured: no training and held-out example is long enough for a 30-character prompt plus the 60 characters/);
  assert.match(r.stdout, /verbatim copying could not be tested on this data/);
  assert.match(r.stdout, /its rate at a 1% false-positive rate cannot be resolved with \d+ held-out examples; it needs 100/);
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

test('flags outside their range are refused with the range, and sizes that cannot fit with the memory they would need', () => {
  const train = ['train', 'text', '--data', 'data.txt', '--steps', '2', '--out', 'range.safetensors', ...TINY];
  refused([...train, '--beta1=2'], /--beta1 must be \[0, 1\), got 2/);
  refused([...train, '--weight-decay=-1'], /--weight-decay must be \[0, 10\], got -1/);
  refused([...train, '--grad-clip=-1'], /--grad-clip must be \[0, 1000000\], got -1/);
  refused([...train, '--min-learning-rate', '0.1', '--learning-rate', '0.01'], /--min-learning-rate \(0.1\) must not exceed --learning-rate \(0.01\)/);
  refused([...train, '--seed', '1.5'], /--seed must be a whole number in \[0, 4294967295\], got 1.5/);
  refused([...train, '--block-size=1e9'], /would need about \d+ GB; the engine holds at most 4 GB/);
  refused([...train, '--batch-size=60000'], /--batch-size 60000 .* would need about/);
  refused(['sample', 'm.safetensors', '--prompt', 'word1', '--max-tokens=-1'], /--max-tokens must be a whole number in \[1, 10000000\], got -1/);
  refused(['sample', 'm.safetensors', '--prompt', 'word1', '--max-tokens=1.5'], /--max-tokens must be a whole number/);
  refused(['sample', 'm.safetensors', '--prompt', 'word1', '-n', '1000000'], /1000000 samples at once would need about/);
  refused(['audit', 'm.safetensors', '--data', 'data.txt', '--canary-candidates=0'], /--canary-candidates must be a whole number in \[2, 1000000\], got 0/);
  refused(['audit', 'm.safetensors', '--data', 'data.txt', '--prefix-lengths=1000'], /--prefix-lengths must be a whole number in \[1, 32\], got 1000/);
  refused(['train', 'image', '--data', 'mnist:2', '--image-size', '64', '--batch-size', '4096', '--out', 'big.safetensors'], /training on 64x64 images at --batch-size 4096 would need about/);
});

test('a checkpoint with a negative step or a missing moment is refused, not resumed', () => {
  const record = decodeModelFile(readFileSync(at('m.ckpt.safetensors')), 'ckpt');
  mkdirSync(at('bad-step'), { recursive: true });
  writeFileSync(at('bad-step/m.ckpt.safetensors'), encodeModelFile({ ...record, trainState: { ...record.trainState!, step: -5 } }));
  refused(['train', 'text', '--data', 'data.txt', '--steps', '8', '--out', 'bad-step/m.safetensors', '--resume'], /training state step is -5, not a whole number >= 0/);
  const moments = new Map(record.trainState!.moments);
  moments.delete('m.wte');
  mkdirSync(at('no-moment'), { recursive: true });
  writeFileSync(at('no-moment/m.ckpt.safetensors'), encodeModelFile({ ...record, trainState: { ...record.trainState!, moments } }));
  refused(['train', 'text', '--data', 'data.txt', '--steps', '8', '--out', 'no-moment/m.safetensors', '--resume'], /the checkpoint lacks m.wte or holds it at another size; it cannot be resumed/);
});

test('tags.tsv entries that leave the folder are refused; a folder run resumes only from that folder', () => {
  mkdirSync(at('pics'), { recursive: true });
  mkdirSync(at('secret'), { recursive: true });
  const png = readFileSync(at('grid.png'));
  writeFileSync(at('secret/private.png'), png);
  writeFileSync(at('pics/a.png'), png);
  writeFileSync(at('pics/b.png'), png);
  for (const entry of ['../secret/private.png', at('secret/private.png')]) {
    writeFileSync(at('pics/tags.tsv'), `a.png\tred\nb.png\tred\n${entry}\tred\n`);
    refused(['train', 'tagger', '--data', 'pics', '--image-size', '8', '--channels', '4', '--steps', '2', '--out', 'pics-tagger.safetensors'], /which is outside pics; entries must name files inside the folder/);
  }
  spawnSync('ln', ['-s', at('secret/private.png'), at('pics/link.png')]);
  writeFileSync(at('pics/tags.tsv'), 'a.png\tred\nb.png\tred\nlink.png\tred\n');
  refused(['train', 'tagger', '--data', 'pics', '--image-size', '8', '--channels', '4', '--steps', '2', '--out', 'pics-tagger.safetensors'], /lists link.png, which is outside pics/);
  // Distinct images (their pixels hashed into the split), so both sides of the split get some.
  const images = ['c', 'd', 'e', 'f', 'g', 'h'];
  images.forEach((name, i) => writeFileSync(at(`pics/${name}.png`), encodePng({ width: 4, height: 4, pixels: new Float32Array(48).fill(i / 8) })));
  writeFileSync(at('pics/tags.tsv'), images.map((name, i) => `${name}.png\tshape, ${i % 2 ? 'red' : 'blue'}\n`).join(''));
  const trained = engram('train', 'tagger', '--data', 'pics', '--image-size', '8', '--channels', '4', '--steps', '2', '--eval-every', '2', '--eval-batches', '1',
    '--held-out-fraction', '0.5', '--min-tag-count', '1', '--out', 'pics-tagger.safetensors');
  assert.equal(trained.code, 0, trained.stderr);
  refused(['train', 'tagger', '--resume', '--steps', '4', '--out', 'pics-tagger.safetensors'], /this run was trained on folder:pics; pass that folder with --data/);
});

test('speech data: a missing folder, a missing or corrupt recording, an empty list and entries that leave the folder are refused', () => {
  const speech = (data: string) => ['train', 'speech', '--data', data, '--steps', '2', '--channels', '2,4', '--hidden', '8', '--out', 'voice.safetensors'];
  const tone = encodeWav({ sampleRate: 8000, samples: Float32Array.from({ length: 4000 }, (_, i) => 0.5 * Math.sin(i / 3)) });
  mkdirSync(at('voices'), { recursive: true });
  mkdirSync(at('private'), { recursive: true });
  writeFileSync(at('voices/a.wav'), tone);
  writeFileSync(at('private/secret.wav'), tone);
  refused(speech('no-such-folder'), /no-such-folder has no transcripts.tsv/);
  refused([...speech('voices'), '--voice-warp', '0.5'], /--voice-warp must be \[0, 0.3\], got 0.5/);
  writeFileSync(at('voices/transcripts.tsv'), '');
  refused(speech('voices'), /speech dataset folder:voices has no utterances/);
  writeFileSync(at('voices/transcripts.tsv'), 'a.wav\tyes\nb.wav\tno\n');
  refused(speech('voices'), /transcripts.tsv:2: cannot read b.wav: no such file in voices/);
  writeFileSync(at('voices/b.wav'), 'RIFF but not a wave at all');
  refused(speech('voices'), /b.wav/);
  for (const entry of ['../private/secret.wav', at('private/secret.wav')]) {
    writeFileSync(at('voices/transcripts.tsv'), `a.wav\tyes\n${entry}\tno\n`);
    refused(speech('voices'), /which is outside voices; entries must name files inside the folder/);
  }
  spawnSync('ln', ['-s', at('private/secret.wav'), at('voices/link.wav')]);
  writeFileSync(at('voices/transcripts.tsv'), 'a.wav\tyes\nlink.wav\tno\n');
  refused(speech('voices'), /voices lists link.wav, which is outside voices/);
});
