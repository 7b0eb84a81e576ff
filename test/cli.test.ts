// The command line end to end, in a temp dir, as a user runs it: real files, real exit codes, one-line errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeSafetensors } from '../src/weights/safetensors.js';
import { decodeImage, encodePng } from '../src/data/imageFile.js';
import { decodeModelFile, encodeModelFile } from '../src/weights/modelFile.js';
import { scratchDir } from './scratch.js';

const MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'main.js');
const dir = scratchDir('cli');
const at = (name: string) => path.join(dir, name);

function engram(...args: string[]) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd: dir, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A one-line error on stderr, a non-zero exit, and no stack trace. */
function assertCleanError(r: ReturnType<typeof engram>, pattern: RegExp): void {
  assert.notEqual(r.code, 0, r.stdout);
  // Informational lines (the dataset summary) may come first; the error is the one last line.
  const errors = r.stderr.trim().split('\n').filter((l) => l.startsWith('engram: '));
  assert.equal(errors.length, 1, `expected one error line, got:\n${r.stderr}`);
  assert.ok(r.stderr.trim().endsWith(errors[0]));
  assert.match(errors[0], pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
}

const TINY = ['--held-out-fraction', '0.3', '--n-layer', '1', '--n-head', '2', '--n-embd', '16', '--block-size', '32', '--batch-size', '4', '--eval-every', '4', '--eval-batches', '1'];

test('train -> sample -> inspect on a text file', () => {
  writeFileSync(at('words.txt'), 'cat\ta small domesticated feline\ndog\ta domesticated canine\nowl\ta nocturnal bird of prey\nelm\ta tall deciduous tree\n'.repeat(3) +
    'ant\ta small insect\nbee\ta flying insect\nfox\ta wild canine\nyak\ta large ox\nemu\ta large flightless bird\nasp\ta small snake\n');
  const train = engram('train', 'text', '--data', 'words.txt', '--steps', '8', '--out', 'm.safetensors', ...TINY);
  assert.equal(train.code, 0, train.stderr);
  assert.match(train.stdout, /wrote m.safetensors/);
  assert.match(train.stderr, /18 examples, .* 8 exact duplicates/);
  assert.ok(existsSync(at('m.ckpt.safetensors')));
  const log = readFileSync(at('m.log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(log.map((r) => r.step), [4, 8]);

  const greedy = () => engram('sample', 'm.safetensors', '--prompt', 'cat', '--temperature', '0', '-n', '2', '--max-tokens', '20');
  const first = greedy();
  assert.equal(first.code, 0, first.stderr);
  const lines = first.stdout.trim().split('\n');
  assert.equal(lines.length, 2);
  assert.equal(lines[0], lines[1], 'greedy samples are identical');
  assert.equal(greedy().stdout, first.stdout);
  const seeded = (seed: string) => engram('sample', 'm.safetensors', '--prompt', 'dog', '--temperature', '1.2', '--seed', seed, '-n', '3').stdout;
  assert.equal(seeded('4'), seeded('4'));

  const inspect = engram('inspect', 'm.safetensors');
  assert.equal(inspect.code, 0, inspect.stderr);
  assert.match(inspect.stdout, /gpt model for text/);
  assert.match(inspect.stdout, /dataset file:words.txt/);
  // A reader that closes the pipe at once (| true) gets no stack trace and no failure from engram.
  const piped = spawnSync('bash', ['-c', `"${process.execPath}" "${MAIN}" inspect m.safetensors | true; exit \${PIPESTATUS[0]}`], { cwd: dir, encoding: 'utf8' });
  assert.equal(piped.status, 0, piped.stderr);
  assert.equal(piped.stderr, '');
  const json = JSON.parse(engram('inspect', 'm.safetensors', '--json').stdout);
  assert.equal(json.provenance.dataset.examples, 18);
  assert.equal(json.provenance.steps, 8);

  // The audit rebuilds the split from the file's provenance and writes JSON and HTML.
  const audit = engram('audit', 'm.safetensors', '--data', 'words.txt', '--examples', '20', '--prefix-lengths', '4,8', '--suffix-length', '4', '--out', 'audit');
  assert.equal(audit.code, 0, audit.stderr);
  assert.match(audit.stdout, /Verdict: /);
  const report = JSON.parse(readFileSync(at('audit/audit.json'), 'utf8'));
  assert.equal(report.dataset.fingerprint, json.provenance.dataset.fingerprint);
  assert.match(readFileSync(at('audit/report.html'), 'utf8'), /<svg /);
  assertCleanError(engram('audit', 'm.safetensors'), /pass that file with --data/);
  assertCleanError(engram('audit', 'm.safetensors', '--data', 'wordnet:adv'), /is not the one m.safetensors was trained on/);

  // Canaries: planted at training, found again at audit time from the same seed, refused with another.
  const planted = engram('train', 'text', '--data', 'words.txt', '--steps', '4', '--out', 'c.safetensors', '--canaries', '1,0,2', '--canary-seed', '3', ...TINY);
  assert.equal(planted.code, 0, planted.stderr);
  const canaryAudit = engram('audit', 'c.safetensors', '--data', 'words.txt', '--examples', '5', '--samples', '2', '--canary-seed', '3', '--canary-candidates', '20', '--out', 'caudit');
  assert.equal(canaryAudit.code, 0, canaryAudit.stderr);
  assert.deepEqual(JSON.parse(readFileSync(at('caudit/audit.json'), 'utf8')).exposure.byRepeats.map((g: { repeats: number }) => g.repeats), [0, 2]);
  assertCleanError(engram('audit', 'c.safetensors', '--data', 'words.txt', '--samples', '1'), /--canary-seed used in training/);

  // --resume continues the same run to more steps, taking the settings from the checkpoint.
  const resumed = engram('train', 'text', '--data', 'words.txt', '--steps', '12', '--out', 'm.safetensors', '--resume');
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal(JSON.parse(engram('inspect', 'm.ckpt.safetensors', '--json').stdout).checkpoint.step, 12);
});

test('bad input: one line on stderr, non-zero exit, no stack trace', () => {
  writeFileSync(at('empty.txt'), '');
  writeFileSync(at('binary.dat'), Buffer.from([1, 2, 0, 3]));
  writeFileSync(at('garbage.safetensors'), 'this is not a weights file at all');
  writeFileSync(at('small.txt'), 'a\tb\nc\td\ne\tf\ng\th\ni\tj\nk\tl\n'.repeat(4));
  assert.equal(engram('train', 'text', '--data', 'small.txt', '--steps', '4', '--out', 'small.safetensors', ...TINY).code, 0);
  const good = readFileSync(at('small.safetensors'));
  writeFileSync(at('truncated.safetensors'), good.subarray(0, good.length - 100));
  writeFileSync(at('plain.safetensors'), encodeSafetensors([{ name: 'x', dtype: 'F32', shape: [1], data: new Float32Array(1) }]));
  const record = decodeModelFile(good, 'small');
  writeFileSync(at('speech.safetensors'), encodeModelFile({ ...record, kind: 'whisper', task: 'speech-to-text' }));

  assertCleanError(engram('train', 'text', '--data', 'missing.txt', '--steps', '2'), /cannot read data file missing.txt/);
  assertCleanError(engram('train', 'text', '--data', 'empty.txt', '--steps', '2'), /empty/);
  assertCleanError(engram('train', 'text', '--data', 'binary.dat', '--steps', '2'), /binary/);
  assertCleanError(engram('train', 'text', '--data', 'small.txt', '--steps', '0'), /--steps must be a whole number in \[1, 1000000000\], got 0/);
  assertCleanError(engram('train', 'text', '--data', 'small.txt', '--steps', 'many'), /--steps must be a number/);
  assertCleanError(engram('train', 'text', '--data', 'small.txt', '--n-layers', '2'), /Unknown option '--n-layers'/);
  assertCleanError(engram('train', 'images'), /needs a task/);
  assertCleanError(engram('sample', 'small.safetensors', '--prompt', 'axz'), /never saw in training: .*"x", "z"/);
  assertCleanError(engram('sample', 'small.safetensors', '--temperature=-1'), /temperature must be >= 0/);
  assertCleanError(engram('sample', 'nope.safetensors'), /cannot read weights file nope.safetensors: no such file/);
  assertCleanError(engram('sample', 'truncated.safetensors'), /not a valid safetensors file: .*truncated/);
  assertCleanError(engram('sample', 'garbage.safetensors'), /not a valid safetensors file/);
  assertCleanError(engram('sample', 'plain.safetensors'), /not an engram model/);
  assertCleanError(engram('sample', 'speech.safetensors'), /holds a whisper model .* needs a gpt model/);
  assertCleanError(engram('inspect', 'truncated.safetensors'), /truncated/);
  assertCleanError(engram('audit', 'speech.safetensors'), /pass that data with --data/);
  assertCleanError(engram('transcribe', 'speech.safetensors', 'x.wav'), /holds a whisper model .* needs a speech model/);
  assertCleanError(engram('train', 'text', '--data', 'small.txt', '--out', 'fresh.safetensors', '--resume'), /no checkpoint beside fresh.safetensors/);
  const unknown = engram('frobnicate');
  assert.equal(unknown.code, 2);
});

test('train tagger on MNIST -> tag a PNG; kinds are not mixed up', () => {
  const train = engram('train', 'tagger', '--data', 'mnist:30', '--steps', '6', '--eval-every', '3',
    '--image-size', '16', '--channels', '4,8', '--out', 'tagger.safetensors');
  assert.equal(train.code, 0, train.stderr);
  assert.match(train.stdout, /10 tags \(single-label\)/);
  const resumed = engram('train', 'tagger', '--resume', '--steps', '9', '--out', 'tagger.safetensors');
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stdout, /trained 9 steps/, 'resumed with the data and settings of the checkpoint');
  writeFileSync(at('digit.png'), encodePng({ width: 20, height: 20, pixels: new Float32Array(20 * 20 * 3).fill(0.3) }));
  const tagged = engram('tag', 'tagger.safetensors', 'digit.png', '--top', '3');
  assert.equal(tagged.code, 0, tagged.stderr);
  assert.match(tagged.stdout, /^digit.png: \d \d+\.\d%, \d \d+\.\d%, \d \d+\.\d%$/m);
  const probabilities = [...tagged.stdout.matchAll(/(\d+\.\d)%/g)].map((m) => Number(m[1]));
  assert.ok(probabilities[0] >= probabilities[1] && probabilities[1] >= probabilities[2]);
  // A bare --reference-models means 8 reference models, trained like the tagger (9 steps each) and cached.
  const audit = engram('audit', 'tagger.safetensors', '--examples', '40', '--reference-models', '--out', 'tagger-audit');
  assert.equal(audit.code, 0, audit.stderr);
  assert.match(audit.stdout, /membership attack.* reaches AUC/);
  const report = JSON.parse(readFileSync(at('tagger-audit/audit.json'), 'utf8'));
  assert.equal(report.membership.members, 40);
  // One of three answers, and never an all-clear: with 40 and 40 images a small difference would not show.
  assert.match(report.verdict, /Verdict: (the tagger has memorised|the tagger fits its training images slightly better|no difference shows between its 40 training and \d+ held-out images; a small one would not)/);
  assert.deepEqual(report.attacks.map((a: { attack: string }) => a.attack), ['LiRA online', 'LiRA offline', 'RMIA']);
  assert.equal(report.references.count, 8);
  assert.equal(readdirSync(at('tagger-audit/reference-models')).filter((f) => f.endsWith('.safetensors')).length, 8);
  const again = engram('audit', 'tagger.safetensors', '--examples', '40', '--reference-models', '8', '--out', 'tagger-audit');
  assert.equal(JSON.parse(readFileSync(at('tagger-audit/audit.json'), 'utf8')).references.reused, 8, again.stderr);
  assert.equal(report.memorised[0].pixels, undefined, 'raw pixels stay out of the JSON');
  assert.match(readFileSync(at('tagger-audit/report.html'), 'utf8'), /<img src="data:image\/png;base64,/);
  writeFileSync(at('notes.png'), 'not a picture');
  assertCleanError(engram('tag', 'tagger.safetensors', 'notes.png'), /not a PNG or JPEG/);
  assertCleanError(engram('sample', 'tagger.safetensors'), /holds a tagger model .* needs a gpt model/);
  assertCleanError(engram('train', 'tagger', '--image-size', '30', '--channels', '4,8'), /must be a multiple of 4/);
  assertCleanError(engram('train', 'tagger', '--data', 'no-such-folder'), /does not exist/);
});

test('train image on MNIST -> sample a grid PNG -> audit -> resume', () => {
  const args = ['--data', 'mnist:20', '--image-size', '8', '--channels', '8,16', '--embed-dim', '16', '--timesteps', '100', '--batch-size', '8', '--eval-every', '4', '--eval-batches', '1', '--out', 'digits.safetensors'];
  const train = engram('train', 'image', '--steps', '4', ...args);
  assert.equal(train.code, 0, train.stderr);
  assert.match(train.stdout, /denoising loss train [\d.]+, held-out [\d.]+; 10 tags/);
  const resumed = engram('train', 'image', '--resume', '--steps', '8', '--out', 'digits.safetensors');
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stdout, /trained 8 steps/);
  const sample = engram('sample', 'digits.safetensors', '--tags', '7', '-n', '6', '--steps', '5', '--out', 'sevens.png', '--scale', '2');
  assert.equal(sample.code, 0, sample.stderr);
  const grid = decodeImage(readFileSync(at('sevens.png')));
  assert.deepEqual([grid.width, grid.height], [3 * 16 + 4 * 2, 2 * 16 + 3 * 2], 'a 3 x 2 grid of 8 px images drawn at 2x with 2 px gaps');
  assert.deepEqual(readFileSync(at('sevens.png')), (engram('sample', 'digits.safetensors', '--tags', '7', '-n', '6', '--steps', '5', '--out', 'again.png', '--scale', '2'), readFileSync(at('again.png'))), 'same seed, same images');
  assertCleanError(engram('sample', 'digits.safetensors', '--tags', 'seven'), /unknown tag "seven"/);
  assertCleanError(engram('sample', 'digits.safetensors', '--prompt', 'x'), /--prompt applies only to text models/);
  const audit = engram('audit', 'digits.safetensors', '--conditions', '2', '--samples', '2', '--temperatures', '0,1', '--steps', '3',
    '--baseline-images', '40', '--examples', '20', '--reference-models', '2', '--out', 'digits-audit');
  assert.equal(audit.code, 0, audit.stderr);
  assert.match(audit.stdout, /near-copies of a training image by Carlini's ratio rule/);
  // 8 generations cannot show a 5-point excess of near-copies: the verdict must say it cannot tell.
  assert.match(audit.stdout, /Verdict: cannot tell whether it copies/);
  const report = JSON.parse(readFileSync(at('digits-audit/audit.json'), 'utf8'));
  assert.equal(report.generations.length, 2 * 2 * 2);
  assert.equal(report.generations[0].pixels, undefined, 'raw pixels stay out of the JSON');
  assert.equal(report.generations[0].nearest.length, 3);
  assert.equal(report.membership.members, 20);
  assert.deepEqual(report.membershipBySteps.map((s: { step: number }) => s.step), [5, 20, 50], 'the default loss steps, scaled to 100 timesteps');
  assert.ok(report.baseline.heldOut > 0 && report.baseline.outside > 0 && report.baseline.heldOut + report.baseline.outside === 40, 'the baseline reaches beyond the held-out split into the rest of MNIST');
  assert.ok(report.generations[0].robust.distance >= 0);
  assert.deepEqual(report.attacks.map((a: { attack: string }) => a.attack), ['LiRA online', 'LiRA offline', 'RMIA']);
  const html = readFileSync(at('digits-audit/report.html'), 'utf8');
  assert.match(html, /Every generation beside its nearest training images/);
  assert.match(html, /Near-copy rate vs tiled-L2 threshold/);
  assert.match(html, /Near-copy rate vs robust copy distance/);
  assertCleanError(engram('train', 'image', '--image-size', '18'), /must be a multiple of 4 \(the audit cuts images into 4 x 4 tiles\)/);
  assertCleanError(engram('tag', 'digits.safetensors', 'sevens.png'), /holds a diffusion model .* needs a tagger/);
});

test('--help works on every command without loading anything', () => {
  for (const command of ['train', 'sample', 'inspect', 'audit', 'demo', 'tag']) {
    const r = engram(command, '--help');
    assert.equal(r.code, 0, command);
    assert.match(r.stdout, /^usage: engram/, command);
  }
  assert.match(engram('--help').stdout, /train text/);
});
