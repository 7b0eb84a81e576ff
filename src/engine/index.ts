// The engine boundary: the tensor library, backend set-up, seeding and tensor-memory hygiene.
// Models and the trainer import `tf` from here, never from @tensorflow/* directly.
import * as tf from '@tensorflow/tfjs-core';

export { tf };
export { initEngine, backendName, type BackendName } from './backend.js';
export { Rng, deriveSeed, hash32 } from './random.js';
export * as ops from './ops.js';

/**
 * A trainable (or frozen) variable holding `values`. Made inside tidy so the temporary tensor that carries
 * the initial value is released; tf.variable(tf.tensor(...)) alone leaks that tensor for the process's life.
 */
export function variableOf(values: Float32Array, shape: number[], trainable = true): tf.Variable {
  return tf.tidy(() => tf.variable(tf.tensor(values, shape), trainable));
}

/** Number of live tensors; a training step or a sampling call must leave it unchanged. */
export function liveTensors(): number {
  return tf.memory().numTensors;
}
