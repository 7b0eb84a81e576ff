// npm run bench:studio: engram studio's figures, measured in Debian's chromium (playwright-core): page load
// until the engine is ready, the backend the page picked, and training speed in the page beside the CLI on
// the same model (the "small" preset = the demo's text settings, on WordNet adverbs) on this machine.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startStudioServer } from '../src/web/server.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const STEPS = 300;

async function inPage(): Promise<{ loadMs: number[]; backend: string; tokensPerSecond: number }> {
  const { server, url } = await startStudioServer({ port: 0, host: '127.0.0.1' });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
  try {
    const loadMs: number[] = [];
    let page;
    for (let i = 0; i < 3; i++) {
      page = await (await browser.newContext()).newPage();
      const started = Date.now();
      await page.goto(url);
      await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
      loadMs.push(Date.now() - started);
    }
    page = page!;
    const backend = (await page.textContent('#backend')) ?? '';
    await page.selectOption('#spec', 'wordnet:adv');
    await page.selectOption('#preset', 'small');
    await page.fill('#steps', String(STEPS));
    await page.click('#train');
    await page.waitForSelector('#download:not([hidden])', { timeout: 600_000 });
    const rate = (await page.textContent('#rate')) ?? '';
    const tokensPerSecond = Number(/([\d,]+) tok\/s/.exec(rate)![1].replaceAll(',', ''));
    return { loadMs, backend, tokensPerSecond };
  } finally {
    await browser.close();
    server.close();
  }
}

function inCli(): number {
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'engram-bench-')), 'm.safetensors');
  const r = spawnSync(process.execPath, [path.join(ROOT, 'dist/src/cli/main.js'), 'train', 'text', '--data', 'wordnet:adv', '--out', out,
    '--steps', String(STEPS), '--batch-size', '32', '--block-size', '64', '--n-layer', '3', '--n-head', '4', '--n-embd', '64', '--dropout', '0',
    '--learning-rate', '5e-3', '--min-learning-rate', '5e-4', '--warmup-steps', '50', '--eval-every', '250', '--eval-batches', '4'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return Number(/at ([\d,]+) tokens\/s/.exec(r.stdout)?.[1]?.replaceAll(',', '') ?? NaN);
}

const page = await inPage();
const cli = inCli();
console.log(`page ready (engine started) in ${page.loadMs.join(', ')} ms; ${page.backend}`);
console.log(`training, small preset (the demo's model), ${STEPS} steps on WordNet adverbs: page ${page.tokensPerSecond.toLocaleString('en-US')} tok/s, CLI ${cli.toLocaleString('en-US')} tok/s (page / CLI ${(page.tokensPerSecond / cli).toFixed(2)})`);
