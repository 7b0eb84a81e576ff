// Vocal tract length normalisation at transcription time (Lee & Rose 1996, "Speaker normalization using
// efficient frequency warping procedures"): a voice's recordings are heard through each warp of a grid (the
// mel axis read as if the vocal tract were longer or shorter, as --voice-warp does in training), each is
// decoded, and the warp whose transcripts are most probable is kept: the maximum-likelihood warp and transcripts
// together, Lee & Rose's criterion with the decoding's own transcripts (a lexicon's words when there is one).
// No transcript is needed, so it adapts to a new voice it has only heard. The most probable greedy path per
// frame, tried first, chose warps as far as 1.14 for a voice that 0.9 suited (87.0% right at 1, 75.0% at
// 1.14, 92.6% at 0.9): a model can be sure of blanks for a voice it hears badly; a word's paths cannot.
import { warpFeatures } from '../codecs/logMel.js';
import type { SpeechModel } from '../models/speech.js';
import { readUtterances, type HeardVoice, type ProposeFrames, type UtteranceFrames as Frames } from './speechLogits.js';

/** Warps tried, 1 (none) first so that a tie keeps the voice as it is. */
export const VOICE_WARPS = [1, 0.86, 0.9, 0.94, 0.97, 1.03, 1.06, 1.1, 1.14] as const;

export const warpVoice = <U extends Frames>(utterances: readonly U[], factor: number): U[] =>
  utterances.map((u) => (factor === 1 ? u : { ...u, features: warpFeatures(u.features, u.frames, factor) }));

/** The warp of VOICE_WARPS whose transcripts (the first each `propose` gives) of this voice are most probable, with its readings. */
export function chooseVoiceWarp(model: SpeechModel, utterances: readonly Frames[], propose: ProposeFrames): HeardVoice & { factor: number } {
  let best = { factor: 1, ...readUtterances(model, utterances, propose) };
  for (const factor of VOICE_WARPS.filter((f) => f !== 1)) {
    const heard = readUtterances(model, warpVoice(utterances, factor), propose);
    if (heard.score > best.score) best = { factor, ...heard };
  }
  return best;
}
