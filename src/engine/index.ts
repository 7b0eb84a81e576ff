// The engine boundary: the tensor library, backend set-up, seeding and tensor-memory hygiene.
// Models and the trainer import `tf` from here, never from @tensorflow/* directly.
import * as tf from '@tensorflow/tfjs-core';

export { tf };
export { initEngine, backendName, type BackendName } from './backend.js';
export { Rng, deriveSeed, hash32 } from './random.js';
export * as ops from './ops.js';

/** Number of live tensors; a training step or a sampling call must leave it unchanged. */
export function liveTensors(): number {
  return tf.memory().numTensors;
}
