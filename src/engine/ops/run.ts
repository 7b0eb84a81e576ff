// How ops call kernels: by name, over a range that the thread pool may split between the two cores.
import { getEngine, type PARALLEL_KERNELS } from '../backend.js';

export type ParallelKernel = (typeof PARALLEL_KERNELS)[number];

/**
 * Runs a kernel over [0, extent); `grain` is the least work worth giving a second thread (in the
 * kernel's items), `align` the multiple to split at.
 */
export function run(name: ParallelKernel, args: number[], extent: number, grain: number, align = 1): void {
  const { kernels, pool } = getEngine();
  pool.run(kernels[name], name, args, extent, grain, align);
}

/** Calls a kernel on this thread alone. */
export function call(name: string, ...args: number[]): number {
  return getEngine().kernels[name](...args);
}

/** Items per thread below which splitting an element-wise pass costs more than it saves. */
export const ELEMENT_GRAIN = 32_768;

export const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
