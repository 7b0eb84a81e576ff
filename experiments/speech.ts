// npm run experiment:speech -- --synthetic DIR [--words DIR] [--fsdd PATH] [--steps N] [--word-steps N]
// [--real-weight K] [--only synthetic|loso|SPEAKER,...] [--channels A,B] [--hidden H] [--context-layers N] [--global-context on|off] [--weight-decay W]
// [--ema DECAY] [--voice-warp W] [--close-trims P] [--masks N] [--dropout R] [--standardise speaker|utterance] [--seed S] [--model FILE]: what the speech recogniser
// reaches, measured.
// - digits: leave-one-speaker-out over the real FSDD speakers: trained on synthetic digits (npm run speech:data)
//   plus the other real speakers, word accuracy on the held-out speaker; and trained on synthetic speech alone,
//   accuracy on every real speaker, to show what real data adds;
// - words (with --words): character and word error rate on synthetic voices never heard in training.
// Each is scored open vocabulary (greedy, any spelling; and beam search weighing spellings by a character
// language model of WordNet, which forbids none) and with a lexicon (beam search that writes
// only the digit words, or only the words of the dataset's vocabulary), the digits also with the lexicon and
// the warp that suits the voice (--adapt-voice); a speaker-standardised model both on a test speaker's
// recordings heard together and on each recording heard alone. --model FILE scores a saved model instead of
// training one: the nouns', or with --only SPEAKER that speaker's leave-one-out model (--model A,B,C: several
// heard together, as engram transcribe --with does).
// Writes runs/experiment-speech/results.json and each model it trained (runs/experiment-speech/LABEL.safetensors).
import { flag } from './flags.js';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initEngine } from '../src/engine/index.js';
import { loadSpeechDataset, makeSpeechDataset, normaliseTranscript, splitSpeech, standardisedOver, type SpeechDataset, type SpeechExample, type SpeechSplitSpec } from '../src/data/speech.js';
import { SPEECH_DEFAULTS, SPEECH_TRAIN_DEFAULTS, speechModelFromRecord, trainSpeechModel, type SpeechModelSettings, type TranscribeOptions } from '../src/tasks/speech.js';
import { transcribeTogether } from '../src/sample/ensemble.js';
import { wordnetLemmas } from '../src/data/wordnet.js';
import { errorRates } from '../src/audit/speechAudit.js';
import { languageModelFrom, makeLexicon } from '../src/sample/ctcBeam.js';
import { spokenCanaryAudit } from '../src/audit/spokenCanaries.js';
import { decodeModelFile, loadModelFile } from '../src/weights/modelFile.js';
import { MemoryStorage } from '../src/weights/storage.js';
import { ProgressBar } from '../src/cli/progress.js';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUT = path.join(ROOT, 'runs', 'experiment-speech');

function modelSettings(): SpeechModelSettings {
  const number = (name: string, fallback: number) => Number(flag(name, String(fallback)));
  return {
    ...SPEECH_DEFAULTS, channels: channels(flag('channels', SPEECH_DEFAULTS.channels.join(','))), hidden: number('hidden', SPEECH_DEFAULTS.hidden), contextLayers: number('context-layers', SPEECH_DEFAULTS.contextLayers), globalContext: flag('global-context', 'on') === 'on',
    voiceWarp: number('voice-warp', SPEECH_DEFAULTS.voiceWarp), closeTrims: number('close-trims', SPEECH_DEFAULTS.closeTrims), masks: number('masks', SPEECH_DEFAULTS.masks), dropout: number('dropout', SPEECH_DEFAULTS.dropout),
    standardiseOver: standardisation(flag('standardise', SPEECH_DEFAULTS.standardiseOver)),
  };
}

/** --channels A,B: the two downsampling blocks' channels. */
function channels(value: string): SpeechModelSettings['channels'] {
  const [a, b, ...rest] = value.split(',').map(Number);
  if (rest.length > 0 || !Number.isInteger(a) || !Number.isInteger(b) || a < 1 || b < 1) throw new Error(`--channels takes two whole numbers, got ${value}`);
  return [a, b];
}

/** --standardise: a misspelt value is refused rather than read as the default. */
function standardisation(value: string): SpeechModelSettings['standardiseOver'] {
  if (value !== 'speaker' && value !== 'utterance') throw new Error(`--standardise must be speaker or utterance, got ${value}`);
  return value;
}

/** How a test set is decoded: greedy, with a lexicon, or with a character language model (each by name). */
type Decodings = Record<string, Pick<TranscribeOptions, 'lexicon' | 'languageModel' | 'adaptVoice'>>;

async function trainAndScore(label: string, dataset: SpeechDataset, split: SpeechSplitSpec, steps: number, tests: Record<string, readonly SpeechExample[]>, decodings: Decodings) {
  const storage = new MemoryStorage();
  const bar = new ProgressBar(label, steps, 'step');
  const started = performance.now();
  const evals: string[] = [];
  await trainSpeechModel({ dataset, out: 'm', model: modelSettings(), train: { ...SPEECH_TRAIN_DEFAULTS, steps, seed: Number(flag('seed', String(SPEECH_TRAIN_DEFAULTS.seed))), keep: 'last', weightDecay: Number(flag('weight-decay', String(SPEECH_TRAIN_DEFAULTS.weightDecay))), emaDecay: Number(flag('ema', String(SPEECH_TRAIN_DEFAULTS.emaDecay))) }, split, storage, onStep: (r) => bar.update(r.step), onEval: (r) => evals.push(`${r.step}: ${r.trainLoss.toFixed(3)}/${r.heldOutLoss.toFixed(3)}`) });
  bar.finish();
  console.log(`  CTC loss per character, train/held-out, by step: ${evals.join(', ')}`);
  const seconds = (performance.now() - started) / 1000;
  console.log(`${label}: trained in ${seconds.toFixed(0)} s`);
  const weights = await storage.read('m');
  // Kept, so a result can be looked at again (engram transcribe, audit, inspect; --model here) without training again.
  const file = path.join(OUT, `${label.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '')}.safetensors`);
  mkdirSync(OUT, { recursive: true });
  writeFileSync(`${file}.tmp`, weights);
  renameSync(`${file}.tmp`, file);
  return { ...score(label, [weights], dataset, tests, decodings), seconds, bytes: weights.length };
}

const ALONE = ' (each recording alone)';

/** Each test set's error rates under each decoding, and the spoken canaries, of one saved model (or several heard together). */
function score(label: string, files: readonly Uint8Array[], dataset: SpeechDataset, tests: Record<string, readonly SpeechExample[]>, decodings: Decodings) {
  const [loaded, ...together] = files.map((weights) => speechModelFromRecord(decodeModelFile(weights, label), label));
  const models = [loaded, ...together].map((m) => m.model);
  const results: Record<string, ReturnType<typeof errorRates> & { audioSecondsPerSecond: number }> = {};
  // Features as the model reads them: standardised over each test speaker's utterances, or each alone; a
  // speaker-standardised model is also scored on each recording heard alone (one file given to engram transcribe).
  const bySpeaker = loaded.model.config.standardiseOver === 'speaker';
  const sets = Object.entries(tests).flatMap(([name, examples]): [string, readonly SpeechExample[]][] => [
    [name, standardisedOver(makeSpeechDataset(name, '', examples), loaded.model.config.standardiseOver).examples],
    ...(bySpeaker ? [[`${name}${ALONE}`, examples] as [string, readonly SpeechExample[]]] : []),
  ]);
  for (const [name, xs] of sets) {
    for (const [decoding, options] of Object.entries(decodings)) {
      const t0 = performance.now();
      const o = { temperature: 0, seed: 0, ...options };
      // A recording heard alone is a voice of its own, adapted to by itself.
      const heard = transcribeTogether(models, o.adaptVoice && name.endsWith(ALONE) ? xs.map((x) => [x]) : [xs], o);
      const audioSeconds = xs.reduce((s, e) => s + e.samples.length / 16000, 0);
      results[`${name}, ${decoding}`] = { ...errorRates(xs.map((e) => e.text), heard, xs.map((e) => e.speaker)), audioSecondsPerSecond: audioSeconds / ((performance.now() - t0) / 1000) };
      const wrong = xs.map((e, i) => [e.text, heard[i]]).filter(([said, written]) => said !== written).slice(0, 6);
      console.log(`  ${name}, ${decoding}, heard wrong (said -> written): ${wrong.map(([a, b]) => `${a} -> ${b}`).join(', ')}`);
    }
  }
  const canaries = dataset.canaries.length > 0 ? spokenCanaryAudit(loaded.model, dataset.canaries, { candidates: 200, seed: 0 }) : undefined;
  for (const model of models) model.dispose();
  if (canaries) {
    const groups = canaries.byRepeats.map((g) => `${g.repeats}x loss ${g.meanLossClean.toFixed(3)}/${g.meanLossNoisy.toFixed(3)} p ${g.cleanLossP.toPrecision(2)}/${g.noisyLossP.toPrecision(2)} exposure ${g.meanExposureClean.toFixed(1)}/${g.meanExposureNoisy.toFixed(1)} noisy-heard ${Math.round(g.noisyHeardAsSecret.estimate * g.count)}/${g.count} half-heard ${Math.round(g.truncatedHeardAsSecret.estimate * g.count)}/${g.count}`);
    console.log(`  canaries (clean/noisy): ${groups.join('; ')}; flagged: ${canaries.separated.join(',') || 'none'}`);
  }
  console.log(`${label} (${files.map((f) => f.length).join(' + ')} bytes):\n${Object.entries(results).map(([k, r]) => `  ${k}: words right ${(100 * (1 - r.wordErrorRate)).toFixed(1)}%, exactly right ${(100 * r.exact.estimate).toFixed(1)}% (${(100 * r.exact.low).toFixed(1)}-${(100 * r.exact.high).toFixed(1)}%), CER ${(100 * r.characterErrorRate).toFixed(1)}% (${(100 * r.characterErrors.low).toFixed(1)}-${(100 * r.characterErrors.high).toFixed(1)}% over voices), ${r.audioSecondsPerSecond.toFixed(0)} s of audio/s`).join('\n')}`);
  return { label, results, canaries: canaries && { byRepeats: canaries.byRepeats, separated: canaries.separated, alpha: canaries.alpha } };
}

async function main(): Promise<void> {
  await initEngine();
  const steps = Number(flag('steps', '1000'));
  const out: unknown[] = [];
  const synthetic = flag('synthetic');
  const fsddPath = flag('fsdd', path.join(ROOT, '..', 'shared', 'data', 'fsdd'));
  // Open vocabulary twice: greedy, and beam search weighing spellings by a character language model of
  // WordNet's words and phrases (which forbids none).
  const lemmas = wordnetLemmas();
  const wordnetSpelling = languageModelFrom(lemmas, 'wordnet');
  if (synthetic) {
    const syn = loadSpeechDataset(synthetic);
    const real = loadSpeechDataset(`fsdd:${fsddPath}`);
    const bySpeaker = (s: string) => real.examples.filter((e) => e.speaker === s);
    const digitWords = makeLexicon(['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine']);
    const digits: Decodings = { greedy: {}, lexicon: { lexicon: digitWords }, 'WordNet language model': { languageModel: wordnetSpelling }, 'lexicon, voice adapted': { lexicon: digitWords, adaptVoice: true } };
    const only = flag('only', 'all');
    // Synthetic alone: every real speaker is unseen.
    if (only === 'all' || only === 'synthetic') out.push(await trainAndScore('synthetic only', syn, { splitSeed: 0, heldOutFraction: 0.1, by: 'speaker' }, steps, Object.fromEntries(real.speakers.map((s) => [s, bySpeaker(s)])), digits));
    for (const speaker of only === 'all' || only === 'loso' ? real.speakers : only.split(',').filter((s) => real.speakers.includes(s))) {
      // --real-weight K: each real recording K times, so three real voices are not drowned by thousands of synthetic ones.
      const realWeight = Number(flag('real-weight', '1'));
      const both = makeSpeechDataset(`${syn.name},${real.name}`, `real-weight=${realWeight}`, [...syn.examples, ...Array.from({ length: realWeight }, () => real.examples).flat()], syn.canaries);
      const label = `synthetic + real, ${speaker} held out`;
      // --model FILE (with --only SPEAKER): score that speaker's model trained before instead of training one;
      // --model A,B,C: several such models heard together (engram transcribe --with).
      const saved = flag('model');
      out.push(saved ? score(label, saved.split(',').map((f) => readFileSync(f)), both, { [speaker]: bySpeaker(speaker) }, digits) : await trainAndScore(label, both, { splitSeed: 0, heldOutFraction: 0.1, by: 'speaker', heldOutSpeakers: [speaker] }, steps, { [speaker]: bySpeaker(speaker) }, digits));
    }
  }
  const words = flag('words');
  if (words) {
    const data = loadSpeechDataset(words);
    const split: SpeechSplitSpec = { splitSeed: 0, heldOutFraction: 0.15, by: 'speaker' };
    const sides = splitSpeech(data, split);
    const vocabulary = new Set(data.examples.map((e) => e.text));
    const decodings: Decodings = {
      greedy: {}, lexicon: { lexicon: makeLexicon(data.examples.flatMap((e) => e.text.split(' '))) }, 'WordNet language model': { languageModel: wordnetSpelling },
      // The same without any of the data's words or phrases: what a spelling model does for words it never read.
      'WordNet language model without these words': { languageModel: languageModelFrom(lemmas.filter((w) => !vocabulary.has(normaliseTranscript(w))), 'wordnet') },
    };
    const tests = { 'unseen voices': sides.heldOut, 'training voices': sides.train.slice(0, sides.heldOut.length) };
    // --model FILE: score a model trained before (by this experiment) instead of training one.
    const model = flag('model');
    out.push(model ? score('WordNet words', [readFileSync(model)], data, tests, decodings) : await trainAndScore('WordNet words', data, split, Number(flag('word-steps', String(2 * steps))), tests, decodings));
  }
  mkdirSync(OUT, { recursive: true });
  writeFileSync(path.join(OUT, 'results.json'), JSON.stringify({ steps, runs: out }, null, 2));
  console.log(`wrote ${path.join(OUT, 'results.json')}`);
}

await main();
