// The optimizer's inner loops as kernels: one fused AdamW pass per parameter, and the sum of squares that
// the global gradient norm is made of.
import type { Tensor, Variable } from '../tensor.js';
import { call, run, ELEMENT_GRAIN } from './run.js';

export interface AdamWStep {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  /** 1 - beta^t, the bias corrections. */
  readonly correction1: number;
  readonly correction2: number;
  readonly epsilon: number;
  /** Decoupled weight decay for this parameter (0 for biases and gains). */
  readonly weightDecay: number;
  /** The gradient is multiplied by this first (global-norm clipping). */
  readonly gradScale: number;
}

/** Updates param and its moments m, v in place from gradient g. */
export function adamw(param: Variable, g: Tensor, m: Variable, v: Variable, s: AdamWStep): void {
  run('adamw', [param.ptr, g.ptr, m.ptr, v.ptr, s.learningRate, s.beta1, s.beta2, s.correction1, s.correction2, s.epsilon, s.weightDecay, s.gradScale], param.size, ELEMENT_GRAIN, 4);
}

/** Sum of the squares of all values, accumulated in float64 in a fixed order. */
export function sumOfSquares(t: Tensor): number {
  return call('sumSquares', t.ptr, t.size);
}
