// Vocal tract length normalisation at transcription time (Lee & Rose 1996, "Speaker normalization using
// efficient frequency warping procedures"): a voice's recordings are heard through each warp of a grid (the
// mel axis read as if the vocal tract were longer or shorter, as --voice-warp does in training) and the warp
// under which the model is most sure of itself is kept: the one whose greedy paths are most probable, per frame,
// over all the voice's recordings. No transcript is needed, so it adapts to a new voice it has only heard.
import { ops } from '../engine/index.js';
import { warpFeatures } from '../codecs/logMel.js';
import type { SpeechModel } from '../models/speech.js';
import { forEachUtteranceLogits, type UtteranceFrames as Frames } from './speechLogits.js';

/** Warps tried, 1 (none) first so that a tie keeps the voice as it is. */
export const VOICE_WARPS = [1, 0.86, 0.9, 0.94, 0.97, 1.03, 1.06, 1.1, 1.14] as const;

/** Mean over every output frame of the voice's recordings of the greedy path's log-probability. */
export function greedyPathScore(model: SpeechModel, utterances: readonly Frames[]): number {
  let total = 0;
  let frames = 0;
  const V = model.config.vocabSize;
  forEachUtteranceLogits(model, utterances, (values, outputFrames, offset) => {
    const logProbs = ops.logProbabilities(values, outputFrames, V, offset);
    for (let t = 0; t < outputFrames; t++) total += Math.max(...logProbs.subarray(t * V, (t + 1) * V));
    frames += outputFrames;
  });
  return total / frames;
}

export const warpVoice = <U extends Frames>(utterances: readonly U[], factor: number): U[] =>
  utterances.map((u) => (factor === 1 ? u : { ...u, features: warpFeatures(u.features, u.frames, factor) }));

/** A voice's recordings heard through the warp that suits it best. */
export const adaptedToVoice = <U extends Frames>(model: SpeechModel, voice: readonly U[]): U[] =>
  voice.length === 0 ? [] : warpVoice(voice, chooseVoiceWarp(model, voice));

/** The warp of VOICE_WARPS under which the model hears this voice's recordings with the most probable greedy paths. */
export function chooseVoiceWarp(model: SpeechModel, utterances: readonly Frames[]): number {
  let best: number = VOICE_WARPS[0];
  let bestScore = -Infinity;
  for (const factor of VOICE_WARPS) {
    const score = greedyPathScore(model, warpVoice(utterances, factor));
    if (score > bestScore) [best, bestScore] = [factor, score];
  }
  return best;
}
