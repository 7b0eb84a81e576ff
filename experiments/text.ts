// npm run experiment:text: on WordNet, does memorisation grow with duplication and with training?
// Builds a dataset from WordNet adverbs in which groups of examples occur 1, 2, 4, 8 and 16 times, plants
// canaries repeated 0, 1, 4 and 16 times, trains one small GPT, and after several numbers of steps measures
// verbatim extraction per duplication count, membership-inference AUC, and canary exposure. Writes
// runs/experiment-text/results.json and report.html. Flags: --steps N (default 1500), --stages a,b,c.
import { flag } from './flags.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initEngine, Rng } from '../src/engine/index.js';
import { TrainingStopped } from '../src/errors.js';
import { exampleHash, loadWordnet, makeDataset, splitDataset, type Example } from '../src/data/index.js';
import { extractedFlags } from '../src/audit/extraction.js';
import { exampleLosses } from '../src/audit/exampleLoss.js';
import { lossThresholdAttack } from '../src/audit/membership.js';
import { canaryExposure } from '../src/audit/exposure.js';
import { wilson, type Interval } from '../src/audit/stats.js';
import { escapeHtml, lineChart } from '../src/report/svg.js';
import { loadTextModel, trainTextModel, checkpointPathFor } from '../src/tasks/text.js';
import { TRAIN_DEFAULTS } from '../src/train/config.js';
import { MemoryStorage } from '../src/weights/storage.js';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUT = path.join(ROOT, 'runs', 'experiment-text');
const OCCURRENCES = [1, 2, 4, 8, 16];
const GROUP_SIZE = 80;
const K = 16; // prompt characters
const N = 16; // characters that must match

interface Stage {
  readonly step: number;
  readonly trainLoss: number;
  readonly heldOutLoss: number;
  readonly extractionByOccurrences: { readonly occurrences: number; readonly rate: Interval; readonly eligible: number }[];
  readonly heldOutExtraction: Interval;
  readonly auc: Interval;
  readonly exposureByRepeats: { readonly repeats: number; readonly exposure: number }[];
}

async function main(): Promise<void> {
  await initEngine();
  const steps = Number(flag('steps', '1500'));
  const stages = flag('stages', `${Math.round(steps / 6)},${Math.round(steps / 3)},${Math.round((2 * steps) / 3)},${steps}`).split(',').map(Number);

  // Unique adverb synsets; each group of GROUP_SIZE appears `occurrences` times in the dataset.
  const adverbs = loadWordnet(['adv']).examples;
  const rng = new Rng(7);
  const pool = rng.shuffle([...adverbs]);
  const groups = OCCURRENCES.map((occurrences, g) => ({ occurrences, examples: pool.slice(g * GROUP_SIZE, (g + 1) * GROUP_SIZE) }));
  const heldOutPool = pool.slice(OCCURRENCES.length * GROUP_SIZE, OCCURRENCES.length * GROUP_SIZE + 400);
  const examples: Example[] = [...groups.flatMap((g) => g.examples.flatMap((e) => Array.from({ length: g.occurrences }, () => e))), ...heldOutPool];
  const dataset = makeDataset('wordnet:adv duplicated 1-16x', 'experiment', examples);
  // Held-out fraction chosen so the split puts (by hash) some of every group on the held-out side; the
  // audit compares only examples whose side we know, so rebuild it exactly.
  const split = { splitSeed: 0, heldOutFraction: 0.2 };
  const sides = splitDataset(dataset, split);
  const trainHashes = new Set(sides.train.map((e) => e.hash));
  const heldOutUnique = [...new Map(sides.heldOut.map((e) => [e.hash, e])).values()];
  console.log(`dataset: ${dataset.examples.length} examples (${dataset.duplicateCount} duplicates), ${sides.train.length} train / ${sides.heldOut.length} held out`);

  const storage = new MemoryStorage();
  const canaries = { count: 4, repeats: [0, 1, 4, 16], seed: 11 };
  const train = { ...TRAIN_DEFAULTS, steps, batchSize: 32, learningRate: 5e-3, minLearningRate: 5e-4, warmupSteps: 50, evalEvery: 50, evalBatches: 4, keep: 'last' as const };
  const model = { blockSize: 64, nLayer: 3, nHead: 4, nEmbd: 64, dropout: 0 };
  const results: Stage[] = [];
  let lastStep = 0;
  const started = performance.now();
  for (const stage of stages) {
    let step = lastStep;
    try {
      await trainTextModel({
        dataset, out: 'm.safetensors', model, train, split, storage, canaries, resume: lastStep > 0,
        stopRequested: () => step >= stage,
        onStep: (r) => {
          step = r.step;
          if (r.step % 50 === 0) process.stderr.write(`  step ${r.step}/${steps} loss ${r.loss.toFixed(3)} ${Math.round(r.itemsPerSecond)} tok/s\n`);
        },
      });
    } catch (err) {
      if (!(err instanceof TrainingStopped && err.exitCode === 130)) throw err;
    }
    lastStep = stage;
    const loaded = await loadTextModel(storage, stage === steps ? 'm.safetensors' : checkpointPathFor('m.safetensors'));
    const { model: gpt, tokenizer, record } = loaded;
    const byOccurrences = groups.map((g) => {
      const members = g.examples.filter((e) => trainHashes.has(exampleHash(e)));
      const hits = extractedFlags(gpt, tokenizer, members.map((e) => ({ ...e, hash: '' })), K, N);
      return { occurrences: g.occurrences, rate: wilson(hits.filter((h) => h.hit).length, hits.length), eligible: hits.length };
    });
    const heldOutHits = extractedFlags(gpt, tokenizer, heldOutUnique, K, N);
    const once = groups[0].examples.filter((e) => trainHashes.has(exampleHash(e)));
    const loss = (xs: readonly Example[]) => exampleLosses(gpt, tokenizer, xs).map((l) => l.natsPerToken).filter(Number.isFinite);
    const membership = lossThresholdAttack(loss(once), loss(heldOutUnique.slice(0, 300)));
    const exposure = canaryExposure(gpt, tokenizer, record.provenance, { canarySeed: canaries.seed, candidates: 300, seed: 1 })!;
    results.push({
      step: stage, trainLoss: record.provenance.trainLoss, heldOutLoss: record.provenance.heldOutLoss,
      extractionByOccurrences: byOccurrences, heldOutExtraction: wilson(heldOutHits.filter((h) => h.hit).length, heldOutHits.length),
      auc: membership.auc, exposureByRepeats: exposure.byRepeats.map((g) => ({ repeats: g.repeats, exposure: g.meanExposureSkewNormal })),
    });
    gpt.dispose();
    const r = results.at(-1)!;
    console.log(`step ${stage}: extraction by occurrences ${r.extractionByOccurrences.map((o) => `${o.occurrences}x ${(100 * o.rate.estimate).toFixed(0)}%`).join(', ')}; ` +
      `held-out ${(100 * r.heldOutExtraction.estimate).toFixed(1)}%; AUC (1x members) ${r.auc.estimate.toFixed(3)}; ` +
      `exposure ${r.exposureByRepeats.map((e) => `${e.repeats}x ${e.exposure.toFixed(1)}`).join(', ')} bits`);
  }
  const minutes = (performance.now() - started) / 60000;
  mkdirSync(OUT, { recursive: true });
  writeFileSync(path.join(OUT, 'results.json'), JSON.stringify({ dataset: dataset.name, groupSize: GROUP_SIZE, k: K, n: N, model, train, canaries: { count: canaries.count, repeats: canaries.repeats }, minutes, stages: results }, null, 2));
  writeFileSync(path.join(OUT, 'report.html'), render(results, minutes));
  console.log(`wrote ${path.join(OUT, 'results.json')} and report.html (${minutes.toFixed(1)} min)`);
}

const COLORS = ['#aed6f1', '#5dade2', '#2471a3', '#1b2631', '#7d3c98', '#c0392b'];

function render(stages: Stage[], minutes: number): string {
  const extraction = lineChart(stages.map((s, i) => ({
    name: `after ${s.step} steps`, color: COLORS[i % COLORS.length],
    points: s.extractionByOccurrences.map((o) => [o.occurrences, o.rate.estimate] as const),
    errors: s.extractionByOccurrences.map((o) => [o.rate.low, o.rate.high] as const),
  })), { title: `Verbatim extraction (${K}-char prompt, next ${N} exact)`, xLabel: 'occurrences in the training data', yLabel: 'fraction extracted', xLog: true, yRange: [0, 1], xRange: [1, 16] });
  const exposure = lineChart(stages.map((s, i) => ({
    name: `after ${s.step} steps`, color: COLORS[i % COLORS.length], points: s.exposureByRepeats.map((e) => [e.repeats, e.exposure] as const),
  })), { title: 'Canary exposure', xLabel: 'times the secret was planted', yLabel: 'exposure (bits, of 29.9)', yRange: [0, 30] });
  const curve = lineChart([
    { name: 'membership AUC (1x members vs held-out)', color: '#c0392b', points: stages.map((s) => [s.step, s.auc.estimate] as const), errors: stages.map((s) => [s.auc.low, s.auc.high] as const) },
    { name: 'held-out extraction rate', color: '#2471a3', points: stages.map((s) => [s.step, s.heldOutExtraction.estimate] as const) },
  ], { title: 'Memorisation vs training steps', xLabel: 'training steps', yLabel: 'AUC / rate', yRange: [0, 1] });
  const rows = stages.map((s) => `<tr><td>${s.step}</td><td>${s.trainLoss.toFixed(3)}</td><td>${s.heldOutLoss.toFixed(3)}</td>${s.extractionByOccurrences.map((o) => `<td>${(100 * o.rate.estimate).toFixed(0)}% <small>(${o.eligible})</small></td>`).join('')}<td>${(100 * s.heldOutExtraction.estimate).toFixed(1)}%</td><td>${s.auc.estimate.toFixed(3)}</td>${s.exposureByRepeats.map((e) => `<td>${e.exposure.toFixed(1)}</td>`).join('')}</tr>`).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>engram experiment: memorisation vs duplication and training</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:1000px;margin:2em auto;padding:0 1em}.charts{display:flex;flex-wrap:wrap;gap:12px}
.chart{border:1px solid #ddd}.chart text{font-size:11px}.chart .title{font-size:13px;font-weight:600}.chart .grid{stroke:#eee}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:4px 8px}small{color:#666}</style></head><body>
<h1>Memorisation grows with duplication and with training</h1>
<p>${escapeHtml(`WordNet adverbs, groups of ${GROUP_SIZE} examples occurring 1, 2, 4, 8 and 16 times, 4 canaries per repeat count 0, 1, 4, 16; one GPT (3 layers, width 64) measured after each stage; ${minutes.toFixed(1)} minutes in all.`)}</p>
<div class="charts">${extraction}${exposure}${curve}</div>
<table><tr><th>steps</th><th>train loss</th><th>held-out loss</th>${OCCURRENCES.map((o) => `<th>extracted, ${o}x</th>`).join('')}<th>extracted, held-out</th><th>AUC</th>${[0, 1, 4, 16].map((r) => `<th>exposure ${r}x</th>`).join('')}</tr>${rows}</table>
</body></html>`;
}

await main();
