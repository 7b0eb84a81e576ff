// Canary exposure (Carlini et al. 2019, "The Secret Sharer"): exposure = log2|R| - log2 rank, where rank is
// the canary's place among all |R| possible secrets ordered by the model's loss. |R| = 10^9 is too many to
// score, so it is estimated from M random candidates two ways, as in the paper: by interpolation (the share
// of candidates that beat the canary; at most log2(M+1) bits) and by extrapolation from a skew-normal fitted
// to the candidates' losses (exposure = -log2 P[loss <= canary's loss]), which reaches past log2(M+1).
import { Rng } from '../engine/index.js';
import { DatasetError } from '../errors.js';
import type { CharTokenizer } from '../codecs/charTokenizer.js';
import { CANARY_SPACE_BITS, makeCanaries, randomSecret } from '../data/canaries.js';
import type { Gpt } from '../models/gpt.js';
import type { Provenance } from '../weights/modelFile.js';
import { generateFromPrefixes } from '../sample/generateText.js';
import { exampleLosses } from './exampleLoss.js';
import { mean, normalCdf } from './stats.js';

export interface CanaryExposure {
  readonly prompt: string;
  readonly repeats: number;
  /** Total loss of the secret given its prompt, in bits. */
  readonly lossBits: number;
  readonly exposureInterpolated: number;
  readonly exposureSkewNormal: number;
  /** Greedy decoding from the prompt writes the secret exactly. */
  readonly extracted: boolean;
}

export interface ExposureResult {
  readonly candidates: number;
  readonly spaceBits: number;
  readonly canaries: CanaryExposure[];
  readonly byRepeats: { readonly repeats: number; readonly count: number; readonly meanExposureSkewNormal: number; readonly meanExposureInterpolated: number; readonly extracted: number }[];
}

/** Skew-normal parameters from the sample's mean, variance and skewness (method of moments). */
export function fitSkewNormal(xs: readonly number[]): { xi: number; omega: number; alpha: number } {
  const m = mean(xs);
  const variance = mean(xs.map((x) => (x - m) ** 2));
  const skew = mean(xs.map((x) => (x - m) ** 3)) / variance ** 1.5;
  const g = Math.min(Math.abs(skew), 0.99) ** (2 / 3); // the skew-normal's skewness is below 0.995
  const delta = Math.sign(skew) * Math.sqrt((Math.PI / 2) * (g / (g + ((4 - Math.PI) / 2) ** (2 / 3))));
  const omega = Math.sqrt(variance / (1 - (2 * delta * delta) / Math.PI));
  return { xi: m - omega * delta * Math.sqrt(2 / Math.PI), omega, alpha: delta / Math.sqrt(1 - delta * delta) };
}

/** P[X <= x] for a skew-normal, by integrating its density (stable far into the lower tail). */
export function skewNormalCdf(x: number, p: { xi: number; omega: number; alpha: number }): number {
  const density = (t: number) => {
    const z = (t - p.xi) / p.omega;
    return (2 / p.omega) * (Math.exp(-(z * z) / 2) / Math.sqrt(2 * Math.PI)) * normalCdf(p.alpha * z);
  };
  const from = Math.min(x, p.xi) - 40 * p.omega;
  const steps = 4000;
  const h = (x - from) / steps;
  if (h <= 0) return 0;
  let sum = density(from) + density(x);
  for (let i = 1; i < steps; i++) sum += density(from + i * h) * (i % 2 ? 4 : 2);
  return Math.min(1, (sum * h) / 3); // Simpson's rule
}

export function exposureByInterpolation(canaryLoss: number, candidateLosses: readonly number[]): number {
  const rank = 1 + candidateLosses.filter((l) => l < canaryLoss).length;
  return Math.log2((candidateLosses.length + 1) / rank);
}

export function exposureBySkewNormal(canaryLoss: number, candidateLosses: readonly number[], spaceBits = CANARY_SPACE_BITS): number {
  const p = skewNormalCdf(canaryLoss, fitSkewNormal(candidateLosses));
  return Math.min(spaceBits, p > 0 ? -Math.log2(p) : spaceBits);
}

export function canaryExposure(
  model: Gpt, tokenizer: CharTokenizer, provenance: Provenance, settings: { canarySeed: number; candidates: number; seed: number },
  onProgress?: (done: number, total: number) => void,
): ExposureResult | undefined {
  const planted = provenance.canaries;
  if (!planted) return undefined;
  const canaries = makeCanaries({ count: planted.count, repeats: planted.repeats, seed: settings.canarySeed });
  if (canaries.some((c, i) => c.hash !== planted.hashes[i]?.hash)) {
    throw new DatasetError(`canary seed ${settings.canarySeed} does not rebuild the canaries recorded in the weights file; pass the --canary-seed used in training`);
  }
  const rng = new Rng(settings.seed);
  const bits = (examples: { input: string; output: string }[]) =>
    exampleLosses(model, tokenizer, examples, 64).map((l) => (l.natsPerToken * l.scoredTokens) / Math.LN2);
  const greedy = generateFromPrefixes(model, canaries.map((c) => tokenizer.encodePrompt(c.input)), { temperature: 0, topK: 0, topP: 1, seed: 0, maxTokens: 12 });
  const results = canaries.map((c, i) => {
    const candidates = Array.from({ length: settings.candidates }, () => ({ input: c.input, output: randomSecret(rng) })).filter((x) => x.output !== c.output);
    const candidateBits = bits(candidates);
    const [lossBits] = bits([c]);
    onProgress?.(i + 1, canaries.length);
    return {
      prompt: c.input, repeats: c.repeats, lossBits,
      exposureInterpolated: exposureByInterpolation(lossBits, candidateBits),
      exposureSkewNormal: exposureBySkewNormal(lossBits, candidateBits),
      extracted: tokenizer.decode(greedy[i]) === c.output,
    };
  });
  const byRepeats = planted.repeats.map((repeats) => {
    const group = results.filter((r) => r.repeats === repeats);
    return {
      repeats, count: group.length,
      meanExposureSkewNormal: mean(group.map((r) => r.exposureSkewNormal)),
      meanExposureInterpolated: mean(group.map((r) => r.exposureInterpolated)),
      extracted: group.filter((r) => r.extracted).length,
    };
  });
  return { candidates: settings.candidates, spaceBits: CANARY_SPACE_BITS, canaries: results, byRepeats };
}
