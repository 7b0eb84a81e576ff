// What the engine needs from the platform, in a browser (a Web Worker runs the engine): the kernels are
// fetched from beside the bundle, and the second thread is another Web Worker (webKernelWorker.ts) on the
// same shared memory. Shared memory needs a cross-origin-isolated page (engram studio's server sends the
// headers); elsewhere the engine runs the single-memory kernels on one thread.
import type { WorkerPort } from './threads.js';
import type { WorkerStart } from './platform.js';

export const platformName = 'browser';

export function defaultThreads(): number {
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  return isolated ? Math.min(2, navigator.hardwareConcurrency || 1) : 1;
}

const besideBundle = (file: string) => new URL(`./${file}`, (globalThis as unknown as { location: { href: string } }).location.href);

export async function kernelModule(file: string): Promise<WebAssembly.Module> {
  const response = await fetch(besideBundle(file));
  if (!response.ok) throw new Error(`${file}: HTTP ${response.status}`);
  return WebAssembly.compile(await response.arrayBuffer());
}

export async function startWorker(start: WorkerStart): Promise<WorkerPort | undefined> {
  try {
    const worker = new Worker(besideBundle('kernel-worker.js'), { type: 'module' });
    await new Promise<void>((resolve, reject) => {
      worker.onmessage = () => resolve();
      worker.onerror = (e) => reject(new Error(e.message));
      worker.postMessage(start);
    });
    return worker;
  } catch {
    return undefined;
  }
}
