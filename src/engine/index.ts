// The engine boundary: engram's tensors, the ops models are written with, gradients, seeding and memory
// hygiene. Models, the trainer and the samplers import from here, never from the files behind it.
export { initEngine, backendName, profileKernels } from './backend.js';
export { Tensor, Variable, tensor, intTensor, zeros, empty, variable, tidy, dispose, liveTensors } from './tensor.js';
export { valueAndGrads } from './autograd.js';
export { Rng, deriveSeed, hash32 } from './random.js';
export * as ops from './ops/index.js';

import { variable, type Variable } from './tensor.js';

/** A trainable (or frozen) variable holding `values`. */
export function variableOf(values: Float32Array, shape: number[], trainable = true): Variable {
  return variable(values, shape, trainable);
}
