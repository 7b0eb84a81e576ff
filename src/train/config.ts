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

export function validateTrainConfig(c: TrainConfig): void {
  for (const key of ['steps', 'batchSize', 'evalEvery', 'evalBatches'] as const) {
    if (!Number.isInteger(c[key]) || c[key] < 1) throw new ConfigError(`${key} must be a positive integer, got ${c[key]}`);
  }
  if (!Number.isInteger(c.warmupSteps) || c.warmupSteps < 0) throw new ConfigError(`warmupSteps must be >= 0, got ${c.warmupSteps}`);
  if (!(c.learningRate > 0) || !(c.minLearningRate >= 0)) throw new ConfigError('learning rates must be positive');
  if (c.keep !== 'best' && c.keep !== 'last') throw new ConfigError(`keep must be "best" or "last", got ${c.keep}`);
  if (!(c.emaDecay >= 0 && c.emaDecay < 1)) throw new ConfigError(`emaDecay must be in [0, 1), got ${c.emaDecay}`);
}

/** Linear warm-up, then cosine decay from learningRate to minLearningRate over the remaining steps. */
export function learningRateAt(step: number, c: TrainConfig): number {
  if (step < c.warmupSteps) return (c.learningRate * (step + 1)) / c.warmupSteps;
  const progress = Math.min(1, (step - c.warmupSteps) / Math.max(1, c.steps - c.warmupSteps));
  return c.minLearningRate + 0.5 * (1 + Math.cos(Math.PI * progress)) * (c.learningRate - c.minLearningRate);
}
