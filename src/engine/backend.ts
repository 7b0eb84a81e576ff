// The one place that knows how the engine is set up on this platform: it loads engram's WebAssembly
// kernels (src/engine/kernels/, AssemblyScript compiled with SIMD at build time), creates the memory every
// tensor lives in, and starts a worker thread when the platform has shared memory and more than one core.
// Where the kernels come from and how the second thread starts differ between Node and a browser:
// platform.ts (Node) or platform.web.ts (the browser bundle) answers.
import { EngramError } from '../errors.js';
import { defaultThreads, kernelModule, platformName, startWorker } from './platform.js';
import { PARALLEL_KERNELS } from './kernelList.js';
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

export { PARALLEL_KERNELS };

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

async function setUp(threads: number): Promise<Engine> {
  // Shared memory even for one thread where the platform has it: growing a shared memory never detaches the
  // views tensors hand out (tensor.data), growing a plain one does.
  const shared = typeof SharedArrayBuffer === 'function';
  let module: WebAssembly.Module;
  try {
    module = await kernelModule(shared ? 'kernels.wasm' : 'kernels-single.wasm');
  } catch (error) {
    throw new EngramError(`engram's WebAssembly kernels could not load (they need WebAssembly SIMD${platformName === 'node' ? ', Node 20 has it' : ''}): ${(error as Error).message}`);
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
  const worker = shared && threads > 1 ? await startWorker({ module, memory: memory.memory, controlAt, scratch: scratch[1] }) : undefined;
  const pool = new ThreadPool(memory.memory, controlAt, worker, ids);
  const description = `engram wasm SIMD kernels, ${pool.threads} thread${pool.threads > 1 ? 's' : ''}${shared ? '' : ' (no shared memory)'}`;
  engine = { kernels, memory, pool, description };
  return engine;
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
