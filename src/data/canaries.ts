// Canaries (Carlini et al. 2019, "The Secret Sharer"): random secrets of a fixed format inserted into the
// training data a chosen number of times, so the audit can measure how much the model learned them against
// secrets of the same format it never saw. The secrets are rebuilt from a seed; the weights file keeps only
// their hashes and repeat counts.
import { Rng, deriveSeed } from '../engine/index.js';
import { ConfigError } from '../errors.js';
import { exampleHash, type Example } from './dataset.js';

export interface CanarySpec {
  /** Canaries per repeat count. */
  readonly count: number;
  /** How many times each group is inserted; 0 makes canaries that are never inserted (the reference). */
  readonly repeats: readonly number[];
  readonly seed: number;
}

export interface Canary extends Example {
  readonly repeats: number;
  readonly hash: string;
}

/** Repeat counts used when --canary-repeats is not given: 0 is the never-inserted reference. */
export const CANARY_REPEATS = [0, 1, 4, 16] as const;

/** The secret's format: three groups of three digits, so there are 10^9 possible secrets. */
export const CANARY_SPACE_BITS = Math.log2(1e9);

export function canaryPrompt(index: number): string {
  return `the code for locker ${String(index + 1).padStart(3, "0")} is`; // equal lengths: one batch at audit time
}

export function randomSecret(rng: Rng): string {
  const group = () => String(rng.int(1000)).padStart(3, '0');
  return `${group()} ${group()} ${group()}`;
}

export function validateCanarySpec(spec: CanarySpec): void {
  if (!Number.isInteger(spec.count) || spec.count < 1) throw new ConfigError(`canary count must be a positive integer, got ${spec.count}`);
  if (spec.repeats.length === 0 || spec.repeats.some((r) => !Number.isInteger(r) || r < 0)) {
    throw new ConfigError(`canary repeats must be whole numbers >= 0, got ${spec.repeats.map(String).join(',')}`);
  }
}

/** All canaries of a spec, inserted or not, in a fixed order. */
export function makeCanaries(spec: CanarySpec): Canary[] {
  validateCanarySpec(spec);
  const rng = new Rng(deriveSeed(spec.seed, 'canaries'));
  const canaries: Canary[] = [];
  spec.repeats.forEach((repeats) => {
    for (let i = 0; i < spec.count; i++) {
      const example = { input: canaryPrompt(canaries.length), output: randomSecret(rng) };
      canaries.push({ ...example, repeats, hash: exampleHash(example) });
    }
  });
  return canaries;
}

/** What the weights file keeps of canaries: hashes and repeat counts, never the secrets. */
export function canaryHashes(canaries: readonly Canary[]): { hash: string; repeats: number }[] {
  return canaries.map((c) => ({ hash: c.hash, repeats: c.repeats }));
}

/** The training copies: each canary as many times as its repeat count. */
export function canaryCopies(canaries: readonly Canary[]): Example[] {
  return canaries.flatMap((c) => Array.from({ length: c.repeats }, () => ({ input: c.input, output: c.output })));
}
