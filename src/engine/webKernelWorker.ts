// The second thread in a browser: a Web Worker with its own instance of the kernels on the shared memory,
// serving calls from the engine's thread (see threads.ts), as nodeWorker.ts does in Node.
import { PARALLEL_KERNELS } from './kernelList.js';
import { serveCalls } from './threads.js';
import type { WorkerStart } from './platform.js';

self.onmessage = (event: MessageEvent<WorkerStart>) => {
  const { module, memory, controlAt, scratch } = event.data;
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const exports = instance.exports as unknown as Record<string, (...args: number[]) => unknown>;
  exports.setThread(1, scratch);
  (self as unknown as { postMessage(m: unknown): void }).postMessage('ready');
  serveCalls(memory, controlAt, PARALLEL_KERNELS.map((name) => exports[name]));
};
