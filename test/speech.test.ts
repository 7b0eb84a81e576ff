// Speech: CTC's loss and gradient against a brute-force sum over every alignment and finite differences; WAV
// files round-trip and resample without changing pitch; log-mel puts a tone in its mel band; and, with
// Debian's espeak-ng (installed by .ci/run; skipped without it), a tiny recogniser trains, transcribes and is
// audited through the CLI: its spoken canaries planted 16 times must be flagged, and canaries it never
// trained on must not be.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ops, Rng, valueAndGrads, variableOf, zeros } from '../src/engine/index.js';
import { ctcExample } from '../src/engine/ops/ctc.js';
import { collapsePath, CTC_CHARACTERS, CTC_VOCAB_SIZE, encodeTranscript } from '../src/codecs/ctcAlphabet.js';
import { beamSearchCandidates, beamSearchFrames, fusedScore, languageModelFrom, makeLexicon } from '../src/sample/ctcBeam.js';
import { transcribeTogether } from '../src/sample/ensemble.js';
import { END, trainCharNgram } from '../src/models/charNgram.js';
import { decodeFrames } from '../src/sample/ctcDecode.js';
import { decodeWav, encodeWav, resample } from '../src/data/audio.js';
import { logMel, MEL_BINS, standardise, warpedMelPositions, warpFeatures } from '../src/codecs/logMel.js';
import { chooseVoiceWarp, VOICE_WARPS, warpVoice } from '../src/sample/voiceWarp.js';
import { editDistance, errorRates, trainingAdvantage } from '../src/audit/speechAudit.js';
import { rankSumPValue } from '../src/audit/stats.js';
import { spokenCanaryAudit } from '../src/audit/spokenCanaries.js';
import { CANARY_SPEAKER, loadSpeechDataset, makeSpeechDataset, speechExample, splitSpeech, standardisedOver, UNKNOWN_SPEAKER } from '../src/data/speech.js';
import { speechModelFromRecord, transcribeFeatures } from '../src/tasks/speech.js';
import { SpeechBatches, speechItem, stackUtterances, standardisedInPool, trimmedClose } from '../src/train/speechBatches.js';
import { SpeechModel, SPEECH_DEFAULTS, TIME_REDUCTION } from '../src/models/speech.js';
import { loadModelFile } from '../src/weights/modelFile.js';
import { FileStorage } from '../src/weights/storage.js';
import { ready } from './helpers.js';
import { scratchDir } from './scratch.js';

await ready;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function logSoftmaxRows(logits: number[], T: number, V: number): Float64Array {
  const out = new Float64Array(T * V);
  for (let t = 0; t < T; t++) {
    const row = logits.slice(t * V, (t + 1) * V);
    const max = Math.max(...row);
    const z = max + Math.log(row.reduce((a, x) => a + Math.exp(x - max), 0));
    row.forEach((x, v) => (out[t * V + v] = x - z));
  }
  return out;
}

/** -log of the summed probability of every path (V^T of them) that collapses to the labels. */
function bruteForce(logProbs: Float64Array, T: number, V: number, labels: number[]): number {
  const target = labels.map((l) => " 'abcdefghijklmnopqrstuvwxyz"[l - 1]).join('');
  let total = 0;
  for (let code = 0; code < V ** T; code++) {
    const path = Array.from({ length: T }, (_, t) => Math.floor(code / V ** t) % V);
    if (collapsePath(path) !== target) continue;
    total += Math.exp(path.reduce((s, v, t) => s + logProbs[t * V + v], 0));
  }
  return -Math.log(total);
}

test('CTC loss equals the brute-force sum over alignments, and its gradient matches finite differences', () => {
  const rng = new Rng(3);
  for (const [T, V, labels] of [[4, 3, [1, 2]], [5, 3, [1, 1]], [6, 4, [3, 1, 3]], [3, 3, [2]], [4, 4, []]] as [number, number, number[]][]) {
    const logits = Array.from({ length: T * V }, () => rng.normal());
    const lp = logSoftmaxRows(logits, T, V);
    const { loss, grad } = ctcExample(lp, T, V, labels, 0, true);
    assert.ok(Math.abs(loss - bruteForce(lp, T, V, labels)) < 1e-9, `T=${T} labels ${labels}: ${loss} vs ${bruteForce(lp, T, V, labels)}`);
    for (let i = 0; i < T * V; i++) {
      const bumped = (d: number) => ctcExample(logSoftmaxRows(logits.map((x, j) => (j === i ? x + d : x)), T, V), T, V, labels, 0, false).loss;
      const numeric = (bumped(1e-5) - bumped(-1e-5)) / 2e-5;
      assert.ok(Math.abs(numeric - grad![i]) < 1e-5, `d/dlogit ${i}: ${grad![i]} vs ${numeric}`);
    }
  }
  // Too few frames for the labels: no alignment, infinite loss (the batch op counts it as unfit, loss 0).
  assert.equal(ctcExample(logSoftmaxRows([0, 0, 0, 0, 0, 0], 2, 3), 2, 3, [1, 1], 0, false).loss, Infinity);
});

test('CTC prefix beam search finds the most probable transcript over all paths, where greedy decoding does not', () => {
  const V = CTC_VOCAB_SIZE;
  // Two frames, each blank 0.4, "a" 0.35, "b" 0.25: the likeliest path is blank-blank (""), but "a" collects
  // a-a, a-blank and blank-a (0.4025 against 0.16).
  const frame = Array.from({ length: V }, (_, v) => Math.log(v === 0 ? 0.4 : v === 3 ? 0.35 : v === 4 ? 0.25 : 1e-9));
  const two = Float32Array.from([...frame, ...frame]);
  assert.equal(decodeFrames(two, 2, V, 0, 0, new Rng(0)), '');
  assert.equal(beamSearchFrames(two, 2, V, 0, { width: 8 }), 'a');
  // One beam keeps only the likeliest prefix (""), never the word "ab"; the search widens rather than write nothing.
  assert.equal(beamSearchFrames(two, 2, V, 0, { width: 1, lexicon: makeLexicon(['ab']) }), 'ab');
  // Random frames: an unpruned beam equals the brute-force argmax over every path's collapse.
  for (let seed = 0; seed < 3; seed++) {
    const rng = new Rng(seed);
    const logits = Float32Array.from({ length: 3 * V }, () => 3 * rng.normal());
    const probability = new Map<string, number>();
    const logProbs = Array.from({ length: 3 }, (_, t) => {
      const row = [...logits.subarray(t * V, (t + 1) * V)];
      const norm = Math.log(row.reduce((a, x) => a + Math.exp(x), 0));
      return row.map((x) => x - norm);
    });
    for (let a = 0; a < V; a++) for (let b = 0; b < V; b++) for (let c = 0; c < V; c++) {
      const text = collapsePath([a, b, c]);
      probability.set(text, (probability.get(text) ?? 0) + Math.exp(logProbs[0][a] + logProbs[1][b] + logProbs[2][c]));
    }
    const best = [...probability].reduce((x, y) => (y[1] > x[1] ? y : x))[0];
    assert.equal(beamSearchFrames(logits, 3, V, 0, { width: 30_000 }), best, `seed ${seed}`);
    // With a lexicon: the most probable transcript among those that spell lexicon words.
    const lexicon = makeLexicon(['a', 'ba', 'c']);
    const spelled = (text: string) => text.split(' ').every((w) => lexicon.words.has(w));
    const bestWords = [...probability].filter(([text]) => spelled(text)).reduce((x, y) => (y[1] > x[1] ? y : x))[0];
    assert.equal(beamSearchFrames(logits, 3, V, 0, { width: 30_000, lexicon }), bestWords, `seed ${seed} with a lexicon`);
  }
});

test('a character language model: Kneser-Ney probabilities sum to one, favour spellings it counted, forbid none', () => {
  const alphabet = CTC_CHARACTERS;
  const lm = trainCharNgram(['three', 'tree', 'three', 'free', 'thread'], 4, alphabet);
  for (const context of ['', 'th', 'thre', 'zzq', "it's a"]) {
    const sum = [...alphabet, END].reduce((a, ch) => a + Math.exp(lm.logProb(context, ch)), 0);
    assert.ok(Math.abs(sum - 1) < 1e-9, `P(. | "${context}") sums to ${sum}`);
  }
  assert.ok(lm.logProb('thre', 'e') > lm.logProb('thre', 'x') + 2, '"three" was counted; "threx" was not');
  assert.ok(lm.logProb('three', END) > lm.logProb('thr', END));
  assert.ok(Number.isFinite(lm.logProb('qqq', 'z')), 'an unseen spelling is unlikely, not impossible');
  assert.throws(() => trainCharNgram(['ÆØÅ'], 3, alphabet), /at least one text/);
});

test('beam search with a language model finds the best fused score over all transcripts', () => {
  const V = CTC_VOCAB_SIZE;
  const model = trainCharNgram(['ab', 'ba', 'abc', 'c'], 3, CTC_CHARACTERS);
  const languageModel = { model, weight: 0.8, bonus: 0.5 };
  const textScore = (text: string) => [...text].reduce((a, ch, i) => a + languageModel.weight * model.logProb(text.slice(0, i), ch) + languageModel.bonus, 0) +
    languageModel.weight * model.logProb(text, END);
  for (let seed = 0; seed < 3; seed++) {
    const rng = new Rng(10 + seed);
    const logits = Float32Array.from({ length: 3 * V }, () => 3 * rng.normal());
    const logProbs = Array.from({ length: 3 }, (_, t) => {
      const row = [...logits.subarray(t * V, (t + 1) * V)];
      const norm = Math.log(row.reduce((a, x) => a + Math.exp(x), 0));
      return row.map((x) => x - norm);
    });
    const probability = new Map<string, number>();
    for (let a = 0; a < V; a++) for (let b = 0; b < V; b++) for (let c = 0; c < V; c++) {
      const text = collapsePath([a, b, c]);
      probability.set(text, (probability.get(text) ?? 0) + Math.exp(logProbs[0][a] + logProbs[1][b] + logProbs[2][c]));
    }
    // The score the ensemble rescores with (fusedScore) is the one the search adds up letter by letter.
    for (const text of probability.keys()) assert.ok(Math.abs(fusedScore(languageModel, text) - textScore(text)) < 1e-9, text);
    const fused = [...probability].map(([text, p]) => [text, Math.log(p) + textScore(text)] as const);
    const best = fused.reduce((x, y) => (y[1] > x[1] ? y : x))[0];
    assert.equal(beamSearchFrames(logits, 3, V, 0, { width: 30_000, languageModel }), best, `seed ${seed}`);
  }
});

test('a narrow beam keeps the same beams as the plain algorithm: skipping transcripts below the floor changes nothing', () => {
  // The plain prefix beam search, every candidate built and ranked (a stable sort, as the engine's), as the oracle.
  const V = CTC_VOCAB_SIZE;
  const logAdd = (a: number, b: number) => (a === -Infinity ? b : b === -Infinity ? a : Math.max(a, b) + Math.log1p(Math.exp(-Math.abs(a - b))));
  const letters = (labels: number[]) => labels.map((v) => CTC_CHARACTERS[v - 1]).join('');
  type Plain = { labels: number[]; blank: number; letter: number; fused: number };
  const plain = (logits: Float32Array, frames: number, width: number, lm?: { model: ReturnType<typeof trainCharNgram>; weight: number; bonus: number }) => {
    const logProbs = ops.logProbabilities(logits, frames, V, 0);
    let beams: Plain[] = [{ labels: [], blank: 0, letter: -Infinity, fused: 0 }];
    for (let t = 0; t < frames; t++) {
      const next = new Map<string, Plain>();
      const at = (labels: number[], fused: number) => next.get(labels.join(',')) ?? next.set(labels.join(','), { labels, blank: -Infinity, letter: -Infinity, fused }).get(labels.join(','))!;
      for (const b of beams) {
        const all = logAdd(b.blank, b.letter);
        const stay = at(b.labels, b.fused);
        stay.blank = logAdd(stay.blank, all + logProbs[t * V]);
        for (let v = 1; v < V; v++) {
          const fused = lm ? b.fused + lm.weight * lm.model.logProb(letters(b.labels), CTC_CHARACTERS[v - 1]) + lm.bonus : 0;
          if (v === b.labels.at(-1)) stay.letter = logAdd(stay.letter, b.letter + logProbs[t * V + v]);
          const grown = at([...b.labels, v], fused);
          grown.letter = logAdd(grown.letter, (v === b.labels.at(-1) ? b.blank : all) + logProbs[t * V + v]);
        }
      }
      beams = [...next.values()].sort((x, y) => logAdd(y.blank, y.letter) + y.fused - logAdd(x.blank, x.letter) - x.fused).slice(0, width);
    }
    const final = (b: Plain) => logAdd(b.blank, b.letter) + b.fused + (lm ? lm.weight * lm.model.logProb(letters(b.labels), END) : 0);
    return letters(beams.reduce((a, b) => (final(b) > final(a) ? b : a)).labels);
  };
  const languageModel = { model: trainCharNgram(['one', 'two', 'three', 'tree', 'four'], 4, CTC_CHARACTERS), weight: 1, bonus: 2 };
  for (let seed = 0; seed < 20; seed++) {
    const rng = new Rng(100 + seed);
    // Peaked frames (as a trained model's are), so most letters fall below the floor.
    const logits = Float32Array.from({ length: 12 * V }, (_, i) => (i % V === (seed * 7 + Math.floor(i / V) * 3) % V ? 8 : 0) + 2 * rng.normal());
    for (const width of [1, 3, 8]) {
      assert.equal(beamSearchFrames(logits, 12, V, 0, { width }), plain(logits, 12, width), `seed ${seed}, width ${width}`);
      assert.equal(beamSearchFrames(logits, 12, V, 0, { width, languageModel }), plain(logits, 12, width, languageModel), `seed ${seed}, width ${width}, language model`);
    }
  }
});

test('the CTC op hands its gradient to the logits through the tape', () => {
  const logits = variableOf(Float32Array.from({ length: 2 * 4 * 3 }, (_, i) => Math.sin(i)), [8, 3]);
  const { value, grads } = valueAndGrads(() => ops.mean(ops.ctcLoss(logits, 2, 4, [4, 3], [Int32Array.from([1, 2]), Int32Array.from([2])])), [logits], (shape) => zeros(shape));
  assert.ok(Number.isFinite(value));
  const g = grads[0].toArray();
  assert.deepEqual(Array.from(g.subarray(7 * 3, 8 * 3)), [0, 0, 0], 'padding frames get no gradient');
  for (let t = 0; t < 7; t++) assert.ok(Math.abs(g[t * 3] + g[t * 3 + 1] + g[t * 3 + 2]) < 1e-6, 'softmax minus occupancy sums to zero per frame');
});

test('every weight of a new speech recogniser gets a gradient', () => {
  // A residual branch ending in a ReLU that starts at zero never leaves it: this once left the temporal layers unused.
  const model = SpeechModel.init({ ...SPEECH_DEFAULTS, channels: [4, 8], hidden: 16, vocabSize: CTC_VOCAB_SIZE }, 1);
  const rng = new Rng(3);
  const time = 24;
  const features = Float32Array.from({ length: 2 * time * MEL_BINS }, () => rng.normal());
  features.fill(0, (time + 16) * MEL_BINS); // the second utterance is 16 frames of speech and 8 of padding
  const batch = { batchSize: 2, time, features, outputFrames: Int32Array.from([6, 4]), labels: [Int32Array.from([1, 2, 3]), Int32Array.from([4, 5])] };
  const names = [...model.params.keys()];
  const { grads } = valueAndGrads(() => model.loss(batch, { training: true, seed: 0 }), [...model.params.values()], zeros);
  grads.forEach((g, i) => {
    assert.ok(g.toArray().some((x) => x !== 0), `${names[i]} gets no gradient`);
    g.dispose();
  });
  model.dispose();
});

test('a recording is heard the same alone or batched with longer ones: padding never reaches its frames', () => {
  const model = SpeechModel.init({ ...SPEECH_DEFAULTS, channels: [4, 8], hidden: 16, vocabSize: CTC_VOCAB_SIZE }, 2);
  const rng = new Rng(4);
  const utterance = (frames: number) => ({ frames, features: Float32Array.from({ length: frames * MEL_BINS }, () => rng.normal()), labels: new Int32Array() });
  const short = utterance(21); // 6 output frames, the last of them part padding even alone
  const logitsOf = (items: ReturnType<typeof utterance>[]) => {
    const batch = stackUtterances(items);
    const logits = model.logits(batch.features, batch.batchSize, batch.time, batch.outputFrames);
    const values = logits.toArray();
    logits.dispose();
    return values.slice(0, batch.outputFrames[0] * CTC_VOCAB_SIZE);
  };
  const alone = logitsOf([short]);
  const batched = logitsOf([short, utterance(57), utterance(40)]);
  assert.equal(batched.length, 6 * CTC_VOCAB_SIZE);
  const worst = Math.max(...alone.map((v, i) => Math.abs(v - batched[i])));
  assert.ok(worst < 1e-5, `the short recording's logits move by ${worst} when batched`);
  model.dispose();
});

test('models heard together: each recording gets the proposed transcript most probable summed over the models', () => {
  const config = { ...SPEECH_DEFAULTS, channels: [4, 8] as [number, number], hidden: 16, vocabSize: CTC_VOCAB_SIZE };
  const models = [SpeechModel.init(config, 1), SpeechModel.init(config, 2), SpeechModel.init(config, 3)];
  const rng = new Rng(6);
  const voice = [33, 48, 40, 61, 52, 36].map((frames) => ({ frames, features: Float32Array.from({ length: frames * MEL_BINS }, () => rng.normal()) }));
  const lexicon = makeLexicon(['one', 'two', 'six', 'nine', 'ten']);
  const o = { temperature: 0, seed: 0, lexicon };
  // The log-probability of a transcript under a model, by the training loss on a batch of that one recording.
  const logProbability = (model: SpeechModel, u: (typeof voice)[number], text: string) => {
    const batch = stackUtterances([{ ...u, labels: encodeTranscript(text) }]);
    const logits = model.logits(batch.features, 1, batch.time, batch.outputFrames);
    const loss = ops.ctcLoss(logits, 1, batch.time / TIME_REDUCTION, batch.outputFrames, batch.labels);
    const value = -loss.toArray()[0];
    logits.dispose();
    loss.dispose();
    return value;
  };
  const alone = models.map((m) => transcribeTogether([m], [voice], o));
  const together = transcribeTogether(models, [voice], o);
  voice.forEach((u, i) => {
    const candidates = new Set(models.flatMap((m) => beamSearchCandidates(...logitsOf(m, u), { width: 16, lexicon })));
    const summed = (text: string) => models.reduce((s, m) => s + logProbability(m, u, text), 0);
    const best = [...candidates].reduce((a, b) => (summed(b) > summed(a) ? b : a));
    assert.equal(together[i], best);
    for (const own of alone) assert.ok(summed(together[i]) >= summed(own[i]) - 1e-6);
  });
  assert.ok(alone.some((own) => own.some((text, i) => text !== together[i])), 'the models disagree somewhere, or this proves nothing');
  assert.throws(() => transcribeTogether(models, [voice], { ...o, lexicon: undefined, temperature: 0.5 }), /do not sample/);
  // One model, each recording a voice of its own, sampled: each voice draws from a seed of its own.
  const [first, second] = transcribeTogether([models[0]], [[voice[3]], [voice[3]]], { temperature: 1, seed: 3, adaptVoice: true });
  assert.notEqual(first, second, 'the same recording twice, sampled as two voices, is written two ways');
  assert.equal(first, transcribeTogether([models[0]], [[voice[3]]], { temperature: 1, seed: 3, adaptVoice: true })[0]);
  for (const m of models) m.dispose();
});

/** One recording's logits as beamSearchCandidates reads them: values, frames, V, offset. */
function logitsOf(model: SpeechModel, u: { frames: number; features: Float32Array }): [Float32Array, number, number, number] {
  const batch = stackUtterances([{ ...u, labels: new Int32Array() }]);
  const logits = model.logits(batch.features, 1, batch.time, batch.outputFrames);
  const values = Float32Array.from(logits.toArray());
  logits.dispose();
  return [values, batch.outputFrames[0], CTC_VOCAB_SIZE, 0];
}

test('dropout: training mode drops by its seed, evaluation mode is the model without dropout', () => {
  const config = { ...SPEECH_DEFAULTS, channels: [4, 8] as const, hidden: 16, vocabSize: CTC_VOCAB_SIZE };
  const rng = new Rng(5);
  const time = 16;
  const batch = { batchSize: 1, time, features: Float32Array.from({ length: time * MEL_BINS }, () => rng.normal()), outputFrames: Int32Array.from([4]), labels: [Int32Array.from([1, 2])] };
  const withDropout = SpeechModel.init({ ...config, dropout: 0.5 }, 1);
  const without = new SpeechModel({ ...config, dropout: 0 }, withDropout.params);
  const loss = (m: SpeechModel, training: boolean, seed: number) => m.loss(batch, { training, seed }).toArray()[0];
  assert.equal(loss(withDropout, true, 1), loss(withDropout, true, 1), 'same seed, same masks');
  assert.notEqual(loss(withDropout, true, 1), loss(withDropout, true, 2));
  assert.notEqual(loss(withDropout, true, 1), loss(without, true, 1));
  assert.equal(loss(withDropout, false, 1), loss(without, false, 1));
  withDropout.dispose();
});

test('a speech model file from before speaker standardisation reads features standardised over each utterance', () => {
  const { standardiseOver: _, ...older } = { ...SPEECH_DEFAULTS, channels: [4, 8] as [number, number], hidden: 16, vocabSize: CTC_VOCAB_SIZE };
  const model = SpeechModel.init({ ...older, standardiseOver: 'speaker', vocabSize: CTC_VOCAB_SIZE }, 1);
  const params = new Map([...model.params].map(([name, p]) => [name, { shape: [...p.shape], data: Float32Array.from(p.toArray()) }]));
  const record = { kind: 'speech-ctc', task: 'speech-to-text', modelConfig: older, trainConfig: {} as never, vocabulary: {}, provenance: {} as never, params };
  const loaded = speechModelFromRecord(record, 'old.safetensors');
  assert.equal(loaded.model.config.standardiseOver, 'utterance');
  const newer = speechModelFromRecord({ ...record, modelConfig: { ...older, standardiseOver: 'speaker' } }, 'new.safetensors');
  assert.equal(newer.model.config.standardiseOver, 'speaker');
  newer.model.dispose();
  loaded.model.dispose();
  model.dispose();
});

test('features standardised over a speaker: pooled over its utterances; canaries and unnamed recordings alone', () => {
  const tone = (hz: number, seconds: number) => encodeWav({ sampleRate: 16000, samples: Float32Array.from({ length: 16000 * seconds }, (_, i) => 0.5 * Math.sin((2 * Math.PI * hz * i) / 16000) + 0.01 * Math.sin(i * i)) });
  const examples = [
    speechExample('a', 'ann', 'a.wav', tone(300, 0.5)), speechExample('b', 'ann', 'b.wav', tone(1200, 0.5)), speechExample('c', 'ann', 'c.wav', tone(2500, 0.3)),
    speechExample('d', CANARY_SPEAKER, 'd.wav', tone(700, 0.4)), speechExample('e', UNKNOWN_SPEAKER, 'e.wav', tone(900, 0.4)), speechExample('f', UNKNOWN_SPEAKER, 'f.wav', tone(1900, 0.4)),
  ];
  const dataset = makeSpeechDataset('tones', '1', examples);
  assert.equal(standardisedOver(dataset, 'utterance'), dataset);
  const bySpeaker = standardisedOver(dataset, 'speaker');
  assert.equal(bySpeaker.fingerprint, dataset.fingerprint);
  const ann = bySpeaker.examples.slice(0, 3);
  const frames = ann.reduce((n, e) => n + e.frames, 0);
  for (let m = 0; m < MEL_BINS; m++) {
    const values = ann.flatMap((e) => Array.from({ length: e.frames }, (_, f) => e.features[f * MEL_BINS + m]));
    const mean = values.reduce((a, b) => a + b, 0) / frames;
    assert.ok(Math.abs(mean) < 1e-4, `filter ${m}: mean ${mean} over the speaker`);
    assert.ok(Math.abs(values.reduce((a, v) => a + (v - mean) ** 2, 0) / frames - 1) < 1e-3);
  }
  // Each utterance keeps what sets it apart from the others: its own mean is not zero where its tone is.
  assert.ok(ann.some((e, i) => e.features.some((v, j) => Math.abs(v - examples[i].features[j]) > 0.5)));
  for (let i = 3; i < 6; i++) assert.deepEqual(bySpeaker.examples[i].features, examples[i].features, `${examples[i].speaker} is a voice of its own`);
  // Training standardises each utterance over a random group of its speaker's: the same for a seed and step,
  // between alone and the whole speaker otherwise; a voice of one recording is always standardised alone.
  const items = bySpeaker.examples.map(speechItem);
  const pooled = new SpeechBatches(items, items, 64, { speakerPools: true });
  assert.deepEqual(pooled.trainBatch(3, 1), pooled.trainBatch(3, 1));
  const rng = new Rng(7);
  const draws = Array.from({ length: 100 }, () => standardisedInPool(items[0], items.slice(0, 3), rng).features);
  assert.ok(draws.some((f) => f.every((v, j) => v === examples[0].features[j])), 'sometimes alone');
  assert.ok(draws.some((f) => f.some((v, j) => Math.abs(v - examples[0].features[j]) > 0.1)), 'sometimes with others of its voice');
  for (let i = 0; i < 20; i++) assert.deepEqual(standardisedInPool(items[3], [items[3]], rng).features, examples[3].features, 'a voice of one recording');
});

test('trimmed close: the start quieter than the floor goes, the rest is standardised again, too short stays whole', () => {
  // 0.1 s at -30 dB, 0.3 s loud, 0.1 s at -20 dB (all kept by the 40 dB trim every recording gets).
  const level = (i: number) => (i < 1600 ? 10 ** (-30 / 20) : i < 6400 ? 1 : 10 ** (-20 / 20));
  const wav = encodeWav({ sampleRate: 16000, samples: Float32Array.from({ length: 8000 }, (_, i) => 0.5 * level(i) * Math.sin((2 * Math.PI * 500 * i) / 16000)) });
  const item = speechItem(speechExample('ab', 'ann', 'a.wav', wav));
  const head = trimmedClose(item, 25);
  assert.equal(trimmedClose(item, 35), item, 'nothing under a 35 dB floor: unchanged');
  assert.ok(item.frames - head.frames >= 8 && item.frames - head.frames <= 12, `the quiet 0.1 s start is cut: ${item.frames} -> ${head.frames} frames`);
  const closer = trimmedClose(item, 15);
  assert.ok(Math.abs(closer.frames - head.frames) <= 1, `at 15 dB the -20 dB end stays, only the start goes: ${closer.frames} frames`);
  assert.deepEqual(closer.energies, item.energies.subarray((item.frames - closer.frames) * MEL_BINS), 'the recording from a frame on');
  // What is left is the recording's own frames from the first loud one on, standardised over themselves.
  const first = item.frames - head.frames;
  assert.deepEqual(head.energies, item.energies.subarray(first * MEL_BINS, (first + head.frames) * MEL_BINS));
  assert.deepEqual(head.features, standardise([head])[0]);
  const long = { ...item, labels: new Int32Array(item.frames / TIME_REDUCTION - 1).fill(1) };
  assert.equal(trimmedClose(long, 15), long, 'too short for its transcript once trimmed: kept whole');
  // In training (where tempo changes move lengths too): shorter on average with close trims, the same batch for a seed.
  const meanFrames = (closeTrims: number) => {
    const batches = new SpeechBatches([item], [item], 8, { closeTrims });
    const frames = Array.from({ length: 20 }, (_, step) => [...batches.trainBatch(step, 5).outputFrames]).flat();
    return frames.reduce((a, b) => a + b, 0) / frames.length;
  };
  assert.ok(meanFrames(1) < 0.95 * meanFrames(0), `${meanFrames(1)} against ${meanFrames(0)} output frames`);
  const trimming = new SpeechBatches([item], [item], 8, { closeTrims: 0.5 });
  assert.deepEqual(trimming.trainBatch(2, 5), trimming.trainBatch(2, 5));
});

test('WAV round trip, stereo and 8-bit decoding, and resampling keep the pitch', () => {
  const tone = Float32Array.from({ length: 8000 }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / 8000));
  const back = decodeWav(encodeWav({ sampleRate: 8000, samples: tone }));
  assert.equal(back.sampleRate, 8000);
  assert.ok(back.samples.every((s, i) => Math.abs(s - tone[i]) < 1e-4));
  const up = resample(back, 16000);
  assert.equal(up.samples.length, 16000);
  const crossings = (xs: Float32Array) => xs.reduce((n, x, i) => n + (i > 0 && xs[i - 1] < 0 && x >= 0 ? 1 : 0), 0);
  assert.ok(Math.abs(crossings(up.samples) - 440) <= 2, `440 Hz stays 440 Hz: ${crossings(up.samples)} rising crossings in a second`);
  // 8-bit stereo: channels averaged.
  const wav = encodeWav({ sampleRate: 8000, samples: new Float32Array(4) });
  const stereo = new Uint8Array(44 + 4);
  stereo.set(wav.subarray(0, 44));
  const view = new DataView(stereo.buffer);
  view.setUint16(22, 2, true); view.setUint16(34, 8, true); view.setUint32(40, 4, true); view.setUint16(32, 2, true);
  stereo.set([255, 1, 128, 128], 44);
  assert.deepEqual(Array.from(decodeWav(stereo).samples).map((x) => Math.round(x * 100) / 100), [0, 0]);
  assert.throws(() => decodeWav(new TextEncoder().encode('not a wav file at all')), /not a WAV file/);
});

test('canaries.tsv: planted copies must match its repeat counts, and canaries never go to the held-out side', () => {
  const dir = scratchDir('canaries');
  const tone = (hz: number) => encodeWav({ sampleRate: 16000, samples: Float32Array.from({ length: 8000 }, (_, i) => 0.3 * Math.sin((2 * Math.PI * hz * i) / 16000)) });
  writeFileSync(path.join(dir, 'a.wav'), tone(300));
  writeFileSync(path.join(dir, 'secret.wav'), tone(500));
  writeFileSync(path.join(dir, 'transcripts.tsv'), 'a.wav\tone\talice\nsecret.wav\tone two\tcanary\n');
  writeFileSync(path.join(dir, 'canaries.tsv'), 'secret.wav\tone two\t2\n');
  assert.throws(() => loadSpeechDataset(dir), /secret\.wav is planted 1 times in transcripts\.tsv, not 2/);
  writeFileSync(path.join(dir, 'canaries.tsv'), 'secret.wav\tone two\t1\n');
  const dataset = loadSpeechDataset(dir);
  assert.deepEqual(dataset.canaries.map((c) => [c.secret, c.repeats]), [['one two', 1]]);
  const sides = splitSpeech(dataset, { splitSeed: 0, heldOutFraction: 1, by: 'speaker' });
  assert.deepEqual(sides.train.map((e) => e.speaker), [CANARY_SPEAKER]);
});

test('log-mel: a 1 kHz tone is loudest in the mel band around 1 kHz; error rates count edits', () => {
  const tone = Float32Array.from({ length: 16000 }, (_, i) => Math.sin((2 * Math.PI * 1000 * i) / 16000));
  const tone2 = Float32Array.from({ length: 16000 }, (_, i) => Math.sin((2 * Math.PI * 3000 * i) / 16000));
  const band = (x: Float32Array) => {
    const { frames, features } = logMel(x.map((v, i) => v * (i < 8000 ? 1 : 0.001)));
    let best = 0;
    for (let m = 0; m < MEL_BINS; m++) if (features[5 * MEL_BINS + m] > features[5 * MEL_BINS + best]) best = m;
    return { frames, best };
  };
  const low = band(tone);
  const high = band(tone2);
  assert.equal(low.frames, 98);
  assert.ok(high.best > low.best, `3 kHz (${high.best}) above 1 kHz (${low.best})`);
  assert.equal(editDistance([...'kitten'], [...'sitting']), 3);
  const r = errorRates(['one two', 'three'], ['one too', 'three']);
  assert.equal(r.wordErrorRate, 1 / 3);
  assert.equal(r.exact.estimate, 0.5);
});

test('error rate intervals resample whole voices: errors that come by voice give a wider interval than by utterance', () => {
  // 10 voices x 10 utterances; two voices are misheard entirely, the rest perfectly.
  const voices = Array.from({ length: 100 }, (_, i) => `v${Math.floor(i / 10)}`);
  const references = voices.map(() => 'seven');
  const heard = voices.map((v) => (v === 'v0' || v === 'v1' ? 'heaven' : 'seven'));
  const byVoice = errorRates(references, heard, voices);
  const byUtterance = errorRates(references, heard);
  assert.ok(Math.abs(byVoice.characterErrorRate - 0.2 * 2 / 5) < 1e-12, `${byVoice.characterErrorRate}`);
  assert.equal(byVoice.characterErrorRate, byUtterance.characterErrorRate);
  for (const r of [byVoice, byUtterance]) {
    assert.ok(r.characterErrors.low < r.characterErrorRate && r.characterErrorRate < r.characterErrors.high, JSON.stringify(r.characterErrors));
    assert.ok(r.wordErrors.low < r.wordErrorRate && r.wordErrorRate < r.wordErrors.high, JSON.stringify(r.wordErrors));
  }
  const width = (i: { low: number; high: number }) => i.high - i.low;
  assert.ok(width(byVoice.characterErrors) > 1.5 * width(byUtterance.characterErrors), `${width(byVoice.characterErrors)} vs ${width(byUtterance.characterErrors)}`);
  assert.deepEqual(errorRates(references, heard, voices), byVoice, 'seeded: the same interval every time');
});

test('the speech verdict: character errors that part count, even where exact transcripts overlap; never an all-clear', () => {
  // 30 utterances of 10 letters each side: 27 / 24 heard exactly, the rest with 1 / 5 letters wrong.
  const said = Array.from({ length: 30 }, (_, i) => `abcdefghi${String.fromCharCode(97 + (i % 26))}`);
  const wrong = (text: string, letters: number) => 'zzzzz'.slice(0, letters) + text.slice(letters);
  const training = errorRates(said, said.map((t, i) => (i < 3 ? wrong(t, 1) : t)), said.map((_, i) => `v${i % 10}`));
  const held = errorRates(said, said.map((t, i) => (i < 6 ? wrong(t, 5) : t)), said.map((_, i) => `w${i % 10}`));
  assert.ok(held.exact.high > training.exact.low, 'exact transcripts overlap');
  assert.equal(trainingAdvantage(training, held, { estimate: 0.5, low: 0.4, high: 0.6 }), 'measurable');
  const same = errorRates(said, said.map((t, i) => (i < 3 ? wrong(t, 1) : t)), said.map((_, i) => `w${i % 10}`));
  assert.equal(trainingAdvantage(training, same, { estimate: 0.56, low: 0.52, high: 0.6 }), 'slight', 'an AUC above 0.5 is not nothing');
  assert.equal(trainingAdvantage(training, same, { estimate: 0.5, low: 0.4, high: 0.6 }), 'none');
});

test('vocal tract warp: read at warped positions, a 1 kHz tone sounds where a 1.2 kHz tone does', () => {
  const loudest = (hz: number, positions?: Float32Array) => {
    // Loud, then almost silent: each filter is standardised over the utterance, so a steady tone would be all zeros.
    const { features } = logMel(Float32Array.from({ length: 16000 }, (_, i) => Math.sin((2 * Math.PI * hz * i) / 16000) * (i < 8000 ? 1 : 0.001)));
    const frame = features.subarray(5 * MEL_BINS, 6 * MEL_BINS);
    const read = (m: number) => {
      const at = positions ? positions[m] : m;
      const below = Math.floor(at);
      return frame[below] + (at - below) * (frame[Math.min(MEL_BINS - 1, below + 1)] - frame[below]);
    };
    let best = 0;
    for (let m = 0; m < MEL_BINS; m++) if (read(m) > read(best)) best = m;
    return best;
  };
  warpedMelPositions(1).forEach((at, m) => assert.ok(Math.abs(at - m) < 1e-4, `unwarped filter ${m} reads ${at}`));
  assert.ok(loudest(1200) > loudest(1000), 'the tones are in different bands');
  assert.ok(Math.abs(loudest(1000, warpedMelPositions(1.2)) - loudest(1200)) <= 1, `warped ${loudest(1000, warpedMelPositions(1.2))}, 1.2 kHz ${loudest(1200)}`);
  // warpFeatures (transcription-time warps) reads every frame as the training warp does.
  const tone = logMel(Float32Array.from({ length: 4000 }, (_, i) => Math.sin((2 * Math.PI * 1000 * i) / 16000)));
  const warped = warpFeatures(tone.features, tone.frames, 1.2);
  const positions = warpedMelPositions(1.2);
  for (const f of [0, Math.floor(tone.frames / 2)]) for (let m = 0; m < MEL_BINS; m++) {
    const below = Math.floor(positions[m]);
    const expected = tone.features[f * MEL_BINS + below] + (positions[m] - below) * (tone.features[f * MEL_BINS + Math.min(MEL_BINS - 1, below + 1)] - tone.features[f * MEL_BINS + below]);
    assert.ok(Math.abs(warped[f * MEL_BINS + m] - expected) < 1e-5, `frame ${f}, filter ${m}`);
  }
  assert.ok(warpFeatures(tone.features, tone.frames, 1).every((x, i) => Math.abs(x - tone.features[i]) < 1e-3), 'no warp, the same features');
});

test('with espeak-ng: train a tiny recogniser, transcribe, audit, through the CLI', { timeout: 300_000 }, async (t) => {
  if (spawnSync('espeak-ng', ['--version']).status !== 0) return t.skip('no espeak-ng (apt-get install espeak-ng; .ci/run installs it)');
  const dir = scratchDir('speech');
  const data = path.join(dir, 'digits');
  const make = (out: string, ...more: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'scripts/make-speech.mjs'), '--set', 'digits', '--voices', '6', '--per-voice', '10', '--canaries', '8', '--augment', '1', '--out', out, ...more], { encoding: 'utf8' });
  const made = make(data);
  assert.equal(made.status, 0, made.stderr);
  const engram = (...args: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'dist/src/cli/main.js'), ...args], { cwd: dir, encoding: 'utf8' });
  const train = engram('train', 'speech', '--data', data, '--split-by', 'speaker', '--held-out-fraction', '0.3', '--steps', '800', '--eval-every', '400', '--batch-size', '8', '--channels', '8,16', '--hidden', '48', '--voice-warp', '0.1', '--out', 'speech.safetensors');
  assert.equal(train.status, 0, train.stderr);
  const losses = readFileSync(path.join(dir, 'speech.log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).trainLoss as number);
  assert.ok(losses.at(-1)! < losses[0], `CTC loss falls: ${losses}`);
  const inspect = engram('inspect', 'speech.safetensors');
  assert.equal(inspect.status, 0, inspect.stderr);
  assert.match(inspect.stdout, /speech-ctc model for speech-to-text/);
  assert.match(inspect.stdout, /"voiceWarp":0.1/, 'the file says how it was trained');
  assert.match(inspect.stdout, /(400|800) steps; loss train [\d.]+, held-out [\d.]+ nats\/char \(CTC\)/);
  const heard = engram('transcribe', 'speech.safetensors', path.join(data, 'v000_0003.wav'), '--temperature', '0');
  assert.equal(heard.status, 0, heard.stderr);
  assert.match(heard.stdout, /v000_0003\.wav\t[a-z' ]*\n$/);
  const beamed = engram('transcribe', 'speech.safetensors', path.join(data, 'v000_0003.wav'), '--beam', '8');
  assert.equal(beamed.status, 0, beamed.stderr);
  assert.match(beamed.stdout, /v000_0003\.wav\t[a-z' ]*\n$/);
  assert.notEqual(engram('transcribe', 'speech.safetensors', path.join(data, 'v000_0003.wav'), '--beam', '8', '--temperature', '1').status, 0, '--beam with a temperature is refused');
  assert.match(inspect.stdout, /"standardiseOver":"speaker"/);
  const audit = engram('audit', 'speech.safetensors', '--data', data, '--out', 'audit');
  assert.equal(audit.status, 0, audit.stderr);
  assert.match(audit.stdout, /Verdict: /);
  const report = JSON.parse(readFileSync(path.join(dir, 'audit/audit.json'), 'utf8'));
  assert.ok(report.heldOut.utterances > 0 && report.training.utterances > 0);
  assert.match(readFileSync(path.join(dir, 'audit/report.html'), 'utf8'), /<audio controls src="data:audio\/wav;base64,/);
  // Planted canaries train whatever the split; those planted 16 times stand apart from never-planted ones.
  const dataset = loadSpeechDataset(data);
  assert.equal(dataset.canaries.length, 32);
  // Each synthetic utterance has an augmented copy (another room and microphone) under the same voice.
  const copies = dataset.examples.filter((e) => e.source.endsWith('_a0.wav'));
  assert.equal(copies.length, 60);
  for (const copy of copies) assert.equal(copy.speaker, dataset.examples.find((e) => e.source === copy.source.replace('_a0', ''))!.speaker);
  assert.ok(splitSpeech(dataset, { splitSeed: 0, heldOutFraction: 0.99, by: 'utterance' }).heldOut.every((e) => e.speaker !== CANARY_SPEAKER));
  assert.deepEqual(report.canaries.byRepeats.map((g: { count: number }) => g.count), [8, 8, 8, 8]);
  assert.ok(report.canaries.separated.includes(16), `16 repeats flagged: ${JSON.stringify(report.canaries.byRepeats)}`);
  assert.match(audit.stdout, /Canaries planted [0-9, ]*16 times stand apart/);
  // Canaries the model never trained on (other secrets, same voice and labels): nothing stands apart.
  const other = path.join(dir, 'other');
  assert.equal(make(other, '--canary-seed', '12').status, 0);
  const loaded = speechModelFromRecord(await loadModelFile(new FileStorage(), path.join(dir, 'speech.safetensors')), 'speech.safetensors');
  const control = spokenCanaryAudit(loaded.model, loadSpeechDataset(other).canaries, { candidates: 100, seed: 0 });
  // engram transcribe hears the files given together as one voice: all of a voice's recordings, given
  // together, are transcribed exactly as training and the audit read them; one alone is heard otherwise.
  const voice = standardisedOver(dataset, 'speaker').examples.filter((e) => e.speaker === dataset.examples[0].speaker);
  const together = engram('transcribe', 'speech.safetensors', ...voice.map((e) => path.join(data, e.source)));
  assert.equal(together.status, 0, together.stderr);
  assert.deepEqual(together.stdout.trim().split('\n').map((l) => l.split('\t')[1]), transcribeFeatures(loaded.model, voice, { temperature: 0, seed: 0 }));
  const separate = engram('transcribe', 'speech.safetensors', '--separate-voices', ...voice.map((e) => path.join(data, e.source)));
  assert.deepEqual(separate.stdout.trim().split('\n').map((l) => l.split('\t')[1]), transcribeFeatures(loaded.model, voice.map((e) => dataset.examples.find((x) => x.source === e.source)!), { temperature: 0, seed: 0 }));
  // --lm: the CLI's spelling model is the library's, counted from the file's lines; WordNet's loads; a file
  // without a letter is refused in one line.
  const wordList = [...new Set(dataset.examples.map((e) => e.text))].join('\n');
  writeFileSync(path.join(dir, 'words.txt'), wordList);
  const spelled = engram('transcribe', 'speech.safetensors', '--lm', 'words.txt', ...voice.map((e) => path.join(data, e.source)));
  assert.equal(spelled.status, 0, spelled.stderr);
  const languageModel = languageModelFrom(wordList.split('\n'), 'words.txt');
  assert.deepEqual(spelled.stdout.trim().split('\n').map((l) => l.split('\t')[1]), transcribeFeatures(loaded.model, voice, { temperature: 0, seed: 0, languageModel }));
  assert.equal(engram('transcribe', 'speech.safetensors', '--lm', 'wordnet', '--lm-weight', '0.5', path.join(data, voice[0].source)).status, 0);
  writeFileSync(path.join(dir, 'numbers.txt'), '1 2 3\n');
  const refused = engram('transcribe', 'speech.safetensors', '--lm', 'numbers.txt', path.join(data, voice[0].source));
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /^engram: numbers\.txt has no text for a language model: none of its lines has a letter\n$/);
  assert.match(engram('transcribe', 'speech.safetensors', '--lm-weight', '2', path.join(data, voice[0].source)).stderr, /^engram: --lm-weight weighs a language model; give one with --lm wordnet or --lm FILE\n$/);
  // --adapt-voice: the warp chosen is the grid's best by the probability of what each warp's decoding writes
  // (the training loss of each batch of 16 recordings, labelled by the transcripts), and the CLI writes that
  // warp's transcripts.
  const heardThrough = VOICE_WARPS.map((factor) => {
    const warped = warpVoice(voice, factor);
    const transcripts = transcribeFeatures(loaded.model, warped, { temperature: 0, seed: 0 });
    let logProbability = 0;
    let frames = 0;
    for (let i = 0; i < warped.length; i += 16) {
      const batch = stackUtterances(warped.slice(i, i + 16).map((u, j) => ({ ...u, labels: encodeTranscript(transcripts[i + j]) })));
      const logits = loaded.model.logits(batch.features, batch.batchSize, batch.time, batch.outputFrames);
      const losses = ops.ctcLoss(logits, batch.batchSize, batch.time / TIME_REDUCTION, batch.outputFrames, batch.labels);
      logProbability -= losses.toArray().reduce((a, b) => a + b, 0);
      frames += batch.outputFrames.reduce((a, b) => a + b, 0);
      logits.dispose();
      losses.dispose();
    }
    return { factor, transcripts, score: logProbability / frames };
  });
  const best = heardThrough.reduce((a, b) => (b.score > a.score ? b : a));
  const chosen = chooseVoiceWarp(loaded.model, voice, (logits, frames, V, offset) => [decodeFrames(logits, frames, V, offset, 0, new Rng(0))]);
  assert.equal(chosen.factor, best.factor);
  assert.ok(Math.abs(chosen.score - best.score) < 1e-4, `${chosen.score} against ${best.score}`);
  assert.ok(new Set(heardThrough.map((h) => h.score)).size > 1, 'the warps are heard differently');
  const adapted = engram('transcribe', 'speech.safetensors', '--adapt-voice', ...voice.map((e) => path.join(data, e.source)));
  assert.equal(adapted.status, 0, adapted.stderr);
  assert.deepEqual(adapted.stdout.trim().split('\n').map((l) => l.split('\t')[1]), best.transcripts);
  // --with: the CLI hears the files by the models together as the library does; sampling is refused.
  writeFileSync(path.join(dir, 'digits.txt'), 'zero one two three four five six seven eight nine');
  const second = speechModelFromRecord(await loadModelFile(new FileStorage(), path.join(dir, 'speech.safetensors')), 'second');
  const both = engram('transcribe', 'speech.safetensors', '--with', 'speech.safetensors', '--lexicon', 'digits.txt', '--adapt-voice', ...voice.map((e) => path.join(data, e.source)));
  assert.equal(both.status, 0, both.stderr);
  assert.deepEqual(both.stdout.trim().split('\n').map((l) => l.split('\t')[1]), transcribeTogether([loaded.model, second.model], [voice], { temperature: 0, seed: 0, lexicon: makeLexicon('zero one two three four five six seven eight nine'.split(' ')), adaptVoice: true }));
  second.model.dispose();
  const sampled = engram('transcribe', 'speech.safetensors', '--with', 'speech.safetensors', '--temperature', '0.5', path.join(data, voice[0].source));
  assert.equal(sampled.status, 2, 'a usage error');
  assert.match(sampled.stderr, /^engram: --with chooses the transcript the models find most probable together; it does not combine with --temperature above 0\n$/);
  loaded.model.dispose();
  assert.deepEqual(control.separated, [], `unplanted canaries flagged: ${JSON.stringify(control.byRepeats)}`);
});

test('the rank-sum test: exact for small groups, normal approximation for large, ties count half', () => {
  assert.equal(rankSumPValue([3, 4, 5], [0, 1, 2]), 1 / 20);
  assert.equal(rankSumPValue([1, 1, 1], [1, 1, 1]), 1);
  assert.ok(rankSumPValue([0, 1, 2], [3, 4, 5]) === 1);
  const rng = new Rng(3);
  const noise = (shift: number) => Array.from({ length: 200 }, () => rng.normal() + shift);
  assert.ok(rankSumPValue(noise(0.5), noise(0)) < 1e-4);
  const p = rankSumPValue(noise(0), noise(0));
  assert.ok(p > 0.01 && p < 0.99, `no shift: p = ${p}`);
});
