// Builds engram studio's page into dist/web: the page script, the Web Worker that runs the engine, the
// kernels' second-thread worker, the WebAssembly kernels and the HTML. The same src/ code as the CLI: node:*
// modules are swapped for small browser shims (src/web/shims) and the engine's platform.ts for platform.web.ts.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist', 'web');
const shims = {
  'node:crypto': 'src/web/shims/crypto.ts',
  'node:zlib': 'src/web/shims/zlib.ts',
  pngjs: 'src/web/shims/pngjs.ts',
};
for (const name of ['node:fs', 'node:path', 'node:module', 'node:os', 'node:worker_threads', 'node:url']) shims[name] = 'src/web/shims/unavailable.ts';

const browserPlugin = {
  name: 'engram-browser',
  setup(b) {
    b.onResolve({ filter: /^(node:[a-z_]+|pngjs)$/ }, (args) => ({ path: path.join(root, shims[args.path] ?? 'src/web/shims/unavailable.ts') }));
    // The engine's platform: Node's file for the CLI, the browser's here.
    b.onResolve({ filter: /\/platform\.js$/ }, (args) => (args.importer.includes(`${path.sep}engine${path.sep}`) ? { path: path.join(root, 'src/engine/platform.web.ts') } : undefined));
  },
};

mkdirSync(out, { recursive: true });
await build({
  entryPoints: { app: 'src/web/page.ts', worker: 'src/web/worker.ts', 'kernel-worker': 'src/engine/webKernelWorker.ts' },
  absWorkingDir: root, outdir: out, bundle: true, format: 'esm', platform: 'browser', target: 'chrome110',
  sourcemap: true, minify: false, plugins: [browserPlugin], logLevel: 'warning', define: { 'process.env.ENGRAM_THREADS': 'undefined' },
});
copyFileSync(path.join(root, 'src/web/index.html'), path.join(out, 'index.html'));
for (const file of ['kernels.wasm', 'kernels-single.wasm']) copyFileSync(path.join(root, 'dist/src/engine', file), path.join(out, file));
