// Sampling as a chain of small transforms on one row of logits: temperature, top-k, top-p, then a draw.
// Each rejects bad settings by throwing, so a typo cannot silently sample from the wrong distribution.
import { Rng } from '../engine/index.js';
import { ConfigError } from '../errors.js';

export interface SamplingSettings {
  /** 0 = greedy (argmax); 1 = the model's own distribution; above 1 flatter. */
  readonly temperature: number;
  /** Keep only the k most likely tokens (0 = off). */
  readonly topK: number;
  /** Keep the smallest set of tokens whose probability reaches p (1 = off). */
  readonly topP: number;
}

export const SAMPLING_DEFAULTS: SamplingSettings = { temperature: 0.8, topK: 0, topP: 1 };

export function validateSampling(s: SamplingSettings): void {
  if (!(s.temperature >= 0) || !Number.isFinite(s.temperature)) throw new ConfigError(`temperature must be >= 0, got ${s.temperature}`);
  if (!Number.isInteger(s.topK) || s.topK < 0) throw new ConfigError(`top-k must be a whole number >= 0, got ${s.topK}`);
  if (!(s.topP > 0 && s.topP <= 1)) throw new ConfigError(`top-p must be in (0, 1], got ${s.topP}`);
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

export function applyTemperature(logits: Float64Array, temperature: number): Float64Array {
  if (!(temperature > 0)) throw new ConfigError(`temperature must be > 0 to scale logits, got ${temperature}`);
  return logits.map((x) => x / temperature);
}

/** Sets every logit outside the k largest to -Infinity (ties at the k-th value are kept). */
export function topK(logits: Float64Array, k: number): Float64Array {
  if (k === 0 || k >= logits.length) return logits;
  const kth = [...logits].sort((a, b) => b - a)[k - 1];
  return logits.map((x) => (x >= kth ? x : -Infinity));
}

export function softmax(logits: Float64Array): Float64Array {
  let max = -Infinity;
  for (const x of logits) if (x > max) max = x;
  const exps = logits.map((x) => Math.exp(x - max));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / total);
}

/** Nucleus filtering (Holtzman et al. 2020): zero all but the most likely tokens covering mass p; renormalise. */
export function topP(probs: Float64Array, p: number): Float64Array {
  if (p >= 1) return probs;
  const order = [...probs.keys()].sort((a, b) => probs[b] - probs[a]);
  const kept = new Float64Array(probs.length);
  let mass = 0;
  for (const i of order) {
    kept[i] = probs[i];
    mass += probs[i];
    if (mass >= p) break;
  }
  return kept.map((x) => x / mass);
}

export function draw(probs: Float64Array, rng: Rng): number {
  let u = rng.next();
  for (let i = 0; i < probs.length; i++) {
    u -= probs[i];
    if (u < 0) return i;
  }
  return argmax(probs); // rounding left u >= 0: take the most likely token
}

/** The whole chain for one row of logits. */
export function pickToken(logits: Float64Array, s: SamplingSettings, rng: Rng): number {
  if (s.temperature === 0) return argmax(logits);
  return draw(topP(softmax(topK(applyTemperature(logits, s.temperature), s.topK)), s.topP), rng);
}
