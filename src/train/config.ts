// Training settings as a typed config with defaults; CLI flags override them and the weights file keeps them.
import { ConfigError } from '../errors.js';

export interface TrainConfig {
  readonly steps: number;
  readonly batchSize: number;
  /** Peak learning rate, reached after warm-up. */
  readonly learningRate: number;
  /** Learning rate at the end of the cosine decay. */
  readonly minLearningRate: number;
  readonly warmupSteps: number;
  /** Decoupled weight decay (AdamW), applied to matrices only. */
  readonly weightDecay: number;
  readonly beta1: number;
  readonly beta2: number;
  /** Clip the global gradient norm to this value (0 = no clipping). */
  readonly gradClip: number;
  /** Evaluate train and held-out loss every this many steps. */
  readonly evalEvery: number;
  /** Batches per evaluation. */
  readonly evalBatches: number;
  /** Seed for initialisation, batches and dropout. */
  readonly seed: number;
  /** Which weights the output file holds: those with the best held-out loss, or the last. */
  readonly keep: 'best' | 'last';
  /** Decay of the moving average of the weights that is evaluated and shipped (0 = ship the weights as trained). */
  readonly emaDecay: number;
}

export const TRAIN_DEFAULTS: TrainConfig = {
  steps: 2000,
  batchSize: 32,
  learningRate: 3e-3,
  minLearningRate: 3e-4,
  warmupSteps: 100,
  weightDecay: 0.1,
  beta1: 0.9,
  beta2: 0.99,
  gradClip: 1.0,
  evalEvery: 250,
  evalBatches: 8,
  seed: 1337,
  keep: 'best',
  emaDecay: 0,
};

interface Range {
  readonly min: number;
  readonly max: number;
  /** The upper end is excluded ([min, max)). */
  readonly maxExclusive?: boolean;
  readonly integer?: boolean;
}

/** Every numeric setting's range; a flag outside it is refused with the range in the message. */
const RANGES: { readonly [K in keyof TrainConfig]?: Range } = {
  steps: { min: 1, max: 1e9, integer: true },
  batchSize: { min: 1, max: 65536, integer: true },
  learningRate: { min: Number.MIN_VALUE, max: 10 },
  minLearningRate: { min: 0, max: 10 },
  warmupSteps: { min: 0, max: 1e9, integer: true },
  weightDecay: { min: 0, max: 10 },
  beta1: { min: 0, max: 1, maxExclusive: true },
  beta2: { min: 0, max: 1, maxExclusive: true },
  gradClip: { min: 0, max: 1e6 },
  evalEvery: { min: 1, max: 1e9, integer: true },
  evalBatches: { min: 1, max: 10000, integer: true },
  seed: { min: 0, max: 2 ** 32 - 1, integer: true },
  emaDecay: { min: 0, max: 1, maxExclusive: true },
};

/** "--beta1 must be in [0, 1), got 2". */
export function checkRange(flag: string, value: number, r: Range): void {
  const inside = Number.isFinite(value) && value >= r.min && (r.maxExclusive ? value < r.max : value <= r.max) && (!r.integer || Number.isInteger(value));
  if (!inside) {
    const range = `${r.integer ? 'a whole number in ' : ''}[${r.min === Number.MIN_VALUE ? '>0' : r.min}, ${r.max}${r.maxExclusive ? ')' : ']'}`;
    throw new ConfigError(`${flag.startsWith('-') ? flag : `--${flag}`} must be ${range}, got ${value}`);
  }
}

export function validateTrainConfig(c: TrainConfig): void {
  for (const [key, range] of Object.entries(RANGES) as [keyof TrainConfig, Range][]) {
    checkRange(key.replace(/[A-Z]/g, (ch) => `-${ch.toLowerCase()}`), c[key] as number, range);
  }
  if (c.minLearningRate > c.learningRate) throw new ConfigError(`--min-learning-rate (${c.minLearningRate}) must not exceed --learning-rate (${c.learningRate})`);
  if (c.keep !== 'best' && c.keep !== 'last') throw new ConfigError(`--keep must be "best" or "last", got ${c.keep}`);
}

/** Linear warm-up, then cosine decay from learningRate to minLearningRate over the remaining steps. */
export function learningRateAt(step: number, c: TrainConfig): number {
  if (step < c.warmupSteps) return (c.learningRate * (step + 1)) / c.warmupSteps;
  const progress = Math.min(1, (step - c.warmupSteps) / Math.max(1, c.steps - c.warmupSteps));
  return c.minLearningRate + 0.5 * (1 + Math.cos(Math.PI * progress)) * (c.learningRate - c.minLearningRate);
}
