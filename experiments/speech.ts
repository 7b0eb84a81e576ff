// npm run experiment:speech -- --synthetic DIR [--words DIR] [--fsdd PATH] [--steps N]: what the speech
// recogniser reaches, measured.
// - digits: leave-one-speaker-out over the real FSDD speakers: trained on synthetic digits (npm run speech:data)
//   plus the other real speakers, word accuracy on the held-out speaker; and trained on synthetic speech alone,
//   accuracy on every real speaker, to show what real data adds;
// - words (with --words): character and word error rate on synthetic voices never heard in training.
// Writes runs/experiment-speech/results.json.
import { flag } from './flags.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initEngine } from '../src/engine/index.js';
import { loadSpeechDataset, makeSpeechDataset, splitSpeech, type SpeechDataset, type SpeechExample, type SpeechSplitSpec } from '../src/data/speech.js';
import { SPEECH_DEFAULTS, SPEECH_TRAIN_DEFAULTS, speechModelFromRecord, trainSpeechModel, transcribeFeatures } from '../src/tasks/speech.js';
import { errorRates } from '../src/audit/speechAudit.js';
import { loadModelFile } from '../src/weights/modelFile.js';
import { MemoryStorage } from '../src/weights/storage.js';
import { ProgressBar } from '../src/cli/progress.js';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUT = path.join(ROOT, 'runs', 'experiment-speech');

async function trainAndScore(label: string, dataset: SpeechDataset, split: SpeechSplitSpec, steps: number, tests: Record<string, readonly SpeechExample[]>) {
  const storage = new MemoryStorage();
  const bar = new ProgressBar(label, steps, 'step');
  const started = performance.now();
  await trainSpeechModel({ dataset, out: 'm', model: SPEECH_DEFAULTS, train: { ...SPEECH_TRAIN_DEFAULTS, steps, keep: 'last' }, split, storage, onStep: (r) => bar.update(r.step) });
  bar.finish();
  const seconds = (performance.now() - started) / 1000;
  const loaded = speechModelFromRecord(await loadModelFile(storage, 'm'), 'm');
  const results: Record<string, ReturnType<typeof errorRates>> = {};
  for (const [name, xs] of Object.entries(tests)) {
    const t0 = performance.now();
    const heard = transcribeFeatures(loaded.model, xs, { temperature: 0, seed: 0 });
    const audioSeconds = xs.reduce((s, e) => s + e.samples.length / 16000, 0);
    results[name] = { ...errorRates(xs.map((e) => e.text), heard), audioSecondsPerSecond: audioSeconds / ((performance.now() - t0) / 1000) } as never;
  }
  loaded.model.dispose();
  console.log(`${label}: ${Object.entries(results).map(([k, r]) => `${k} word accuracy ${(100 * (1 - r.wordErrorRate)).toFixed(1)}%, CER ${(100 * r.characterErrorRate).toFixed(1)}%`).join('; ')} (${seconds.toFixed(0)} s)`);
  return { label, seconds, results };
}

async function main(): Promise<void> {
  await initEngine();
  const steps = Number(flag('steps', '1000'));
  const out: unknown[] = [];
  const synthetic = flag('synthetic');
  const fsddPath = flag('fsdd', path.join(ROOT, '..', 'shared', 'data', 'fsdd'));
  if (synthetic) {
    const syn = loadSpeechDataset(synthetic);
    const real = loadSpeechDataset(`fsdd:${fsddPath}`);
    const bySpeaker = (s: string) => real.examples.filter((e) => e.speaker === s);
    // Synthetic alone: every real speaker is unseen.
    out.push(await trainAndScore('synthetic only', syn, { splitSeed: 0, heldOutFraction: 0.1, by: 'speaker' }, steps, Object.fromEntries(real.speakers.map((s) => [s, bySpeaker(s)]))));
    for (const speaker of real.speakers) {
      const both = makeSpeechDataset(`${syn.name},${real.name}`, 'experiment', [...syn.examples, ...real.examples]);
      out.push(await trainAndScore(`synthetic + real, ${speaker} held out`, both, { splitSeed: 0, heldOutFraction: 0.1, by: 'speaker', heldOutSpeakers: [speaker] }, steps, { [speaker]: bySpeaker(speaker) }));
    }
  }
  const words = flag('words');
  if (words) {
    const data = loadSpeechDataset(words);
    const split: SpeechSplitSpec = { splitSeed: 0, heldOutFraction: 0.15, by: 'speaker' };
    const sides = splitSpeech(data, split);
    out.push(await trainAndScore('WordNet words', data, split, Number(flag('word-steps', String(2 * steps))), { 'unseen voices': sides.heldOut, 'training voices': sides.train.slice(0, sides.heldOut.length) }));
  }
  mkdirSync(OUT, { recursive: true });
  writeFileSync(path.join(OUT, 'results.json'), JSON.stringify({ steps, runs: out }, null, 2));
  console.log(`wrote ${path.join(OUT, 'results.json')}`);
}

await main();
