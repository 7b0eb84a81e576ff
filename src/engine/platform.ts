// What the engine needs from the platform it runs on, for Node: its core count (or ENGRAM_THREADS), the
// kernels' bytes from disk beside this file, and a worker_threads worker for the second thread. The browser
// build swaps this file for platform.web.ts (see scripts/build-web.mjs); nothing else differs.
import os from 'node:os';
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { EngramError } from '../errors.js';
import type { WorkerPort } from './threads.js';

export interface WorkerStart {
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  readonly controlAt: number;
  readonly scratch: number;
}

export const platformName = 'node';

/** ENGRAM_THREADS (1 or 2), else 2 where there are two or more cores. */
export function defaultThreads(): number {
  const fromEnv = process.env.ENGRAM_THREADS;
  if (fromEnv !== undefined) {
    const n = Number(fromEnv);
    if (!(n === 1 || n === 2)) throw new EngramError(`ENGRAM_THREADS must be 1 or 2, got "${fromEnv}"`);
    return n;
  }
  return Math.min(2, os.availableParallelism());
}

export async function kernelModule(file: string): Promise<WebAssembly.Module> {
  return new WebAssembly.Module(new Uint8Array(readFileSync(new URL(`./${file}`, import.meta.url))));
}

/** The second thread, or undefined (and one thread) when it cannot start. */
export async function startWorker(start: WorkerStart): Promise<WorkerPort | undefined> {
  try {
    const worker = new Worker(new URL('./nodeWorker.js', import.meta.url), { workerData: start });
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
