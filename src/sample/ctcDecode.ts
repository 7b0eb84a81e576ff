// Reading text out of a speech model's per-frame distributions (CTC): greedy decoding at temperature 0 (the
// most likely symbol per frame, repeats collapsed, blanks dropped), and at temperature T a path sampled frame
// by frame from softmax(logits / T) with a seeded generator, collapsed the same way; or, with a beam width,
// the most probable transcript by prefix beam search (ctcBeam.ts).
import { Rng } from '../engine/index.js';
import { collapsePath } from '../codecs/ctcAlphabet.js';
import { TIME_REDUCTION, type SpeechModel } from '../models/speech.js';
import { stackUtterances } from '../train/speechBatches.js';
import { beamSearchFrames, type LanguageModelFusion, type Lexicon } from './ctcBeam.js';

export function decodeFrames(logits: Float32Array, frames: number, V: number, offset: number, temperature: number, rng: Rng): string {
  const path = new Int32Array(frames);
  for (let t = 0; t < frames; t++) {
    const row = offset + t * V;
    if (temperature === 0) {
      let best = 0;
      for (let v = 1; v < V; v++) if (logits[row + v] > logits[row + best]) best = v;
      path[t] = best;
      continue;
    }
    let max = -Infinity;
    for (let v = 0; v < V; v++) max = Math.max(max, logits[row + v]);
    const weights = Array.from({ length: V }, (_, v) => Math.exp((logits[row + v] - max) / temperature));
    let r = rng.next() * weights.reduce((a, b) => a + b, 0);
    let pick = 0;
    while (pick < V - 1 && (r -= weights[pick]) > 0) pick++;
    path[t] = pick;
  }
  return collapsePath(path);
}

export const LEXICON_BEAM = 16;

export interface TranscribeOptions {
  readonly temperature: number;
  readonly seed: number;
  /** Beam width for CTC prefix beam search (0: greedy at temperature 0, sampled above it). */
  readonly beam?: number;
  /** Only words of this lexicon are written (beam search, LEXICON_BEAM beams unless `beam` says). */
  readonly lexicon?: Lexicon;
  /** A character language model weighing spellings (beam search, LEXICON_BEAM beams unless `beam` says). */
  readonly languageModel?: LanguageModelFusion;
}

/** Transcripts of utterances given as log-mel features, in batches of 16. */
export function transcribeFeatures(model: SpeechModel, utterances: readonly { features: Float32Array; frames: number }[], o: TranscribeOptions): string[] {
  const rng = new Rng(o.seed);
  const out: string[] = [];
  for (let i = 0; i < utterances.length; i += 16) {
    const batch = stackUtterances(utterances.slice(i, i + 16).map((u) => ({ ...u, labels: new Int32Array() })));
    const logits = model.logits(batch.features, batch.batchSize, batch.time, batch.outputFrames);
    const values = logits.toArray();
    logits.dispose();
    const T = batch.time / TIME_REDUCTION;
    const V = model.config.vocabSize;
    for (let b = 0; b < batch.batchSize; b++) {
      const width = o.beam || (o.lexicon || o.languageModel ? LEXICON_BEAM : 0);
      out.push(width ? beamSearchFrames(values, batch.outputFrames[b], V, b * T * V, { width, lexicon: o.lexicon, languageModel: o.languageModel }) : decodeFrames(values, batch.outputFrames[b], V, b * T * V, o.temperature, rng));
    }
  }
  return out;
}

