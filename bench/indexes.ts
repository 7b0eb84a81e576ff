// npm run bench:indexes -- [--sizes 10000,100000,1000000] [--queries 100] [--dir runs/bench-indexes]: the audit's
// nearest-training-image search at scale, LanceDB beside exact search in memory (the default path).
// Training sets are synthetic augmentations of real MNIST digits at 16 px (each a real digit shifted by up to
// 2 px with faint noise, seeded); queries are real digits outside them. For each size: LanceDB build time,
// query time (tiled L2, k = 1, as the audit asks), and recall@1 against exact search; exact search's time in
// memory where the engine holds the set (and, chunked, where it does not).
// Text (--text-sizes, default 10000,100000,1000000 examples): WordNet glosses, beyond WordNet's 207,000 as
// variants with their words rotated; DuckDB's 16-gram index beside today's suffix array in memory: build
// time, time to score 200 held-out glosses, and agreement on every match of 16+ characters.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deriveSeed, initEngine, Rng } from '../src/engine/index.js';
import { loadImageDataset } from '../src/data/images.js';
import { nearestNeighbours, type Neighbours } from '../src/audit/imageNeighbours.js';
import { openLanceImageIndex } from '../src/audit/indexes/lanceImages.js';
import { flag } from '../experiments/flags.js';
import { loadTextDataset, type Example } from '../src/data/index.js';
import { exampleText, memoryVerbatimIndex } from '../src/audit/regurgitation.js';
import { GRAM, openDuckTextIndex } from '../src/audit/indexes/duckText.js';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SIZE = 16;
/** Largest set searched exactly in one piece (the engine's memory holds about this many 16 px images comfortably). */
const EXACT_CHUNK = 100_000;

function augmented(base: readonly Float32Array[], index: number): Float32Array {
  const rng = new Rng(deriveSeed(7, 'augment', index));
  const source = base[index % base.length];
  const dx = rng.int(5) - 2;
  const dy = rng.int(5) - 2;
  const out = new Float32Array(source.length);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const sy = y - dy;
      const sx = x - dx;
      for (let c = 0; c < 3; c++) {
        const v = sy >= 0 && sy < SIZE && sx >= 0 && sx < SIZE ? source[3 * (sy * SIZE + sx) + c] : 0;
        out[3 * (y * SIZE + x) + c] = Math.min(1, Math.max(0, v + 0.02 * rng.normal()));
      }
    }
  }
  return out;
}

/** Exact nearest neighbours over a set too large to search at once: chunk by chunk, keeping the best. */
function exactChunked(queries: readonly Float32Array[], count: number, image: (i: number) => Float32Array): { result: Neighbours; seconds: number } {
  const started = performance.now();
  const best = queries.map(() => ({ index: -1, distance: Infinity }));
  for (let start = 0; start < count; start += EXACT_CHUNK) {
    const chunk = Array.from({ length: Math.min(EXACT_CHUNK, count - start) }, (_, i) => image(start + i));
    const near = nearestNeighbours(queries, chunk, SIZE, 'tiled-l2', 1);
    near.distances.forEach((row, q) => {
      if (row[0] < best[q].distance) best[q] = { index: start + near.indices[q][0], distance: row[0] };
    });
  }
  return { result: { indices: best.map((b) => [b.index]), distances: best.map((b) => [b.distance]) }, seconds: (performance.now() - started) / 1000 };
}

function textExample(all: readonly Example[], i: number): Example {
  const e = all[i % all.length];
  const turn = Math.floor(i / all.length);
  if (turn === 0) return e;
  const words = e.output.split(' ');
  const k = turn % words.length;
  return { input: e.input, output: [...words.slice(k), ...words.slice(0, k)].join(' ') };
}

async function benchText(sizes: readonly number[], dir: string): Promise<Record<string, unknown>[]> {
  const all = loadTextDataset('wordnet').examples;
  const queries = all.slice(-200).map((e) => exampleText(e).trimEnd());
  const pool = all.slice(0, all.length - 200);
  const rows: Record<string, unknown>[] = [];
  for (const n of sizes) {
    const train = Array.from({ length: n }, (_, i) => textExample(pool, i));
    let started = performance.now();
    let memory: ReturnType<typeof memoryVerbatimIndex> | undefined;
    let memoryBuild = NaN;
    try {
      memory = memoryVerbatimIndex(train);
      memoryBuild = (performance.now() - started) / 1000;
    } catch (error) {
      console.log(`  text n = ${n.toLocaleString('en-US')}: suffix array failed: ${String(error).slice(0, 100)}`);
    }
    started = performance.now();
    const fromMemory = memory ? await memory.matchLengths(queries) : undefined;
    const memoryMs = (performance.now() - started) / queries.length;
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `text-${n}.duckdb`);
    rmSync(file, { force: true });
    rmSync(`${file}.wal`, { force: true });
    const duck = await openDuckTextIndex(file, 'bench', train);
    started = performance.now();
    const fromDuck = await duck.matchLengths(queries);
    const duckMs = (performance.now() - started) / queries.length;
    duck.close();
    let agree = 0;
    let long = 0;
    fromMemory?.forEach((m, q) => m.lengths.forEach((l, i) => {
      if (l < GRAM) return;
      long++;
      if (fromDuck[q].lengths[i] === l) agree++;
    }));
    const characters = train.reduce((sum, e) => sum + exampleText(e).length, 0);
    const row = { examples: n, characters, suffixArrayBuildSeconds: memoryBuild, suffixArrayMsPerText: memoryMs, duckBuildSeconds: duck.buildSeconds, duckMsPerText: duckMs, positionsWithLongMatches: long, agreeing: agree };
    rows.push(row);
    console.log(`  text n = ${n.toLocaleString('en-US')} (${(characters / 1e6).toFixed(1)} M chars): suffix array build ${memoryBuild.toFixed(1)} s, ${memoryMs.toFixed(2)} ms/text; DuckDB build ${duck.buildSeconds.toFixed(1)} s, ${duckMs.toFixed(2)} ms/text (200 texts in one query); ${agree}/${long} positions with 16+ matches agree`);
  }
  return rows;
}

async function main(): Promise<void> {
  await initEngine();
  const sizes = flag('sizes', '10000,100000,1000000').split(',').map(Number);
  const queryCount = Number(flag('queries', '100'));
  const dir = flag('dir', path.join(ROOT, 'runs', 'bench-indexes'));
  const mnist = loadImageDataset('mnist', { size: SIZE }).examples.map((e) => e.image.pixels);
  const base = mnist.slice(0, 9000);
  const queries = mnist.slice(9000, 9000 + queryCount);
  const rows: Record<string, unknown>[] = [];
  for (const n of sizes.filter(Boolean)) {
    const image = (i: number) => augmented(base, i);
    const location = path.join(dir, `n${n}`);
    rmSync(location, { recursive: true, force: true });
    mkdirSync(location, { recursive: true });
    const index = await openLanceImageIndex(location, 'images', { count: n, batch: (a, b) => Array.from({ length: b - a }, (_, i) => image(a + i)) }, SIZE,
      (done, total) => process.stdout.write(`\r  n = ${n.toLocaleString('en-US')}: building ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')}   `));
    const started = performance.now();
    const found = await index.nearest(queries, 'tiled-l2', 1);
    const querySeconds = (performance.now() - started) / 1000;
    const exact = exactChunked(queries, n, image);
    const hits = found.distances.filter((row, q) => row[0] <= exact.result.distances[q][0] + 1e-6).length;
    const row = {
      images: n, ann: index.ann, buildSeconds: index.buildSeconds, lanceMsPerQuery: (1000 * querySeconds) / queries.length,
      exactMsPerQuery: (1000 * exact.seconds) / queries.length, recallAt1: hits / queries.length, queries: queries.length,
    };
    rows.push(row);
    console.log(`\r  n = ${n.toLocaleString('en-US')}: build ${row.buildSeconds.toFixed(1)} s (${row.ann}); LanceDB ${row.lanceMsPerQuery.toFixed(1)} ms/query, exact in memory ${row.exactMsPerQuery.toFixed(1)} ms/query (${queries.length} queries in one batch); recall@1 ${(100 * row.recallAt1).toFixed(1)}%`);
  }
  const textRows = await benchText(flag('text-sizes', '10000,100000,1000000').split(',').filter(Boolean).map(Number), dir);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'results.json'), JSON.stringify({ size: SIZE, rows, text: textRows }, null, 2));
  console.log(`wrote ${path.join(dir, 'results.json')}`);
}

await main();
