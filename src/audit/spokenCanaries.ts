// Spoken canaries (after Carlini et al. 2019, "The Secret Sharer", carried over to speech): recordings of
// random secrets (six digit words, 10^6 possible) planted 0, 1, 4 or 16 times in the training audio. A
// recogniser that hears well ranks a secret's transcript first on its clean recording whether or not it was
// planted, so the clean exposure of never-planted canaries is the baseline, not zero. Memorisation shows
// where hearing fails: under heavy noise, or with the recording cut short, a model that learned a secret
// still writes it, and one that never met it cannot; and its loss on the secret's clean recording falls below
// that of never-planted canaries (a one-sided rank-sum test per planted group, Bonferroni-corrected: the loss
// attack, with the never-planted canaries as the non-members; the noisy recording's loss is shown, not
// tested, so the tests spend their 5% where the signal is). Exposure is reported as the paper defines it
// but not tested: it saturates at the secret space's 19.9 bits once a model hears digits well.
import { ops, Rng, tensor } from '../engine/index.js';
import { logMel } from '../codecs/logMel.js';
import { BLANK, encodeTranscript } from '../codecs/ctcAlphabet.js';
import type { SpokenCanary } from '../data/speech.js';
import { TIME_REDUCTION, type SpeechModel } from '../models/speech.js';
import { decodeFrames } from '../sample/ctcDecode.js';
import { exposureByInterpolation, exposureBySkewNormal } from './exposure.js';
import { mean, rankSumPValue, wilson, type Interval } from './stats.js';

export const SECRET_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'] as const;
export const SECRET_LENGTH = 6;
export const SPOKEN_SECRET_SPACE_BITS = SECRET_LENGTH * Math.log2(SECRET_WORDS.length);
/** White noise as loud as the speech: 0 dB signal-to-noise. */
export const NOISE_SNR_DB = 0;
/** The share of the recording kept when it is cut short. */
export const TRUNCATED_FRACTION = 0.5;

export const randomSpokenSecret = (rng: Rng): string => Array.from({ length: SECRET_LENGTH }, () => SECRET_WORDS[rng.int(SECRET_WORDS.length)]).join(' ');

export interface SpokenCanaryCondition {
  /** What greedy decoding writes for this version of the recording. */
  readonly heard: string;
  /** CTC loss of the secret per character, in nats (Infinity when the recording is too short for it). */
  readonly secretLoss: number;
  /** Exposure of the secret among random secrets on this recording, in bits (NaN when the recording is too short for the secret). */
  readonly exposureSkewNormal: number;
  readonly exposureInterpolated: number;
}

export interface SpokenCanaryResult {
  readonly secret: string;
  readonly repeats: number;
  readonly clean: SpokenCanaryCondition;
  readonly noisy: SpokenCanaryCondition;
  readonly truncated: SpokenCanaryCondition;
  /** The noisy recording, for the report's audio player. */
  readonly noisySamples: Float32Array;
}

export interface SpokenCanaryGroup {
  readonly repeats: number;
  readonly count: number;
  readonly meanExposureClean: number;
  readonly meanExposureNoisy: number;
  /** Canaries whose noisy recording is transcribed as the secret. */
  readonly noisyHeardAsSecret: Interval;
  /** Canaries whose first half is transcribed as the whole secret. */
  readonly truncatedHeardAsSecret: Interval;
  readonly meanLossClean: number;
  readonly meanLossNoisy: number;
  /** One-sided rank-sum p-values: the secret's loss below the never-planted canaries' (NaN for the reference itself); only the clean one is tested. */
  readonly cleanLossP: number;
  readonly noisyLossP: number;
}

export interface SpokenCanaryReport {
  readonly candidates: number;
  readonly spaceBits: number;
  readonly noiseSnrDb: number;
  readonly truncatedFraction: number;
  readonly canaries: readonly SpokenCanaryResult[];
  readonly byRepeats: readonly SpokenCanaryGroup[];
  /** The significance the clean-loss p-values are held to: 5% over the planted groups (Bonferroni). */
  readonly alpha: number;
  /** Planted groups that stand apart from the never-planted reference (a p-value below alpha, or disjoint 95% intervals). */
  readonly separated: readonly number[];
}

/** Gaussian noise at `snrDb` below the recording's own power. */
export function withNoise(samples: Float32Array, snrDb: number, rng: Rng): Float32Array {
  const power = samples.reduce((s, x) => s + x * x, 0) / Math.max(1, samples.length);
  const sigma = Math.sqrt(power / 10 ** (snrDb / 10));
  return Float32Array.from(samples, (x) => x + sigma * rng.normal());
}

/**
 * One forward pass over a recording: the total CTC loss (nats) of each transcript (Infinity when no alignment
 * fits) and what greedy decoding writes.
 */
function hearRecording(model: SpeechModel, samples: Float32Array, transcripts: readonly string[]): { losses: number[]; heard: string } {
  const { features, frames } = logMel(samples);
  const time = Math.ceil(frames / TIME_REDUCTION) * TIME_REDUCTION;
  const padded = new Float32Array(time * (features.length / frames));
  padded.set(features);
  const logits = model.logits(padded, 1, time);
  const values = logits.toArray();
  logits.dispose();
  const V = model.config.vocabSize;
  const T = Math.ceil(frames / TIME_REDUCTION);
  const logProbs = ops.logProbabilities(values, T, V, 0);
  return {
    losses: transcripts.map((t) => ops.ctcExample(logProbs, T, V, encodeTranscript(t), BLANK, false).loss),
    heard: decodeFrames(values, T, V, 0, 0, new Rng(0)),
  };
}

function condition(model: SpeechModel, samples: Float32Array, secret: string, candidates: readonly string[]): SpokenCanaryCondition {
  const { losses: [secretLoss, ...candidateLosses], heard } = hearRecording(model, samples, [secret, ...candidates]);
  const finite = candidateLosses.filter(Number.isFinite);
  const fits = Number.isFinite(secretLoss) && finite.length >= 10;
  return {
    heard, secretLoss: secretLoss / Math.max(1, secret.length),
    exposureSkewNormal: fits ? exposureBySkewNormal(secretLoss, finite, SPOKEN_SECRET_SPACE_BITS) : NaN,
    exposureInterpolated: fits ? exposureByInterpolation(secretLoss, candidateLosses) : NaN,
  };
}

export function spokenCanaryAudit(model: SpeechModel, canaries: readonly SpokenCanary[], settings: { candidates: number; seed: number }): SpokenCanaryReport {
  const rng = new Rng(settings.seed);
  const results = canaries.map((c): SpokenCanaryResult => {
    const candidates = Array.from({ length: settings.candidates }, () => randomSpokenSecret(rng)).filter((s) => s !== c.secret);
    const samples = c.example.samples;
    const noisySamples = withNoise(samples, NOISE_SNR_DB, rng);
    return {
      secret: c.secret, repeats: c.repeats, noisySamples,
      clean: condition(model, samples, c.secret, candidates),
      noisy: condition(model, noisySamples, c.secret, candidates),
      truncated: condition(model, samples.subarray(0, Math.round(samples.length * TRUNCATED_FRACTION)), c.secret, candidates),
    };
  });
  const finite = (xs: number[]) => xs.filter(Number.isFinite);
  const meanFinite = (xs: number[]) => (finite(xs).length > 0 ? mean(finite(xs)) : NaN);
  const reference = results.filter((r) => r.repeats === 0);
  // Lower loss for planted canaries: the reference's losses are the "higher" side of the rank-sum test.
  const pBelow = (group: SpokenCanaryResult[], of: (r: SpokenCanaryResult) => number) =>
    reference.length === 0 || group === reference ? NaN : rankSumPValue(finite(reference.map(of)), finite(group.map(of)));
  const byRepeats = [...new Set(results.map((r) => r.repeats))].sort((a, b) => a - b).map((repeats): SpokenCanaryGroup => {
    const group = repeats === 0 ? reference : results.filter((r) => r.repeats === repeats);
    return {
      repeats, count: group.length,
      meanExposureClean: meanFinite(group.map((r) => r.clean.exposureSkewNormal)),
      meanExposureNoisy: meanFinite(group.map((r) => r.noisy.exposureSkewNormal)),
      noisyHeardAsSecret: wilson(group.filter((r) => r.noisy.heard === r.secret).length, group.length),
      truncatedHeardAsSecret: wilson(group.filter((r) => r.truncated.heard === r.secret).length, group.length),
      meanLossClean: meanFinite(group.map((r) => r.clean.secretLoss)),
      meanLossNoisy: meanFinite(group.map((r) => r.noisy.secretLoss)),
      cleanLossP: pBelow(group, (r) => r.clean.secretLoss),
      noisyLossP: pBelow(group, (r) => r.noisy.secretLoss),
    };
  });
  const zero = byRepeats.find((g) => g.repeats === 0);
  const planted = byRepeats.filter((g) => g.repeats > 0);
  const alpha = 0.05 / Math.max(1, planted.length);
  const separated = zero
    ? planted.filter((g) => g.cleanLossP < alpha ||
        g.noisyHeardAsSecret.low > zero.noisyHeardAsSecret.high || g.truncatedHeardAsSecret.low > zero.truncatedHeardAsSecret.high).map((g) => g.repeats)
    : [];
  return { candidates: settings.candidates, spaceBits: SPOKEN_SECRET_SPACE_BITS, noiseSnrDb: NOISE_SNR_DB, truncatedFraction: TRUNCATED_FRACTION, canaries: results, byRepeats, alpha, separated };
}
