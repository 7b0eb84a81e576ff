// The second thread in Node: its own instance of the kernels on the shared memory, serving calls from the
// main thread (see threads.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { PARALLEL_KERNELS } from './kernelList.js';
import { serveCalls } from './threads.js';

const { module, memory, controlAt, scratch } = workerData as { module: WebAssembly.Module; memory: WebAssembly.Memory; controlAt: number; scratch: number };
const instance = new WebAssembly.Instance(module, { env: { memory } });
const exports = instance.exports as unknown as Record<string, (...args: number[]) => unknown>;
exports.setThread(1, scratch);
parentPort!.postMessage('ready');
serveCalls(memory, controlAt, PARALLEL_KERNELS.map((name) => exports[name]));
