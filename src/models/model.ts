// What the one trainer needs from any model family: named parameters and a scalar loss on a batch.
import type { tf } from '../engine/index.js';

export type Params = Map<string, tf.Variable>;

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
  loss(batch: Batch, options: LossOptions): tf.Scalar;
  dispose(): void;
}
