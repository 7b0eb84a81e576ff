// The one place that knows which tensor backend runs. In Node that is TensorFlow.js's WebAssembly backend
// (SIMD, one thread): ~15-30x faster than the pure-JS cpu backend on matmul, and it installs offline, unlike
// tfjs-node. A browser build would pick WebGPU/WebGL here; nothing outside src/engine/ may care.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// The union package's bundle registers every op's gradient (tfjs-core alone registers none).
import '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import path from 'node:path';

export type BackendName = 'wasm' | 'cpu';

let ready: Promise<BackendName> | undefined;

/** Sets up the backend once per process; later calls return the same promise. */
export function initEngine(preferred: BackendName = 'wasm'): Promise<BackendName> {
  ready ??= setUp(preferred);
  return ready;
}

async function setUp(preferred: BackendName): Promise<BackendName> {
  if (preferred === 'wasm') {
    // The .wasm binaries ship inside the npm package; point the loader at them so nothing is fetched.
    const require = createRequire(import.meta.url);
    const pkg = require.resolve('@tensorflow/tfjs-backend-wasm/package.json');
    setWasmPaths(path.join(path.dirname(pkg), 'dist') + path.sep);
  }
  const ok = await tf.setBackend(preferred);
  if (!ok) throw new Error(`tensor backend ${preferred} failed to initialise`);
  await tf.ready();
  return preferred;
}

export function backendName(): string {
  return tf.getBackend();
}
