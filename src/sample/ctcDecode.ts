// Reading text out of a speech model's per-frame distributions (CTC): greedy decoding at temperature 0 (the
// most likely symbol per frame, repeats collapsed, blanks dropped), and at temperature T a path sampled frame
// by frame from softmax(logits / T) with a seeded generator, collapsed the same way; or, with a beam width,
// the most probable transcript by prefix beam search (ctcBeam.ts).
import { Rng } from '../engine/index.js';
import { collapsePath } from '../codecs/ctcAlphabet.js';
import type { SpeechModel } from '../models/speech.js';
import { beamSearchFrames, type LanguageModelFusion, type Lexicon } from './ctcBeam.js';
import { chooseVoiceWarp, warpVoice } from './voiceWarp.js';
import { firstCandidates, forEachUtteranceLogits, type UtteranceFrames } from './speechLogits.js';

/** A decoding of one utterance's logits [frames, V] at `offset`: the transcript it writes. */
type ReadFrames = (logits: Float32Array, frames: number, V: number, offset: number) => string;

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
  /** The utterances are one voice: hear them through the vocal tract warp that suits it best (voiceWarp.ts). */
  readonly adaptVoice?: boolean;
}

/** The beam search's width the options ask for (0: no search). */
export const searchWidth = (o: Pick<TranscribeOptions, 'beam' | 'lexicon' | 'languageModel'>): number => o.beam || (o.lexicon || o.languageModel ? LEXICON_BEAM : 0);

/** Transcripts of utterances given as log-mel features, in batches of 16. */
export function transcribeFeatures(model: SpeechModel, voice: readonly UtteranceFrames[], o: TranscribeOptions): string[] {
  const width = searchWidth(o);
  const rng = new Rng(o.seed);
  // Deterministic: beam search, or the greedy path (which draws nothing from rng).
  const read: ReadFrames = width
    ? (logits, frames, V, offset) => beamSearchFrames(logits, frames, V, offset, { width, lexicon: o.lexicon, languageModel: o.languageModel })
    : (logits, frames, V, offset) => decodeFrames(logits, frames, V, offset, 0, rng);
  const readOrSample: ReadFrames = width || o.temperature === 0 ? read : (logits, frames, V, offset) => decodeFrames(logits, frames, V, offset, o.temperature, rng);
  if (!o.adaptVoice) {
    const out: string[] = [];
    forEachUtteranceLogits(model, voice, (values, frames, offset) => out.push(readOrSample(values, frames, model.config.vocabSize, offset)));
    return out;
  }
  // The warp is chosen by what the decoding writes deterministically; at a temperature, sampled through it.
  const adapted = chooseVoiceWarp(model, voice, (...args) => [read(...args)]);
  return readOrSample === read ? firstCandidates(adapted.readings) : transcribeFeatures(model, warpVoice(voice, adapted.factor), { ...o, adaptVoice: false });
}
