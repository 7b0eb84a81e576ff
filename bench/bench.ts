// npm run bench: engram's training tokens/s and sampling chars/s for the default model on WordNet, beside a
// PyTorch reference of the same model trained on the same tokens (bench/reference_gpt.py, Debian's
// python3-torch, 2 threads); then diffusion training and sampling images/s beside the same UNet in PyTorch
// (bench/reference_unet.py). Not a test: speed targets live here. Flags: --steps N (default 40).
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { backendName, dispose, initEngine, ops, Rng, tensor, type Tensor } from '../src/engine/index.js';
import { loadTextDataset, splitDataset } from '../src/data/index.js';
import { CharTokenizer } from '../src/codecs/charTokenizer.js';
import { Gpt } from '../src/models/gpt.js';
import { GPT_DEFAULTS, type GptConfig } from '../src/models/gptConfig.js';
import { TRAIN_DEFAULTS, type TrainConfig } from '../src/train/config.js';
import { TextBatches } from '../src/train/textBatches.js';
import { evaluate, train } from '../src/train/trainer.js';
import { generateTokens } from '../src/sample/generateText.js';
import { SPLIT_DEFAULTS } from '../src/tasks/text.js';
import { loadMnist } from '../src/data/mnist.js';
import { TagVocabulary } from '../src/codecs/tags.js';
import { Diffusion, diffusionParamShapes, type DiffusionConfig } from '../src/models/diffusion.js';
import { ImageBatches } from '../src/train/imageBatches.js';
import { sampleImages } from '../src/sample/generateImages.js';
import { IMAGE_MODEL_DEFAULTS, IMAGE_TRAIN_DEFAULTS } from '../src/tasks/image.js';

const DIGIT_TAGS = Array.from({ length: 10 }, (_, d) => String(d));

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUT = path.join(ROOT, 'runs', 'bench');
const TIMING_WARMUP_STEPS = 3;
const SAMPLE_CHARS = 200;

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

/** GFLOP/s of one product shape. */
function matmulRate(label: string, a: Tensor, b: Tensor, transposeA: boolean, transposeB: boolean): string {
  const [m, k] = transposeA ? [a.shape[1], a.shape[0]] : a.shape;
  const n = transposeB ? b.shape[0] : b.shape[1];
  const flops = 2 * m * n * k;
  ops.matMul(a, b, transposeA, transposeB).dispose();
  const started = performance.now();
  const runs = 10;
  for (let i = 0; i < runs; i++) ops.matMul(a, b, transposeA, transposeB).dispose();
  return `${label.padEnd(48)} ${((flops * runs) / ((performance.now() - started) / 1000) / 1e9).toFixed(1)} GFLOP/s`;
}

function engineSection(): void {
  const rng = new Rng(1);
  const random = (shape: number[]) => tensor(Float32Array.from({ length: shape[0] * shape[1] }, () => rng.normal()), shape);
  const x = random([4096, 128]);
  const w = random([128, 384]);
  const g = random([4096, 384]);
  console.log(`engine: ${backendName()}; matrix products of the GPT's attention projection and its gradients`);
  console.log(matmulRate('  x w         [4096,128] x [128,384]', x, w, false, false));
  console.log(matmulRate('  x^T g       [128,4096] x [4096,384] (dW)', x, g, true, false));
  console.log(matmulRate('  g w^T       [4096,384] x [384,128] (dX)', g, w, false, true));
  dispose([x, w, g]);
}

async function main(): Promise<void> {
  await initEngine();
  const steps = flag('steps', 40);
  engineSection();
  const dataset = loadTextDataset('wordnet');
  const split = splitDataset(dataset, SPLIT_DEFAULTS);
  const tokenizer = CharTokenizer.fromExamples(split.train);
  const trainStream = tokenizer.encodeCorpus(split.train);
  const heldOutStream = tokenizer.encodeCorpus(split.heldOut);
  const model: GptConfig = { ...GPT_DEFAULTS, vocabSize: tokenizer.size };
  const trainConfig: TrainConfig = { ...TRAIN_DEFAULTS, steps, warmupSteps: Math.min(TRAIN_DEFAULTS.warmupSteps, Math.floor(steps / 4)), evalEvery: steps, evalBatches: 4 };
  const data = new TextBatches(trainStream, heldOutStream, trainConfig.batchSize, model.blockSize);
  console.log(`\nmodel: default GPT ${JSON.stringify(GPT_DEFAULTS)}, batch ${trainConfig.batchSize}, ${steps} steps on WordNet (${trainStream.length.toLocaleString('en-US')} train tokens)`);

  // engram: tokens/s after a few warm-up steps (the first steps compile and allocate).
  const gpt = Gpt.init(model, trainConfig.seed);
  // Timed from the end of a few warm-up steps (the first ones allocate) to the end of the second-to-last
  // step, so the evaluation that runs at the last step is not counted as training.
  let timedFrom = 0;
  let timedTo = 0;
  const result = await train(gpt, data, trainConfig, {
    saveModel: async () => {},
    saveCheckpoint: async () => 'none',
    onStep: (r) => {
      if (r.step === TIMING_WARMUP_STEPS) timedFrom = performance.now();
      if (r.step === steps - 1) timedTo = performance.now();
      if (r.step % 5 === 0) process.stderr.write(`  engram step ${r.step}/${steps} loss ${r.loss.toFixed(3)}\n`);
    },
  });
  const engramTrain = ((steps - 1 - TIMING_WARMUP_STEPS) * data.itemsPerBatch) / ((timedTo - timedFrom) / 1000);
  const heldOutBatches = data.evalBatches('heldOut', 4);
  const engramHeldOut = evaluate(gpt, heldOutBatches);

  const sample = (samples: number) => {
    const started = performance.now();
    generateTokens(gpt, [0], { temperature: 1, topK: 0, topP: 1, seed: 1, samples, maxTokens: SAMPLE_CHARS });
    return (samples * SAMPLE_CHARS) / ((performance.now() - started) / 1000);
  };
  sample(1);
  const engramSample = sample(1);
  const engramSample8 = sample(8);
  gpt.dispose();

  // PyTorch: same config, same token streams, same held-out windows.
  mkdirSync(OUT, { recursive: true });
  writeFileSync(path.join(OUT, 'train.u16'), trainStream);
  writeFileSync(path.join(OUT, 'held_out.u16'), heldOutStream);
  const rng = new Rng(0);
  const heldOutEvalStarts = heldOutBatches.map(() => Array.from({ length: trainConfig.batchSize }, () => rng.int(heldOutStream.length - model.blockSize - 1)));
  const configFile = path.join(OUT, 'reference.json');
  writeFileSync(configFile, JSON.stringify({
    model, train: trainConfig, trainStream: path.join(OUT, 'train.u16'), heldOutStream: path.join(OUT, 'held_out.u16'),
    heldOutEvalStarts, timingWarmupSteps: TIMING_WARMUP_STEPS, sampleChars: SAMPLE_CHARS,
  }));
  process.stderr.write('  running the PyTorch reference...\n');
  const py = spawnSync('/usr/bin/python3', [path.join(ROOT, 'bench', 'reference_gpt.py'), configFile], {
    encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '2' },
  });
  let reference: { torch: string; threads: number; trainTokensPerSecond: number; heldOutLoss: number; sampleCharsPerSecond: number } | undefined;
  if (py.status === 0) reference = JSON.parse(py.stdout.trim().split('\n').pop()!);
  else console.log(`\nPyTorch reference unavailable (install python3-torch libopenblas0-pthread): ${py.stderr.trim().split('\n').pop()}`);

  const row = (label: string, ours: number, theirs: number | undefined, unit: string) =>
    console.log(`${label.padEnd(34)} ${ours.toFixed(unit === 'nats' ? 3 : 0).padStart(9)} ${theirs === undefined ? '        -' : theirs.toFixed(unit === 'nats' ? 3 : 0).padStart(9)}  ${theirs ? `${(ours / theirs).toFixed(2)}x` : ''}`);
  console.log(`\n${''.padEnd(34)} ${'engram'.padStart(9)} ${'PyTorch'.padStart(9)}  engram/PyTorch   (PyTorch ${reference?.torch ?? '-'}, ${reference?.threads ?? '-'} threads; engram: ${backendName()}, 1 thread)`);
  row('train tokens/s', engramTrain, reference?.trainTokensPerSecond, 'tok');
  row('sample chars/s (1 sample)', engramSample, reference?.sampleCharsPerSecond, 'chr');
  row('sample chars/s (8 in a batch)', engramSample8, undefined, 'chr');
  row(`held-out loss after ${steps} steps`, engramHeldOut, reference?.heldOutLoss, 'nats');
  console.log(`(engram's own evaluation at step ${steps}: train ${result.lastEval.trainLoss.toFixed(3)}, held-out ${result.lastEval.heldOutLoss.toFixed(3)})`);
  for (const shape of IMAGE_SHAPES) await imageSection(shape.size, shape.channels, Math.max(6, Math.round(steps / 2)));
}

// The default image model (32 px) and the fast MNIST one the demo uses (16 px).
const IMAGE_SHAPES = [{ size: 32, channels: [32, 64] as [number, number] }, { size: 16, channels: [16, 32] as [number, number] }];
const IMAGE_SAMPLES = 16;
const IMAGE_SAMPLE_STEPS = 50;

/** Diffusion training images/s on MNIST and DDIM sampling images/s, beside bench/reference_unet.py. */
async function imageSection(size: number, channels: [number, number], steps: number): Promise<void> {
  const dataset = loadMnist({ size, perDigit: 100 });
  const vocabulary = new TagVocabulary(DIGIT_TAGS);
  const items = dataset.examples.map((e) => ({ pixels: e.image.pixels, target: vocabulary.encode(e.tags) }));
  const config: DiffusionConfig = { ...IMAGE_MODEL_DEFAULTS, imageSize: size, channels, numTags: vocabulary.size };
  const trainConfig: TrainConfig = { ...IMAGE_TRAIN_DEFAULTS, steps, evalEvery: steps, evalBatches: 1 };
  const model = Diffusion.init(config, 1);
  let timedFrom = 0;
  let timedTo = 0;
  await train(model, new ImageBatches(items.slice(0, 900), items.slice(900), trainConfig.batchSize), trainConfig, {
    saveModel: async () => {}, saveCheckpoint: async () => 'none',
    onStep: (r) => {
      if (r.step === TIMING_WARMUP_STEPS) timedFrom = performance.now();
      if (r.step === steps - 1) timedTo = performance.now();
    },
  });
  const trainRate = ((steps - 1 - TIMING_WARMUP_STEPS) * trainConfig.batchSize) / ((timedTo - timedFrom) / 1000);
  const options = { samples: IMAGE_SAMPLES, steps: IMAGE_SAMPLE_STEPS, temperature: 0, guidance: 2, seed: 1 };
  sampleImages(model, vocabulary.encode(['7']), { ...options, samples: 2, steps: 2 });
  const started = performance.now();
  sampleImages(model, vocabulary.encode(['7']), options);
  const sampleRate = IMAGE_SAMPLES / ((performance.now() - started) / 1000);
  model.dispose();

  const configFile = path.join(OUT, `reference_unet_${size}.json`);
  writeFileSync(configFile, JSON.stringify({ model: config, batchSize: trainConfig.batchSize, steps: steps - TIMING_WARMUP_STEPS, warmup: TIMING_WARMUP_STEPS, samples: IMAGE_SAMPLES, sampleSteps: IMAGE_SAMPLE_STEPS }));
  const py = spawnSync('/usr/bin/python3', [path.join(ROOT, 'bench', 'reference_unet.py'), configFile], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '2' } });
  const reference = py.status === 0 ? (JSON.parse(py.stdout.trim().split('\n').pop()!) as { trainImagesPerSecond: number; sampleImagesPerSecond: number }) : undefined;
  const params = diffusionParamShapes(config).reduce((n, [, shape]) => n + shape.reduce((a, b) => a * b, 1), 0);
  console.log(`\nimage model: ${size}x${size}, channels ${channels.join(',')}, ${params.toLocaleString('en-US')} parameters, batch ${trainConfig.batchSize}, ${steps} steps on MNIST; sampling ${IMAGE_SAMPLES} images, ${IMAGE_SAMPLE_STEPS} guided DDIM steps`);
  const row = (label: string, ours: number, theirs: number | undefined) =>
    console.log(`${label.padEnd(34)} ${ours.toFixed(1).padStart(9)} ${theirs === undefined ? '        -' : theirs.toFixed(1).padStart(9)}  ${theirs ? `${(ours / theirs).toFixed(2)}x` : ''}`);
  row('train images/s', trainRate, reference?.trainImagesPerSecond);
  row('sample images/s', sampleRate, reference?.sampleImagesPerSecond);
  if (!reference) console.log(`PyTorch reference unavailable: ${py.stderr.trim().split('\n').pop()}`);
}

await main();
