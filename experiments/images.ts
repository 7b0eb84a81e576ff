// npm run experiment:images: do small diffusion models copy their training digits, and when do they stop?
// 1. A judge: a tagger trained on MNIST's training split, scored on held-out digits.
// 2. Quality: a conditional diffusion model on all of MNIST's training split; the judge scores 30 generated
//    images per digit at three temperatures and three guidance weights (conditional accuracy), with a grid each.
// 3. Disjoint-split test (Kadkhodaie et al. 2024, "Generalization in diffusion models arises from
//    geometry-adaptive harmonic representations"): at each dataset size N, two models trained on disjoint
//    sets of N digits draw from the same noise. Memorising models each return their nearest training image,
//    so their outputs differ; generalising models learn the same distribution and return nearly the same image.
// Writes runs/experiment-images/results.json and report.html. Flags: --steps N (quality model, default 4000),
// --sizes 10,100,1000 --disjoint-steps N (default 1000), --channels 16,32. With --score FILE it only trains
// the judge and scores that 16 px digit model (e.g. the demo's runs/demo/digits.safetensors) at each setting.
import { flag } from './flags.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initEngine, Rng, variableOf } from '../src/engine/index.js';
import { loadMnist } from '../src/data/mnist.js';
import { isHeldOut } from '../src/data/split.js';
import { tileImages } from '../src/data/imageFile.js';
import type { ImageExample } from '../src/data/imageDataset.js';
import { TagVocabulary } from '../src/codecs/tags.js';
import { Diffusion, type DiffusionConfig } from '../src/models/diffusion.js';
import { sampleImages } from '../src/sample/generateImages.js';
import { nearestNeighbours, normalisedL2 } from '../src/audit/imageNeighbours.js';
import { mean } from '../src/audit/stats.js';
import { imageDataUri, page } from '../src/report/page.js';
import { escapeHtml, lineChart } from '../src/report/svg.js';
import { ImageBatches } from '../src/train/imageBatches.js';
import { train, type TrainState } from '../src/train/trainer.js';
import { tagImage, trainTagger, loadTagger, type LoadedTagger } from '../src/tasks/tagger.js';
import { IMAGE_MODEL_DEFAULTS, IMAGE_TRAIN_DEFAULTS, loadImageModel, trainImageModel } from '../src/tasks/image.js';
import { TRAIN_DEFAULTS } from '../src/train/config.js';
import { FileStorage, MemoryStorage } from '../src/weights/storage.js';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUT = path.join(ROOT, 'runs', 'experiment-images');
const SIZE = 16;
const SPLIT = { splitSeed: 0, heldOutFraction: 0.05 };
// Sampling settings scored by the judge: three temperatures at the default guidance, then guidance 1, 3 and 4.
const SETTINGS = [
  { temperature: 0, guidance: 2 }, { temperature: 0.5, guidance: 2 }, { temperature: 1, guidance: 2 },
  { temperature: 0, guidance: 1 }, { temperature: 0, guidance: 3 }, { temperature: 1, guidance: 3 }, { temperature: 0, guidance: 4 },
];
const PER_DIGIT = 30;
const DIGITS = Array.from({ length: 10 }, (_, d) => String(d));

const log = (message: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`);

/** Share of images the judge calls `digit`. */
function judged(judge: LoadedTagger, images: readonly Float32Array[], digit: string): number {
  return images.filter((img) => tagImage(judge, { width: SIZE, height: SIZE, pixels: img }, 1)[0].tag === digit).length / images.length;
}

async function trainJudge(storage: MemoryStorage, dataset: ReturnType<typeof loadMnist>): Promise<{ judge: LoadedTagger; heldOutAccuracy: number }> {
  await trainTagger({
    dataset, out: 'judge.safetensors', split: SPLIT, storage, settings: { channels: [32, 64, 128], minTagCount: 1 },
    train: { ...TRAIN_DEFAULTS, steps: 2000, learningRate: 3e-3, warmupSteps: 20, evalEvery: 500, evalBatches: 4, weightDecay: 0 },
  });
  const judge = await loadTagger(storage, 'judge.safetensors');
  const heldOut = dataset.examples.filter((e) => isHeldOut(e.hash, SPLIT));
  const heldOutAccuracy = heldOut.filter((e) => tagImage(judge, e.image, 1)[0].tag === e.tags[0]).length / heldOut.length;
  return { judge, heldOutAccuracy };
}

/** The judge's verdict on PER_DIGIT generated images per digit at each sampling setting. */
function scoreQuality(judge: LoadedTagger, loaded: Awaited<ReturnType<typeof loadImageModel>>): Quality[] {
  return SETTINGS.map(({ temperature, guidance }) => {
    const perDigit = DIGITS.map((digit) => {
      const images = sampleImages(loaded.model, loaded.vocabulary.encode([digit]), { samples: PER_DIGIT, steps: 50, temperature, guidance, seed: Number(digit) });
      return { digit, accuracy: judged(judge, images, digit), shown: images.slice(0, 10) };
    });
    const accuracy = mean(perDigit.map((d) => d.accuracy));
    log(`  temperature ${temperature}, guidance ${guidance}: conditional accuracy ${(100 * accuracy).toFixed(1)}% (${perDigit.map((d) => `${d.digit}: ${Math.round(100 * d.accuracy)}%`).join(', ')})`);
    return { temperature, guidance, accuracy, perDigit };
  });
}

interface DisjointResult {
  readonly n: number;
  /** Per shared noise: distance between the two models' images, and from each to its nearest own training image. */
  readonly pairs: { readonly between: number; readonly toTraining: readonly [number, number] }[];
  readonly meanBetween: number;
  readonly meanToTraining: number;
  readonly grid: Float32Array[]; // rows: model A, model B, nearest training image of A
}

/** Trains a diffusion model on exactly `items` with the one trainer; returns its shipped (averaged) weights. */
async function trainOn(examples: readonly ImageExample[], heldOut: readonly ImageExample[], config: DiffusionConfig, steps: number, vocabulary: TagVocabulary): Promise<Diffusion> {
  const item = (e: ImageExample) => ({ pixels: e.image.pixels, target: vocabulary.encode(e.tags) });
  const model = Diffusion.init(config, 1);
  let shipped: TrainState | undefined;
  await train(model, new ImageBatches(examples.map(item), heldOut.map(item), 32), { ...IMAGE_TRAIN_DEFAULTS, steps, evalEvery: steps, evalBatches: 1 }, {
    saveModel: async (state) => { shipped = state; }, saveCheckpoint: async () => 'none',
  });
  model.dispose();
  return new Diffusion(config, new Map([...shipped!.params].map(([name, a]) => [name, variableOf(a.data, a.shape)])));
}

async function disjointTest(n: number, pool: readonly ImageExample[], heldOut: readonly ImageExample[], config: DiffusionConfig, steps: number, vocabulary: TagVocabulary): Promise<DisjointResult> {
  const perDigit = Math.max(1, Math.round(n / 10));
  const halves: ImageExample[][] = [[], []];
  for (const digit of DIGITS) {
    const ofDigit = pool.filter((e) => e.tags[0] === digit);
    halves[0].push(...ofDigit.slice(0, perDigit));
    halves[1].push(...ofDigit.slice(perDigit, 2 * perDigit));
  }
  const models = [];
  for (const half of halves) models.push(await trainOn(half, heldOut, config, steps, vocabulary));
  const pairs: DisjointResult['pairs'][number][] = [];
  const grid: Float32Array[][] = [[], [], []];
  for (const digit of DIGITS) {
    // Same seed and temperature 0: both models start from the same noise and denoise deterministically.
    const options = { samples: 4, steps: 50, temperature: 0, guidance: 2, seed: Number(digit) };
    const [a, b] = models.map((m) => sampleImages(m, vocabulary.encode([digit]), options));
    const nearA = nearestNeighbours(a, halves[0].map((e) => e.image.pixels), SIZE, 'l2', 1);
    const nearB = nearestNeighbours(b, halves[1].map((e) => e.image.pixels), SIZE, 'l2', 1);
    a.forEach((img, i) => pairs.push({ between: normalisedL2(img, b[i]), toTraining: [nearA.distances[i][0], nearB.distances[i][0]] }));
    grid[0].push(a[0]);
    grid[1].push(b[0]);
    grid[2].push(halves[0][nearA.indices[0][0]].image.pixels);
  }
  models.forEach((m) => m.dispose());
  return {
    n: perDigit * 10, pairs, meanBetween: mean(pairs.map((p) => p.between)), meanToTraining: mean(pairs.flatMap((p) => p.toTraining)), grid: grid.flat(),
  };
}

async function main(): Promise<void> {
  await initEngine();
  const started = performance.now();
  const steps = Number(flag('steps', '4000'));
  const disjointSteps = Number(flag('disjoint-steps', '1000'));
  const sizes = flag('sizes', '10,100,1000').split(',').map(Number);
  const channels = flag('channels', '16,32').split(',').map(Number) as [number, number];
  const storage = new MemoryStorage();
  const dataset = loadMnist({ size: SIZE });

  log('1/3 judge: a tagger on MNIST (2000 steps)');
  const { judge, heldOutAccuracy } = await trainJudge(storage, dataset);
  log(`judge accuracy on held-out real digits: ${(100 * heldOutAccuracy).toFixed(1)}%`);
  const scored = flag('score', '');
  if (scored) {
    const loaded = await loadImageModel(new FileStorage(), scored);
    scoreQuality(judge, loaded);
    loaded.model.dispose();
    return;
  }

  log(`2/3 quality: a conditional diffusion model on MNIST at ${SIZE}x${SIZE}, channels ${channels.join(',')}, ${steps} steps`);
  const model = { ...IMAGE_MODEL_DEFAULTS, channels };
  const outcome = await trainImageModel({
    dataset, out: 'digits.safetensors', model, split: SPLIT, storage, train: { ...IMAGE_TRAIN_DEFAULTS, steps, evalEvery: 500 },
    onEval: (r) => log(`  step ${r.step}: denoising loss train ${r.trainLoss.toFixed(4)}, held-out ${r.heldOutLoss.toFixed(4)}, ${Math.round(r.itemsPerSecond)} images/s`),
  });
  const loaded = await loadImageModel(storage, 'digits.safetensors');
  const quality = scoreQuality(judge, loaded);
  const config = loaded.model.config;
  loaded.model.dispose();

  log(`3/3 disjoint halves at N = ${sizes.join(', ')} (${disjointSteps} steps each, channels ${channels.join(',')})`);
  const pool = new Rng(3).shuffle(dataset.examples.filter((e) => !isHeldOut(e.hash, SPLIT)));
  const heldOut = dataset.examples.filter((e) => isHeldOut(e.hash, SPLIT)).slice(0, 200);
  const disjoint: DisjointResult[] = [];
  for (const n of sizes) {
    disjoint.push(await disjointTest(n, pool, heldOut, config, disjointSteps, outcome.vocabulary));
    const r = disjoint.at(-1)!;
    log(`  N = ${r.n}: distance between the two models' images ${r.meanBetween.toFixed(3)}, to their nearest training image ${r.meanToTraining.toFixed(3)}`);
  }
  const minutes = (performance.now() - started) / 60000;
  mkdirSync(OUT, { recursive: true });
  const results = {
    size: SIZE, split: SPLIT, steps, disjointSteps, channels, minutes, judgeHeldOutAccuracy: heldOutAccuracy,
    trained: { itemsPerSecond: outcome.lastEval.itemsPerSecond, trainLoss: outcome.lastEval.trainLoss, heldOutLoss: outcome.lastEval.heldOutLoss, parameters: outcome.parameterCount },
    quality: quality.map((q) => ({ temperature: q.temperature, guidance: q.guidance, accuracy: q.accuracy, perDigit: q.perDigit.map((d) => ({ digit: d.digit, accuracy: d.accuracy })) })),
    disjoint: disjoint.map(({ grid: _grid, ...r }) => r),
  };
  writeFileSync(path.join(OUT, 'results.json'), JSON.stringify(results, null, 2));
  writeFileSync(path.join(OUT, 'report.html'), render(results, quality, disjoint));
  log(`wrote ${path.join(OUT, 'results.json')} and report.html (${minutes.toFixed(1)} min)`);
}

type Results = { minutes: number; judgeHeldOutAccuracy: number; steps: number; disjointSteps: number; channels: number[]; trained: { itemsPerSecond: number; heldOutLoss: number; parameters: number } };
type Quality = { temperature: number; guidance: number; accuracy: number; perDigit: { digit: string; accuracy: number; shown: Float32Array[] }[] };

function render(r: Results, quality: Quality[], disjoint: DisjointResult[]): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const grids = quality.map((q) => `<figure class="wide"><img class="grid" src="${imageDataUri(tileImages(q.perDigit.flatMap((d) => d.shown), SIZE, { columns: 10, scale: 2, gap: 1 }))}" alt="samples at temperature ${q.temperature}, guidance ${q.guidance}">` +
    `<figcaption>temperature ${q.temperature}, guidance ${q.guidance}: the judge agrees on ${pct(q.accuracy)}</figcaption></figure>`).join('');
  const scatter = lineChart([
    ...disjoint.map((d, i) => ({ name: `N = ${d.n}`, color: ['#c0392b', '#d68910', '#2471a3', '#1e8449'][i % 4], dotsOnly: true, points: d.pairs.map((p) => [mean([...p.toTraining]), p.between] as const) })),
  ], { title: 'Same noise, two disjoint training sets', xLabel: 'distance to nearest own training image (L2)', yLabel: 'distance between the two models\' images', xRange: [0, 0.5], yRange: [0, 0.5] });
  const trend = lineChart([
    { name: 'between the two models', color: '#2471a3', points: disjoint.map((d) => [d.n, d.meanBetween] as const) },
    { name: 'to the nearest training image', color: '#c0392b', points: disjoint.map((d) => [d.n, d.meanToTraining] as const) },
  ], { title: 'Memorisation gives way to generalisation', xLabel: 'training images per model (N)', yLabel: 'mean normalised L2', xLog: true });
  const rows = disjoint.map((d) => `<tr><th>N = ${d.n}</th><td>${d.meanBetween.toFixed(3)}</td><td>${d.meanToTraining.toFixed(3)}</td>` +
    `<td><img class="grid" src="${imageDataUri(tileImages(d.grid, SIZE, { columns: 10, scale: 2, gap: 1 }))}" alt="model A, model B, A's nearest training image"></td></tr>`).join('');
  return page('engram experiment: images', `<h1>Do small diffusion models copy their training digits?</h1>
<p>MNIST at ${SIZE}x${SIZE}. ${r.minutes.toFixed(1)} minutes in all on this machine. The judge (a tagger trained on the same training split)
calls ${pct(r.judgeHeldOutAccuracy)} of held-out real digits correctly.</p>
<h2>Quality: conditional accuracy</h2>
<p>A model with channels ${r.channels.join(', ')} (${r.trained.parameters.toLocaleString('en-US')} parameters) trained ${r.steps} steps at
${Math.round(r.trained.itemsPerSecond)} images/s (held-out denoising loss ${r.trained.heldOutLoss.toFixed(4)}). ${PER_DIGIT} images per digit and
setting, 50 DDIM steps; in the grids, rows are the digits 0-9.</p>
<table><tr><th>temperature</th><th>guidance</th>${DIGITS.map((d) => `<th>${d}</th>`).join('')}<th>all</th></tr>
${quality.map((q) => `<tr><th>${q.temperature}</th><th>${q.guidance}</th>${q.perDigit.map((d) => `<td>${Math.round(100 * d.accuracy)}%</td>`).join('')}<td><b>${pct(q.accuracy)}</b></td></tr>`).join('')}</table>
<div class="gallery">${grids}</div>
<h2>Disjoint halves (Kadkhodaie et al. 2024)</h2>
<p>${escapeHtml(`At each N, two models with the same architecture and seed are trained ${r.disjointSteps} steps on disjoint sets of N digits and sample from the same noise (temperature 0). Small N: each model reproduces its own nearest training image, so the two outputs differ. Large N: both learn the distribution and, from the same noise, draw nearly the same new digit, far from any training image.`)}</p>
<div class="charts">${scatter}${trend}</div>
<table><tr><th></th><th>between models</th><th>to nearest training image</th><th>model A / model B / A's nearest training image</th></tr>${rows}</table>`);
}

await main();
