// npm run bench: engram beside PyTorch (Debian's python3-torch, 2 threads, OpenBLAS free to pick its AVX-512
// kernels) on the same models, in one run, with a ratio column:
// - the engine's matrix products (GFLOP/s) and where a GPT training step's time goes (kernel profile);
// - the default GPT: training tokens/s, held-out loss after the same steps on the same tokens, sampling
//   chars/s (one sample; eight in a batch), peak memory of `engram train text` at default size;
// - the diffusion UNet (32 px 32,64 and 16 px 16,32) and the tagger: training images/s, sampling images/s;
// - 1 thread against 2 on the same training step (ENGRAM_THREADS), for each model.
// Not a test: speed targets live here. Flags: --steps N (GPT steps, default 40).
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { backendName, dispose, initEngine, ops, profileKernels, Rng, tensor, variableOf, type Tensor } from '../src/engine/index.js';
import { loadTextDataset, splitDataset } from '../src/data/index.js';
import { CharTokenizer } from '../src/codecs/charTokenizer.js';
import { Gpt } from '../src/models/gpt.js';
import { GPT_DEFAULTS, type GptConfig } from '../src/models/gptConfig.js';
import { TRAIN_DEFAULTS, type TrainConfig } from '../src/train/config.js';
import { TextBatches, windowBatch } from '../src/train/textBatches.js';
import { evaluate, train, type BatchSource } from '../src/train/trainer.js';
import { AdamW } from '../src/train/adamw.js';
import { generateTokens } from '../src/sample/generateText.js';
import { SPLIT_DEFAULTS } from '../src/tasks/text.js';
import { loadMnist } from '../src/data/mnist.js';
import { TagVocabulary } from '../src/codecs/tags.js';
import { Diffusion, diffusionParamShapes, type DiffusionConfig } from '../src/models/diffusion.js';
import { Tagger } from '../src/models/tagger.js';
import { ImageBatches } from '../src/train/imageBatches.js';
import { sampleImages } from '../src/sample/generateImages.js';
import { IMAGE_MODEL_DEFAULTS, IMAGE_TRAIN_DEFAULTS } from '../src/tasks/image.js';
import { TAGGER_SETTINGS_DEFAULTS } from '../src/tasks/tagger.js';
import type { TrainableModel } from '../src/models/model.js';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUT = path.join(ROOT, 'runs', 'bench');
const SELF = fileURLToPath(import.meta.url);
const TIMING_WARMUP_STEPS = 3;
const SAMPLE_CHARS = 200;
const DIGIT_TAGS = Array.from({ length: 10 }, (_, d) => String(d));
const IMAGE_SHAPES = [{ size: 32, channels: [32, 64] as [number, number] }, { size: 16, channels: [16, 32] as [number, number] }];
const IMAGE_SAMPLES = 16;
const IMAGE_SAMPLE_STEPS = 50;

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

/** PyTorch at its best here: 2 threads, and OpenBLAS free to choose its kernels (the two variables unset). */
function python(script: string, config: unknown, name: string): Record<string, number | string> | undefined {
  mkdirSync(OUT, { recursive: true });
  const file = path.join(OUT, `${name}.json`);
  writeFileSync(file, JSON.stringify(config));
  const env: NodeJS.ProcessEnv = { ...process.env, OMP_NUM_THREADS: '2' };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const py = spawnSync('/usr/bin/python3', [path.join(ROOT, 'bench', script), file], { encoding: 'utf8', env });
  if (py.status === 0) return JSON.parse(py.stdout.trim().split('\n').pop()!);
  console.log(`  (PyTorch reference unavailable: apt-get install python3-torch libopenblas0-pthread; ${py.stderr.trim().split('\n').pop()})`);
  return undefined;
}

const fmt = (v: number, digits: number) => v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
function row(label: string, ours: number, theirs: number | undefined, digits = 0, higherIsBetter = true): void {
  const ratio = theirs ? `${(higherIsBetter ? ours / theirs : theirs / ours).toFixed(2)}x` : '';
  console.log(`  ${label.padEnd(40)} ${fmt(ours, digits).padStart(10)} ${theirs === undefined ? '-'.padStart(10) : fmt(theirs, digits).padStart(10)}  ${ratio}`);
}
const header = (title: string) => console.log(`\n${title}\n  ${''.padEnd(40)} ${'engram'.padStart(10)} ${'PyTorch'.padStart(10)}  engram/PyTorch`);

// ---- the engine alone

function matmulRate(label: string, a: Tensor, b: Tensor, transposeA: boolean, transposeB: boolean): string {
  const [m, k] = transposeA ? [a.shape[1], a.shape[0]] : a.shape;
  const n = transposeB ? b.shape[0] : b.shape[1];
  ops.matMul(a, b, transposeA, transposeB).dispose();
  let best = 0;
  for (let rep = 0; rep < 5; rep++) {
    const started = performance.now();
    for (let i = 0; i < 4; i++) ops.matMul(a, b, transposeA, transposeB).dispose();
    best = Math.max(best, (2 * m * n * k * 4) / ((performance.now() - started) / 1000) / 1e9);
  }
  return `  ${label.padEnd(48)} ${best.toFixed(1)} GFLOP/s`;
}

function engineSection(): void {
  const rng = new Rng(1);
  const random = (shape: number[]) => tensor(Float32Array.from({ length: shape[0] * shape[1] }, () => rng.normal()), shape);
  const [x, w, g] = [random([4096, 128]), random([128, 384]), random([4096, 384])];
  console.log(`engine: ${backendName()}; the GPT's attention projection and its gradients (best of 5)`);
  console.log(matmulRate('x w         [4096,128] x [128,384]', x, w, false, false));
  console.log(matmulRate('x^T g       [128,4096] x [4096,384]  (dW)', x, g, true, false));
  console.log(matmulRate('g w^T       [4096,384] x [384,128]   (dX)', g, w, false, true));
  dispose([x, w, g]);
}

// ---- one model's training step, timed (also run in a child process with ENGRAM_THREADS=1)

/** This machine's speed varies from moment to moment; a median step is steadier than a mean. */
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

interface StepTiming { readonly itemsPerSecond: number; readonly profile: [string, number, number][] }

function timeSteps<B>(model: TrainableModel<B>, data: BatchSource<B>, steps: number): StepTiming {
  const optimizer = new AdamW(model.params, { beta1: 0.9, beta2: 0.99, weightDecay: 0.1, gradClip: 1 });
  const step = (i: number) => optimizer.step(() => model.loss(data.trainBatch(i, 1), { training: true, seed: i }), 1e-3);
  for (let i = 0; i < TIMING_WARMUP_STEPS; i++) step(i);
  const started = performance.now();
  const stepSeconds: number[] = [];
  const { kernels } = profileKernels(() => {
    for (let i = 0; i < steps; i++) {
      const t = performance.now();
      step(i);
      stepSeconds.push((performance.now() - t) / 1000);
    }
  });
  const seconds = (performance.now() - started) / 1000;
  optimizer.dispose();
  const profile: [string, number, number][] = [...kernels].map(([name, k]) => [name, k.ms / steps, k.calls / steps]);
  profile.push(['(outside kernels: autograd, JS)', (seconds * 1000) / steps - profile.reduce((s, p) => s + p[1], 0), 0]);
  return { itemsPerSecond: data.itemsPerBatch / median(stepSeconds), profile: profile.sort((a, b) => b[1] - a[1]) };
}

type ModelName = 'gpt' | 'unet32' | 'unet16' | 'tagger';

function gptSetUp(): { config: GptConfig; data: TextBatches; heldOutStream: Uint16Array } {
  const split = splitDataset(loadTextDataset('wordnet'), SPLIT_DEFAULTS);
  const tokenizer = CharTokenizer.fromExamples(split.train);
  const trainStream = tokenizer.encodeCorpus(split.train);
  const heldOutStream = tokenizer.encodeCorpus(split.heldOut);
  const config: GptConfig = { ...GPT_DEFAULTS, vocabSize: tokenizer.size };
  return { config, heldOutStream, data: new TextBatches(trainStream, heldOutStream, TRAIN_DEFAULTS.batchSize, config.blockSize) };
}

function mnistItems(size: number) {
  const vocabulary = new TagVocabulary(DIGIT_TAGS);
  const items = loadMnist({ size, perDigit: 100 }).examples.map((e) => ({ pixels: e.image.pixels, target: vocabulary.encode(e.tags) }));
  return { vocabulary, items };
}

function unetConfig(size: number, channels: [number, number]): DiffusionConfig {
  return { ...IMAGE_MODEL_DEFAULTS, imageSize: size, channels, numTags: DIGIT_TAGS.length };
}

/** Training items/s of one model, on this process's thread count. */
function stepRate(name: ModelName, steps: number): StepTiming {
  if (name === 'gpt') {
    const { config, data } = gptSetUp();
    const model = Gpt.init(config, 1);
    try { return timeSteps(model, data, steps); } finally { model.dispose(); }
  }
  const size = name === 'unet16' ? 16 : 32;
  const { items } = mnistItems(size);
  const data = new ImageBatches(items.slice(0, 900), items.slice(900), IMAGE_TRAIN_DEFAULTS.batchSize);
  const model = name === 'tagger'
    ? Tagger.init({ imageSize: 32, channels: TAGGER_SETTINGS_DEFAULTS.channels, numTags: 10, multiLabel: false }, 1)
    : Diffusion.init(unetConfig(size, name === 'unet16' ? [16, 32] : [32, 64]), 1);
  try { return timeSteps(model as TrainableModel<unknown>, data as BatchSource<unknown>, steps); } finally { model.dispose(); }
}

/** The same step on one thread, in a child process (the thread count is fixed per process). */
function oneThread(name: ModelName, steps: number): StepTiming {
  const child = spawnSync(process.execPath, [SELF, '--step-rate', name, '--steps', String(steps)], { encoding: 'utf8', env: { ...process.env, ENGRAM_THREADS: '1' } });
  if (child.status !== 0) throw new Error(`one-thread run of ${name} failed: ${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').pop()!);
}

// ---- sections

async function gptSection(steps: number): Promise<void> {
  const { config, data, heldOutStream } = gptSetUp();
  const trainConfig: TrainConfig = { ...TRAIN_DEFAULTS, steps, warmupSteps: Math.min(TRAIN_DEFAULTS.warmupSteps, Math.floor(steps / 4)), evalEvery: steps, evalBatches: 4 };
  const gpt = Gpt.init(config, trainConfig.seed);
  // The median step after a few warm-up steps (the first ones allocate), leaving out the last, which evaluates.
  const stepEnds: number[] = [];
  await train(gpt, data, trainConfig, { saveModel: async () => {}, saveCheckpoint: async () => 'none', onStep: () => stepEnds.push(performance.now()) });
  const stepSeconds = stepEnds.slice(TIMING_WARMUP_STEPS, -1).map((end, i) => (end - stepEnds[TIMING_WARMUP_STEPS - 1 + i]) / 1000);
  const engramTrain = data.itemsPerBatch / median(stepSeconds);
  // Both engines are scored on the same held-out windows, and PyTorch trains on the very batches engram did
  // (written out below), so the two losses differ only by initialisation and dropout draws.
  const rng = new Rng(0);
  const heldOutEvalStarts = Array.from({ length: 4 }, () => Array.from({ length: trainConfig.batchSize }, () => rng.int(heldOutStream.length - config.blockSize - 1)));
  const engramHeldOut = evaluate(gpt, heldOutEvalStarts.map((starts) => windowBatch(heldOutStream, starts, config.blockSize)));
  // Sampling as `engram sample` does it: from frozen weights, as loaded from a file.
  const frozen = new Gpt(config, new Map([...gpt.params].map(([name, p]) => [name, variableOf(p.toArray(), [...p.shape], false)])));
  const sample = (samples: number) => {
    let best = 0;
    for (let rep = 0; rep < 3; rep++) {
      const started = performance.now();
      const out = generateTokens(frozen, [0], { temperature: 1, topK: 0, topP: 1, seed: rep, samples, maxTokens: SAMPLE_CHARS });
      best = Math.max(best, out.reduce((n, r) => n + r.length, 0) / ((performance.now() - started) / 1000));
    }
    return best;
  };
  const [sample1, sample8] = [sample(1), sample(8)];
  gpt.dispose();
  frozen.dispose();

  mkdirSync(OUT, { recursive: true });
  const batches = Array.from({ length: steps }, (_, step) => data.trainBatch(step, trainConfig.seed));
  const tokens = new Uint16Array(steps * trainConfig.batchSize * (config.blockSize + 1));
  batches.forEach((b, step) => {
    for (let row = 0; row < b.batchSize; row++) {
      const at = (step * b.batchSize + row) * (config.blockSize + 1);
      tokens.set(b.inputs.subarray(row * b.time, (row + 1) * b.time), at);
      tokens[at + config.blockSize] = b.targets[(row + 1) * b.time - 1];
    }
  });
  writeFileSync(path.join(OUT, 'train_batches.u16'), tokens);
  writeFileSync(path.join(OUT, 'held_out.u16'), heldOutStream);
  process.stderr.write('  running the PyTorch GPT...\n');
  const reference = python('reference_gpt.py', {
    model: config, train: trainConfig, trainBatches: path.join(OUT, 'train_batches.u16'), heldOutStream: path.join(OUT, 'held_out.u16'),
    heldOutEvalStarts, timingWarmupSteps: TIMING_WARMUP_STEPS, sampleChars: SAMPLE_CHARS,
  }, 'reference_gpt') as { torch: string; threads: number; trainTokensPerSecond: number; heldOutLoss: number; sampleCharsPerSecond: number } | undefined;

  header(`default GPT ${JSON.stringify(GPT_DEFAULTS)}, batch ${trainConfig.batchSize}, ${steps} steps on WordNet (PyTorch ${reference?.torch ?? '-'}, ${reference?.threads ?? '-'} threads)`);
  row('train tokens/s', engramTrain, reference?.trainTokensPerSecond);
  row(`held-out loss after ${steps} steps (nats)`, engramHeldOut, reference?.heldOutLoss, 3, false);
  row('sample chars/s, 1 sample', sample1, reference?.sampleCharsPerSecond);
  row('sample chars/s, 8 in a batch', sample8, undefined);
  console.log(`  held-out loss gap: ${reference ? `${((100 * (engramHeldOut - reference.heldOutLoss)) / reference.heldOutLoss).toFixed(1)}%` : '-'}`);
}

async function imageSection(size: number, channels: [number, number], steps: number): Promise<void> {
  const vocabulary = new TagVocabulary(DIGIT_TAGS);
  const config = unetConfig(size, channels);
  const name = size === 16 ? 'unet16' : 'unet32';
  const ours = stepRate(name, steps);
  const model = Diffusion.init(config, 1);
  const options = { samples: IMAGE_SAMPLES, steps: IMAGE_SAMPLE_STEPS, temperature: 0, guidance: 2, seed: 1 };
  sampleImages(model, vocabulary.encode(['7']), { ...options, samples: 2, steps: 2 });
  const started = performance.now();
  sampleImages(model, vocabulary.encode(['7']), options);
  const sampleRate = IMAGE_SAMPLES / ((performance.now() - started) / 1000);
  model.dispose();
  const reference = python('reference_unet.py', { model: config, batchSize: IMAGE_TRAIN_DEFAULTS.batchSize, steps, warmup: TIMING_WARMUP_STEPS, samples: IMAGE_SAMPLES, sampleSteps: IMAGE_SAMPLE_STEPS }, `reference_unet_${size}`);
  const params = diffusionParamShapes(config).reduce((n, [, shape]) => n + shape.reduce((a, b) => a * b, 1), 0);
  header(`diffusion UNet ${size}x${size}, channels ${channels.join(',')}, ${params.toLocaleString('en-US')} parameters, batch ${IMAGE_TRAIN_DEFAULTS.batchSize}; sampling ${IMAGE_SAMPLES} images, ${IMAGE_SAMPLE_STEPS} guided DDIM steps`);
  row('train images/s', ours.itemsPerSecond, reference?.trainImagesPerSecond as number | undefined, 1);
  row('sample images/s', sampleRate, reference?.sampleImagesPerSecond as number | undefined, 1);
}

function taggerSection(steps: number): void {
  const ours = stepRate('tagger', steps);
  const reference = python('reference_tagger.py', { imageSize: 32, channels: TAGGER_SETTINGS_DEFAULTS.channels, numTags: 10, batchSize: IMAGE_TRAIN_DEFAULTS.batchSize, steps, warmup: TIMING_WARMUP_STEPS }, 'reference_tagger');
  header(`tagger 32x32, channels ${TAGGER_SETTINGS_DEFAULTS.channels.join(',')}, 10 tags, batch ${IMAGE_TRAIN_DEFAULTS.batchSize}`);
  row('train images/s', ours.itemsPerSecond, reference?.trainImagesPerSecond as number | undefined, 1);
}

function threadsSection(steps: number): void {
  console.log(`\n1 thread against 2 on the same training step (ENGRAM_THREADS; the weights come out bit-identical)`);
  console.log(`  ${'model'.padEnd(22)} ${'1 thread'.padStart(12)} ${'2 threads'.padStart(12)}  speed-up`);
  const profiles: [string, StepTiming][] = [];
  for (const [name, label, unit, n] of [['gpt', 'GPT (tokens/s)', 0, steps], ['unet32', 'UNet 32 px (img/s)', 1, 8], ['unet16', 'UNet 16 px (img/s)', 1, 12], ['tagger', 'tagger (img/s)', 1, 8]] as const) {
    const one = oneThread(name, n);
    const two = stepRate(name, n);
    if (name === 'gpt' || name === 'unet32') profiles.push([label, two]);
    console.log(`  ${label.padEnd(22)} ${fmt(one.itemsPerSecond, unit).padStart(12)} ${fmt(two.itemsPerSecond, unit).padStart(12)}  ${(two.itemsPerSecond / one.itemsPerSecond).toFixed(2)}x`);
  }
  for (const [label, timing] of profiles) {
    const total = timing.profile.reduce((s, p) => s + p[1], 0);
    console.log(`\nwhere a ${label.split(' (')[0]} training step's ${total.toFixed(0)} ms go (2 threads; kernels include their wait for the other thread)`);
    for (const [kernel, ms, calls] of timing.profile.slice(0, 12)) console.log(`  ${kernel.padEnd(34)} ${ms.toFixed(1).padStart(7)} ms ${((100 * ms) / total).toFixed(0).padStart(3)}%${calls ? `  ${calls.toFixed(0)} calls` : ''}`);
  }
}

/** Peak resident memory of `engram train text` at the default size, read from its own summary line. */
function memorySection(): void {
  const main = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');
  const out = path.join(OUT, 'memory.safetensors');
  const child = spawnSync(process.execPath, [main, 'train', 'text', '--steps', '20', '--eval-every', '20', '--out', out, '--force'], { encoding: 'utf8' });
  const peak = child.stdout.match(/peak memory ([\d,]+) MB/)?.[1];
  console.log(`\npeak resident memory of \`engram train text\` (default model and batch, 20 steps, both threads): ${peak ? `${peak} MB` : `not measured (${child.stderr.trim().split('\n').pop()})`}`);
}

async function main(): Promise<void> {
  const childModel = process.argv.indexOf('--step-rate');
  await initEngine();
  if (childModel > 0) {
    console.log(JSON.stringify(stepRate(process.argv[childModel + 1] as ModelName, flag('steps', 8))));
    return;
  }
  const steps = flag('steps', 40);
  engineSection();
  await gptSection(steps);
  for (const shape of IMAGE_SHAPES) await imageSection(shape.size, shape.channels, shape.size === 16 ? 20 : 10);
  taggerSection(10);
  threadsSection(8);
  memorySection();
}

await main();
