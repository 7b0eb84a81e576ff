// Vocal tract length normalisation at transcription time (Lee & Rose 1996, "Speaker normalization using
// efficient frequency warping procedures"): a voice's recordings are heard through each warp of a grid (the
// mel axis read as if the vocal tract were longer or shorter, as --voice-warp does in training), each is
// decoded, and the warp whose transcripts are most probable is kept: the maximum-likelihood warp and transcripts
// together, Lee & Rose's criterion with the decoding's own transcripts (a lexicon's words when there is one).
// No transcript is needed, so it adapts to a new voice it has only heard. The most probable greedy path per
// frame, tried first, chose warps as far as 1.14 for a voice that 0.9 suited (87.0% right at 1, 75.0% at
// 1.14, 92.6% at 0.9): a model can be sure of blanks for a voice it hears badly; a word's paths cannot.
import { ops } from '../engine/index.js';
import { warpFeatures } from '../codecs/logMel.js';
import { BLANK, encodeTranscript } from '../codecs/ctcAlphabet.js';
import type { SpeechModel } from '../models/speech.js';
import { forEachUtteranceLogits, type UtteranceFrames as Frames } from './speechLogits.js';

/** Warps tried, 1 (none) first so that a tie keeps the voice as it is. */
export const VOICE_WARPS = [1, 0.86, 0.9, 0.94, 0.97, 1.03, 1.06, 1.1, 1.14] as const;

/** A deterministic decoding: the transcript it writes for one utterance's logits [frames, V] at `offset`. */
export type ReadFrames = (logits: Float32Array, frames: number, V: number, offset: number) => string;

export interface HeardVoice {
  readonly transcripts: string[];
  /** Mean over every output frame of the log-probability of the transcripts (all their alignments, CTC). */
  readonly score: number;
}

/** A voice's recordings read by `read`, and how probable the model finds what it wrote. */
export function transcriptScore(model: SpeechModel, utterances: readonly Frames[], read: ReadFrames): HeardVoice {
  const V = model.config.vocabSize;
  const transcripts: string[] = [];
  let total = 0;
  let frames = 0;
  forEachUtteranceLogits(model, utterances, (values, outputFrames, offset) => {
    const text = read(values, outputFrames, V, offset);
    transcripts.push(text);
    total -= ops.ctcExample(ops.logProbabilities(values, outputFrames, V, offset), outputFrames, V, encodeTranscript(text), BLANK, false).loss;
    frames += outputFrames;
  });
  return { transcripts, score: total / frames };
}

export const warpVoice = <U extends Frames>(utterances: readonly U[], factor: number): U[] =>
  utterances.map((u) => (factor === 1 ? u : { ...u, features: warpFeatures(u.features, u.frames, factor) }));

/** The warp of VOICE_WARPS whose transcripts (read by `read`) of this voice are most probable, with them. */
export function chooseVoiceWarp(model: SpeechModel, utterances: readonly Frames[], read: ReadFrames): HeardVoice & { factor: number } {
  let best = { factor: 1, ...transcriptScore(model, utterances, read) };
  for (const factor of VOICE_WARPS.filter((f) => f !== 1)) {
    const heard = transcriptScore(model, warpVoice(utterances, factor), read);
    if (heard.score > best.score) best = { factor, ...heard };
  }
  return best;
}
