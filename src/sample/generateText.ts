// Text generation from a GPT: n samples in one batch from the same prefix, one new token per forward pass
// against a key/value cache, each stopping at <eos>. Temperature 0 is greedy and deterministic.
import { Rng, deriveSeed, tidy } from '../engine/index.js';
import { ConfigError } from '../errors.js';
import { EOS } from '../codecs/charTokenizer.js';
import { disposeKvCache, newKvCache, type Gpt, type KvCache } from '../models/gpt.js';
import { pickToken, validateSampling, type SamplingSettings } from './transforms.js';

export interface GenerateOptions extends SamplingSettings {
  readonly seed: number;
  readonly samples: number;
  /** Most new tokens per sample. */
  readonly maxTokens: number;
}

export const GENERATE_DEFAULTS: Omit<GenerateOptions, keyof SamplingSettings> = { seed: 0, samples: 1, maxTokens: 200 };


/** Generates continuations of `prefix` (token ids); returns the new tokens of each sample, without <eos>. */
export function generateTokens(model: Gpt, prefix: readonly number[], options: GenerateOptions): number[][] {
  if (!Number.isInteger(options.samples) || options.samples < 1) throw new ConfigError(`samples must be >= 1, got ${options.samples}`);
  const prefixes = Array.from({ length: options.samples }, () => prefix);
  return generateFromPrefixes(model, prefixes, options).map((ids) => (ids.at(-1) === EOS ? ids.slice(0, -1) : ids));
}

/**
 * Continues each of several prefixes of equal length, all in one batch (sample i uses its own random stream,
 * seeded by (seed, i)). Each continuation ends with <eos> if the model generated it, else after maxTokens.
 */
export function generateFromPrefixes(model: Gpt, prefixes: readonly (readonly number[])[], options: Omit<GenerateOptions, 'samples'>): number[][] {
  validateSampling(options);
  const n = prefixes.length;
  if (n === 0 || prefixes[0].length === 0) throw new ConfigError('generation needs at least one non-empty prefix');
  if (prefixes.some((p) => p.length !== prefixes[0].length)) throw new Error('prefixes in one batch must have equal length');
  const V = model.config.vocabSize;
  const rngs = Array.from({ length: n }, (_, i) => new Rng(deriveSeed(options.seed, 'sample', i)));
  const rows = prefixes.map((p) => [...p]);
  const generated: number[][] = Array.from({ length: n }, () => []);
  const done = new Array<boolean>(n).fill(false);

  // One cache for the whole generation: each call appends its positions, so nothing is copied per token.
  const cache = newKvCache(model.config, n);
  try {
    let lastLogits = run(model, rows.map((r) => r.slice(-contextFor(model, r.length))), cache);
    for (let t = 0; t < options.maxTokens && done.includes(false); t++) {
      const next = rows.map((_, i) => pickToken(Float64Array.from(lastLogits.subarray(i * V, (i + 1) * V)), options, rngs[i]));
      next.forEach((id, i) => {
        rows[i].push(id);
        if (done[i]) return;
        generated[i].push(id);
        if (id === EOS) done[i] = true;
      });
      if (!done.includes(false) || t + 1 === options.maxTokens) break;
      if (cache.layers[0].length + 1 <= model.config.blockSize) {
        lastLogits = run(model, next.map((id) => [id]), cache);
      } else {
        // Context full: positions are absolute, so restart from the last half-context of each row.
        const keep = Math.floor(model.config.blockSize / 2);
        for (const layer of cache.layers) layer.length = 0;
        lastLogits = run(model, rows.map((r) => r.slice(-keep)), cache);
      }
    }
  } finally {
    disposeKvCache(cache);
  }
  return generated;
}

function contextFor(model: Gpt, length: number): number {
  return Math.min(length, model.config.blockSize);
}

/** Runs rows (equal length) through the model against the cache; returns each row's last logits [rows * vocab]. */
function run(model: Gpt, rows: number[][], cache: KvCache): Float32Array {
  const B = rows.length;
  const T = rows[0].length;
  const V = model.config.vocabSize;
  const ids = Int32Array.from(rows.flat());
  return tidy(() => {
    const logits = model.forward(ids, B, T, { training: false, seed: 0, cache }).data; // [B * T, V]
    const last = new Float32Array(B * V);
    for (let b = 0; b < B; b++) last.set(logits.subarray((b * T + T - 1) * V, (b * T + T) * V), b * V);
    return last;
  });
}
