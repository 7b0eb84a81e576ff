// Several speech models heard together, e.g. the same recogniser trained from different seeds (an ensemble):
// each model reads a voice as it would alone (through its own warp with --adapt-voice) and proposes the
// transcripts its search ends with; each recording's transcript is then the candidate whose log-probability,
// summed over every model (CTC: all alignments), is highest, plus the language model's score when there is one.
// That is N-best rescoring by model combination. Averaging the models' per-frame distributions does not work for
// CTC: each model puts its letter spikes on different frames, so their averages blur into blanks.
import { deriveSeed, ops, Rng } from '../engine/index.js';
import { BLANK, encodeTranscript } from '../codecs/ctcAlphabet.js';
import type { SpeechModel } from '../models/speech.js';
import { beamSearchCandidates, fusedScore } from './ctcBeam.js';
import { ConfigError } from '../errors.js';
import { decodeFrames, searchWidth, transcribeFeatures, type TranscribeOptions } from './ctcDecode.js';
import { readUtterances, type ProposeFrames, type Reading, type UtteranceFrames } from './speechLogits.js';
import { chooseVoiceWarp } from './voiceWarp.js';

/**
 * One model's readings of a voice's recordings (deterministic: greedy or beam search, as `o` says), through
 * the warp whose readings are most probable with `adaptVoice` (those readings themselves, not read again).
 */
export function readVoice(model: SpeechModel, voice: readonly UtteranceFrames[], o: Omit<TranscribeOptions, 'temperature' | 'seed'>): Reading[] {
  const width = searchWidth(o);
  const search = { width, lexicon: o.lexicon, languageModel: o.languageModel };
  const propose: ProposeFrames = (logits, frames, V, offset) =>
    width ? beamSearchCandidates(logits, frames, V, offset, search) : [decodeFrames(logits, frames, V, offset, 0, new Rng(0))];
  return (o.adaptVoice ? chooseVoiceWarp(model, voice, propose) : readUtterances(model, voice, propose)).readings;
}

/**
 * Each recording's transcript from every model's reading of it (`byModel[m][i]`: model m, recording i): of all
 * the candidates proposed, the one most probable summed over the models. Ties go to the earlier proposal.
 */
export function combineReadings(byModel: readonly (readonly Reading[])[], V: number, o: Pick<TranscribeOptions, 'languageModel'>): string[] {
  return byModel[0].map((_, i) => {
    const candidates = [...new Set(byModel.flatMap((readings) => readings[i].candidates))];
    let best = { text: candidates[0] ?? '', score: -Infinity };
    for (const text of candidates) {
      const labels = encodeTranscript(text);
      let score = o.languageModel ? fusedScore(o.languageModel, text) : 0;
      for (const readings of byModel) score -= ops.ctcExample(readings[i].logProbs, readings[i].frames, V, labels, BLANK, false).loss;
      if (score > best.score) best = { text, score };
    }
    return best.text;
  });
}

/**
 * Transcripts of voices (each a list of recordings' features, in order) by one model, or by several together.
 * Each voice is adapted to by itself with `adaptVoice`. Several models choose by probability, so they do not sample.
 */
export function transcribeTogether(models: readonly SpeechModel[], voices: readonly (readonly UtteranceFrames[])[], o: TranscribeOptions): string[] {
  // Each voice samples from a seed of its own (the first from `seed` itself), or identical files would be written alike.
  if (models.length === 1) return voices.flatMap((voice, v) => transcribeFeatures(models[0], voice, { ...o, seed: v === 0 ? o.seed : deriveSeed(o.seed, 'voice', v) }));
  if (o.temperature > 0) throw new ConfigError('models heard together choose the transcript they find most probable; they do not sample at a temperature above 0');
  return combineReadings(models.map((model) => voices.flatMap((voice) => readVoice(model, voice, o))), models[0].config.vocabSize, o);
}
