// What the one trainer needs from any model family: named parameters and a scalar loss on a batch.
import { Rng, deriveSeed, variableOf, type Tensor, type Variable } from '../engine/index.js';

export type Params = Map<string, Variable>;

export interface LossOptions {
  /** Training mode turns dropout on. */
  readonly training: boolean;
  /** Seed for this call's dropout masks, so a step is reproducible. */
  readonly seed: number;
}

export interface TrainableModel<Batch> {
  /** Model family, as written in the weights file ("gpt", later "unet", "tagger"). */
  readonly kind: string;
  readonly params: Params;
  /** Mean loss over the batch, a scalar tensor (gradients flow through it). */
  loss(batch: Batch, options: LossOptions): Tensor;
  dispose(): void;
}

/**
 * Seeded parameters for ReLU networks: He initialisation, N(0, 2 / fan_in) with fan_in = shape[0], for the
 * names `isRandom` picks; zeros for the rest (biases, and layers that should start as a no-op).
 */
export function heInitParams(shapes: readonly [string, number[]][], seed: number, isRandom: (name: string, shape: number[]) => boolean): Params {
  const rng = new Rng(deriveSeed(seed, 'init'));
  const params: Params = new Map();
  for (const [name, shape] of shapes) {
    const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (isRandom(name, shape)) for (let i = 0; i < values.length; i++) values[i] = rng.normal() * Math.sqrt(2 / shape[0]);
    params.set(name, variableOf(values, shape));
  }
  return params;
}
