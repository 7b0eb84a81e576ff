// npm run experiment:planted: does the audit find what was planted, at the false-alarm rate it states?
// Text: a GPT (the demo's settings) trained on WordNet adjective and adverb glosses among which groups of
// planted members occur 1, 4, 16 and 64 times; every membership attack (loss, zlib, lowercase, Min-K%,
// Min-K%++, LiRA online and offline, RMIA) scores the planted members and thousands of examples never trained
// on. Images: transformed copies (shifted, mirrored, recoloured, cropped) of MNIST training images against
// the rest of MNIST, scored by the robust copy distance, tiled L2 and L2.
// And a digit model trained long on a handful of images, whose full image audit must call it a copier.
// Each threshold is set on one half of the never-trained examples (the calibration half) at 1% and 0.1%
// false alarms; the false-alarm rate is then measured on the other half, and the true-positive rate on each
// planted group, each with a Wilson interval. Writes runs/experiment-planted/results.json and report.html.
// Flags: --steps N (default 2000), --reference-models K (default 4), --handful-steps N (default 3000).
import { flag } from './flags.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initEngine, Rng } from '../src/engine/index.js';
import { loadWordnet, type HashedExample } from '../src/data/index.js';
import { loadMnist } from '../src/data/mnist.js';
import { isHeldOut } from '../src/data/split.js';
import { resize } from '../src/data/imageFile.js';
import { CharTokenizer } from '../src/codecs/charTokenizer.js';
import { Gpt, gptParamShapes } from '../src/models/gpt.js';
import type { GptConfig } from '../src/models/gptConfig.js';
import { TRAIN_DEFAULTS, type TrainConfig } from '../src/train/config.js';
import { paramsFromRecord, type ModelRecord } from '../src/weights/modelFile.js';
import { FileStorage } from '../src/weights/storage.js';
import { exampleLosses, type ExampleTokenScores } from '../src/audit/exampleLoss.js';
import { lowercasedExample, TEXT_ATTACKS, type ScoredExample } from '../src/audit/textAttacks.js';
import { textReferenceFamily } from '../src/audit/referenceFamilies.js';
import { referenceScores } from '../src/audit/referenceModels.js';
import { liraScores, rmiaScores } from '../src/audit/referenceAttacks.js';
import { robustNearest } from '../src/audit/robustCopies.js';
import { nearestNeighbours } from '../src/audit/imageNeighbours.js';
import { wilson, type Interval } from '../src/audit/stats.js';
import { page } from '../src/report/page.js';
import { escapeHtml } from '../src/report/svg.js';
import { ProgressBar } from '../src/cli/progress.js';
import { loadOutsideImages } from '../src/data/images.js';
import { IMAGE_MODEL_DEFAULTS, IMAGE_TRAIN_DEFAULTS, loadImageModel, trainImageModel } from '../src/tasks/image.js';
import { IMAGE_AUDIT_DEFAULTS, runImageAudit } from '../src/audit/imageAudit.js';
import { MemoryStorage } from '../src/weights/storage.js';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUT = path.join(ROOT, 'runs', 'experiment-planted');
const DUPLICATIONS = [1, 4, 16, 64];
const PER_GROUP = 100;
const BASE_MEMBERS = 2000;
const NON_MEMBERS = 4000; // half to set thresholds, half to measure false alarms: 2,000 resolve 0.1%
const FALSE_ALARMS = [0.01, 0.001];

/** One method's rates at one false-alarm target: measured false alarms and the TPR of every planted group. */
interface OperatingPoint {
  readonly target: number;
  readonly falseAlarms: Interval;
  /** The same with the halves' roles swapped (threshold set on the test half, false alarms counted on the calibration half). */
  readonly falseAlarmsSwapped: Interval;
  readonly found: Record<string, Interval>;
}

interface MethodResult {
  readonly method: string;
  readonly points: OperatingPoint[];
}

/**
 * Thresholds set on calibration scores (higher = "member" / "copy") so at most `target` of them lie above;
 * the rates are then counted on the held-back non-members and on each planted group.
 */
function evaluate(method: string, calibration: readonly number[], test: readonly number[], groups: Record<string, readonly number[]>): MethodResult {
  const thresholdOf = (xs: readonly number[], target: number) => [...xs].sort((a, b) => b - a)[Math.floor(target * xs.length)];
  const above = (xs: readonly number[], threshold: number) => wilson(xs.filter((x) => x > threshold).length, xs.length);
  const points = FALSE_ALARMS.map((target) => {
    const threshold = thresholdOf(calibration, target);
    return {
      target, falseAlarms: above(test, threshold), falseAlarmsSwapped: above(calibration, thresholdOf(test, target)),
      found: Object.fromEntries(Object.entries(groups).map(([g, xs]) => [g, above(xs, threshold)])),
    };
  });
  return { method, points };
}

async function textExperiment(steps: number, referenceModels: number): Promise<MethodResult[]> {
  const pool = new Rng(11).shuffle([...new Map(loadWordnet(['adj', 'adv']).examples.map((e) => [e.hash, e])).values()]);
  const planted = DUPLICATIONS.map((d, g) => ({ d, examples: pool.slice(g * PER_GROUP, (g + 1) * PER_GROUP) }));
  const base = pool.slice(DUPLICATIONS.length * PER_GROUP, DUPLICATIONS.length * PER_GROUP + BASE_MEMBERS);
  const nonMembers = pool.slice(DUPLICATIONS.length * PER_GROUP + BASE_MEMBERS, DUPLICATIONS.length * PER_GROUP + BASE_MEMBERS + NON_MEMBERS);
  const copiesOf = new Map(planted.flatMap((g) => g.examples.map((e) => [e.hash, g.d] as const)));
  const tokenizer = CharTokenizer.fromExamples([...base, ...planted.flatMap((g) => g.examples), ...nonMembers]);
  const config: GptConfig = { blockSize: 64, nLayer: 3, nHead: 4, nEmbd: 64, dropout: 0, vocabSize: tokenizer.size };
  const train: TrainConfig = { ...TRAIN_DEFAULTS, steps, batchSize: 32, learningRate: 5e-3, minLearningRate: 5e-4, warmupSteps: 50, evalEvery: steps, evalBatches: 4, keep: 'last' };
  const record: ModelRecord = {
    kind: 'gpt', task: 'text', modelConfig: { ...config }, trainConfig: train, vocabulary: tokenizer.toJSON(), params: new Map(),
    provenance: { dataset: { name: 'planted', version: '1', fingerprint: '', examples: 0, bytes: 0, duplicateCount: 0 }, split: { splitSeed: 0, heldOutFraction: 0, trainExamples: 0, heldOutExamples: 0 }, steps, trainLoss: NaN, heldOutLoss: NaN, engramVersion: '' },
  };
  const family = textReferenceFamily(record, tokenizer);
  const copies = (e: HashedExample) => copiesOf.get(e.hash) ?? 1;
  const trainList = [...base, ...planted.flatMap((g) => g.examples.flatMap((e) => Array.from({ length: g.d }, () => e)))];

  const bar = new ProgressBar('audited model', steps, 'step');
  const params = await family.train(trainList, nonMembers.slice(0, 256), 0, (step) => bar.update(step));
  bar.finish();
  const model = new Gpt(config, paramsFromRecord({ ...record, params }, gptParamShapes(config), 'audited model'));
  const items = [...planted.flatMap((g) => g.examples), ...nonMembers];
  const scores = exampleLosses(model, tokenizer, items);
  const lowered = exampleLosses(model, tokenizer, items.map(lowercasedExample));
  model.dispose();
  const scored: ScoredExample[] = items.map((example, i) => ({ example, scores: scores[i], lowercased: lowered[i] as ExampleTokenScores }));

  const methods: [string, number[]][] = [['loss', scored.map((x) => -x.scores.natsPerToken)], ...TEXT_ATTACKS.map((a) => [a.name, scored.map(a.score)] as [string, number[]])];
  if (referenceModels > 0) {
    let refBar: ProgressBar | undefined;
    const run = await referenceScores({
      family, record, filler: base, pool: items, target: methods[0][1], copies, count: referenceModels, seed: 0,
      storage: new FileStorage(), cacheDir: path.join(OUT, 'reference-models'),
      progress: (_stage, done, total) => (refBar ??= new ProgressBar('reference models', total, 'step')).update(done),
    });
    refBar?.finish();
    const calibrationSide = items.map((_, i) => i >= PER_GROUP * DUPLICATIONS.length && i < PER_GROUP * DUPLICATIONS.length + NON_MEMBERS / 2);
    methods.push(['LiRA online', liraScores(run, 'online')], ['LiRA offline', liraScores(run, 'offline')], ['RMIA', rmiaScores(run, calibrationSide)]);
  }
  const plantedCount = PER_GROUP * DUPLICATIONS.length;
  return methods.map(([name, s]) => evaluate(name, s.slice(plantedCount, plantedCount + NON_MEMBERS / 2), s.slice(plantedCount + NON_MEMBERS / 2),
    Object.fromEntries(DUPLICATIONS.map((d, g) => [`planted ${d}x`, s.slice(g * PER_GROUP, (g + 1) * PER_GROUP)]))));
}

/** Transformed copies of training digits: what a generator that copies, but not pixel for pixel, would make. */
function imageEdits(size: number): Record<string, (p: Float32Array, k: number) => Float32Array> {
  const at = (p: Float32Array, x: number, y: number, c: number) => p[3 * (Math.min(size - 1, Math.max(0, y)) * size + Math.min(size - 1, Math.max(0, x))) + c];
  const map = (p: Float32Array, f: (x: number, y: number, c: number) => number) => Float32Array.from(p, (_, i) => f(Math.floor(i / 3) % size, Math.floor(i / 3 / size), i % 3));
  return {
    shifted: (p, k) => map(p, (x, y, c) => at(p, x - 2 + (k % 5), y - 2 + ((k >> 2) % 5), c)),
    mirrored: (p) => map(p, (x, y, c) => at(p, size - 1 - x, y, c)),
    recoloured: (p) => map(p, (x, y, c) => 0.15 + 0.7 * at(p, x, y, c) * [1, 0.8, 0.55][c]),
    cropped: (p) => {
      const side = Math.round(size * 0.85);
      const start = Math.floor((size - side) / 2);
      const crop = new Float32Array(side * side * 3).map((_, i) => at(p, start + (Math.floor(i / 3) % side), start + Math.floor(i / 3 / side), i % 3));
      return resize({ width: side, height: side, pixels: crop }, size).pixels;
    },
  };
}

function imageExperiment(): MethodResult[] {
  const size = 16;
  const dataset = loadMnist({ size, perDigit: 100 });
  const split = { splitSeed: 0, heldOutFraction: 0.1 };
  const train = dataset.examples.filter((e) => !isHeldOut(e.hash, split)).map((e) => e.image.pixels);
  const inside = new Set(dataset.examples.map((e) => e.hash));
  const outside = new Rng(5).shuffle(loadMnist({ size }).examples.filter((e) => !inside.has(e.hash))).slice(0, NON_MEMBERS).map((e) => e.image.pixels);
  const rng = new Rng(6);
  const edits = Object.entries(imageEdits(size)).map(([name, edit]) => ({ name, images: Array.from({ length: PER_GROUP }, (_, k) => edit(train[rng.int(train.length)], k)) }));
  const queries = [...edits.flatMap((e) => e.images), ...outside];
  const robust = robustNearest(queries, train, size).map((m) => -m.distance);
  const tiled = nearestNeighbours(queries, train, size, 'tiled-l2', 1).distances.map((d) => -d[0]);
  const plain = nearestNeighbours(queries, train, size, 'l2', 1).distances.map((d) => -d[0]);
  const n = PER_GROUP * edits.length;
  return ([['robust copy distance', robust], ['tiled L2', tiled], ['L2', plain]] as const).map(([name, s]) => evaluate(name, s.slice(n, n + NON_MEMBERS / 2), s.slice(n + NON_MEMBERS / 2),
    Object.fromEntries(edits.map((e, g) => [`${e.name} copies`, s.slice(g * PER_GROUP, (g + 1) * PER_GROUP)]))));
}

/** A digit model trained for `steps` on 2 digits of each kind: the audit must say it reproduces training images. */
async function handfulExperiment(steps: number): Promise<{ trainImages: number; steps: number; verdict: string; nearCopies: Interval; robustCopies: Interval; baseline: Interval }> {
  const dataset = loadMnist({ size: 16, perDigit: 2 });
  const storage = new MemoryStorage();
  const bar = new ProgressBar('handful model', steps, 'step');
  await trainImageModel({
    dataset, out: 'handful.safetensors', storage, split: { splitSeed: 0, heldOutFraction: 0.2 },
    model: { ...IMAGE_MODEL_DEFAULTS, channels: [16, 32] }, train: { ...IMAGE_TRAIN_DEFAULTS, steps, evalEvery: steps },
    onStep: (r) => bar.update(r.step),
  });
  bar.finish();
  const loaded = await loadImageModel(storage, 'handful.safetensors');
  const report = await runImageAudit({ ...loaded, file: 'handful.safetensors', dataset, outsiders: loadOutsideImages('mnist:2', dataset), settings: { ...IMAGE_AUDIT_DEFAULTS, examples: 20 } });
  loaded.model.dispose();
  return { trainImages: report.trainImages, steps, verdict: report.verdict, nearCopies: report.generated.nearCopyRate, robustCopies: report.robustCopies.generated, baseline: report.baseline.nearCopyRate };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const cell = (i: Interval) => `${pct(i.estimate)} <small>(${pct(i.low)}-${pct(i.high)})</small>`;

function table(title: string, results: readonly MethodResult[]): string {
  const groups = Object.keys(results[0].points[0].found);
  const rows = results.flatMap((r) => r.points.map((p) => `<tr><td>${escapeHtml(r.method)}</td><td>${pct(p.target)}</td><td>${cell(p.falseAlarms)}<br>${cell(p.falseAlarmsSwapped)}</td>${groups.map((g) => `<td>${cell(p.found[g])}</td>`).join('')}</tr>`)).join('');
  return `<h2>${escapeHtml(title)}</h2><table><tr><th>method</th><th>false-alarm target</th><th>false alarms measured (halves swapped)</th>${groups.map((g) => `<th>${escapeHtml(g)} found</th>`).join('')}</tr>${rows}</table>`;
}

async function main(): Promise<void> {
  await initEngine();
  const started = performance.now();
  const steps = Number(flag('steps', '2000'));
  const referenceModels = Number(flag('reference-models', '4'));
  const text = await textExperiment(steps, referenceModels);
  const images = imageExperiment();
  const handful = await handfulExperiment(Number(flag('handful-steps', '3000')));
  const minutes = (performance.now() - started) / 60000;
  mkdirSync(OUT, { recursive: true });
  writeFileSync(path.join(OUT, 'results.json'), JSON.stringify({ steps, referenceModels, perGroup: PER_GROUP, baseMembers: BASE_MEMBERS, nonMembers: NON_MEMBERS, minutes, text, images, handful }, null, 2));
  writeFileSync(path.join(OUT, 'report.html'), page('engram experiment: planted truth', `<h1>Does the audit find what was planted?</h1>
<p>Text: a GPT (${steps} steps, the demo's settings) trained on ${BASE_MEMBERS} WordNet glosses plus ${PER_GROUP} planted glosses at each of ${DUPLICATIONS.join(', ')} copies;
${NON_MEMBERS} glosses never trained on, half to set each threshold, half to measure its false alarms${referenceModels ? `; ${referenceModels} reference models for LiRA and RMIA` : ''}.
Images: ${PER_GROUP} transformed copies of each kind of MNIST training digits (16 px) against ${NON_MEMBERS} MNIST digits outside the training set. 95% Wilson intervals. ${minutes.toFixed(1)} min.</p>
${table('Membership of planted text', text)}${table('Transformed copies of training images', images)}
<h2>A digit model trained ${handful.steps} steps on ${handful.trainImages} images</h2>
<p>Near-copies by the ratio rule: ${cell(handful.nearCopies)} of its generations (baseline ${cell(handful.baseline)}); by the robust copy distance: ${cell(handful.robustCopies)}.</p>
<p class="verdict">${escapeHtml(handful.verdict)}</p>`));
  for (const r of [...text, ...images]) {
    console.log(`${r.method.padEnd(22)} ${r.points.map((p) => `at ${pct(p.target)}: false alarms ${pct(p.falseAlarms.estimate)} / ${pct(p.falseAlarmsSwapped.estimate)}, found ${Object.entries(p.found).map(([g, i]) => `${g} ${pct(i.estimate)}`).join(', ')}`).join(' | ')}`);
  }
  console.log(`handful: ${handful.verdict}`);
  console.log(`wrote ${path.join(OUT, 'results.json')} and report.html (${minutes.toFixed(1)} min)`);
}

await main();
