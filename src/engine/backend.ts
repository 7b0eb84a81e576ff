// The one place that knows how the engine is set up on this platform: it loads engram's WebAssembly
// kernels (src/engine/kernels/, AssemblyScript compiled with SIMD at build time), creates the memory every
// tensor lives in, and starts a worker thread when the platform has shared memory and more than one core.
// Node reads the kernels from disk beside this file; a browser build passes the bytes in (setUp below).
import os from 'node:os';
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { EngramError } from '../errors.js';
import { EngineMemory } from './memory.js';
import { CONTROL_BYTES, ThreadPool, type KernelProfile } from './threads.js';

/** Kernel exports by name (all take numbers; pointers are byte offsets into the engine's memory). */
export type Kernels = Record<string, (...args: number[]) => number>;

export interface Engine {
  readonly kernels: Kernels;
  readonly memory: EngineMemory;
  readonly pool: ThreadPool;
  readonly description: string;
}

/** Kernels the worker can run, in a fixed order that both sides index by. */
export const PARALLEL_KERNELS = [
  'gemm', 'binaryBroadcast', 'unary', 'unaryGrad', 'sumMiddle', 'dropout', 'layerNormForward', 'layerNormBackward',
  'layerNormParamGrads', 'softmaxRows', 'logSoftmaxGrad', 'crossEntropyForward', 'crossEntropyBackward', 'gatherRows',
  'scatterAddRows', 'attentionForward', 'attentionBackward', 'im2col3x3', 'avgPool2', 'spreadHalf',
  'sumPool2', 'adamw', 'pad1', 'conv3x3', 'gemmPrepacked', 'copyRows',
] as const;

/** Per-thread scratch for kernels' packing buffers (the product's GEMM_SCRATCH_BYTES, a packed filter). */
export const THREAD_SCRATCH_BYTES = 1 << 20;

let engine: Engine | undefined;
let starting: Promise<Engine> | undefined;

/** The engine, once initEngine() has finished. */
export function getEngine(): Engine {
  if (!engine) throw new Error('the engine is not initialised: await initEngine() first');
  return engine;
}

/**
 * Sets up the engine once per process; later calls return the same promise. Threads: ENGRAM_THREADS (1 or
 * 2), else 2 where there are two or more cores. Without wasm SIMD it stops with a clear error.
 */
export function initEngine(threads?: number): Promise<Engine> {
  starting ??= setUp(threads ?? defaultThreads());
  return starting;
}

function defaultThreads(): number {
  const fromEnv = process.env.ENGRAM_THREADS;
  if (fromEnv !== undefined) {
    const n = Number(fromEnv);
    if (!(n === 1 || n === 2)) throw new EngramError(`ENGRAM_THREADS must be 1 or 2, got "${fromEnv}"`);
    return n;
  }
  return Math.min(2, os.availableParallelism());
}

function kernelBytes(file: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(readFileSync(new URL(`./${file}`, import.meta.url)));
}

async function setUp(threads: number): Promise<Engine> {
  // Shared memory even for one thread where the platform has it: growing a shared memory never detaches the
  // views tensors hand out (tensor.data), growing a plain one does.
  const shared = typeof SharedArrayBuffer === 'function';
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(kernelBytes(shared ? 'kernels.wasm' : 'kernels-single.wasm'));
  } catch (error) {
    throw new EngramError(`engram's WebAssembly kernels could not load (they need WebAssembly SIMD, Node 20 has it): ${(error as Error).message}`);
  }
  // The first 64 KiB stay unused: a kernel module with static data would place it there (ours has none,
  // which a test checks), and a stray null pointer then hits nothing of value.
  const memory = new EngineMemory(shared, 65536);
  const controlAt = memory.alloc(CONTROL_BYTES);
  const scratch = [memory.alloc(THREAD_SCRATCH_BYTES), memory.alloc(THREAD_SCRATCH_BYTES)];
  const instance = new WebAssembly.Instance(module, { env: { memory: memory.memory } });
  const kernels = instance.exports as unknown as Kernels;
  const gemmScratch = (instance.exports.GEMM_SCRATCH_BYTES as WebAssembly.Global).value as number;
  if (gemmScratch > THREAD_SCRATCH_BYTES) throw new Error(`the product kernel needs ${gemmScratch} bytes of scratch per thread, more than ${THREAD_SCRATCH_BYTES}`);
  kernels.setThread(0, scratch[0]);
  const ids = new Map(PARALLEL_KERNELS.map((name, i) => [name as string, i]));
  const worker = shared && threads > 1 ? await startWorker(module, memory.memory, controlAt, scratch[1]) : undefined;
  const pool = new ThreadPool(memory.memory, controlAt, worker, ids);
  const description = `engram wasm SIMD kernels, ${pool.threads} thread${pool.threads > 1 ? 's' : ''}`;
  engine = { kernels, memory, pool, description };
  return engine;
}

/** The second thread, or undefined (and one thread) when the platform cannot start it. */
async function startWorker(module: WebAssembly.Module, memory: WebAssembly.Memory, controlAt: number, scratch: number): Promise<Worker | undefined> {
  try {
    const worker = new Worker(new URL('./nodeWorker.js', import.meta.url), { workerData: { module, memory, controlAt, scratch } });
    await new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', reject);
    });
    worker.unref(); // a worker waiting for calls must not keep the process alive
    return worker;
  } catch (error) {
    process.stderr.write(`engram: running on one thread (the second could not start: ${(error as Error).message})\n`);
    return undefined;
  }
}

export function backendName(): string {
  return engine?.description ?? 'not initialised';
}

/** Runs fn and returns where its kernel time went (ms and calls per kernel), for benchmarks. */
export function profileKernels<T>(fn: () => T): { result: T; kernels: KernelProfile } {
  const { pool } = getEngine();
  const kernels: KernelProfile = new Map();
  pool.profile = kernels;
  try {
    return { result: fn(), kernels };
  } finally {
    pool.profile = undefined;
  }
}
