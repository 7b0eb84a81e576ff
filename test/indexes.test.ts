// Audit indexes for data larger than memory: LanceDB for nearest training images, DuckDB for verbatim text
// matches. Where both paths run they must agree with the in-memory ones (exact search, the suffix array).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { loadImageDataset } from '../src/data/images.js';
import { memorySearch } from '../src/audit/imageNeighbours.js';
import { openLanceImageIndex } from '../src/audit/indexes/lanceImages.js';
import { openDuckTextIndex, GRAM } from '../src/audit/indexes/duckText.js';
import { exampleText, memoryVerbatimIndex } from '../src/audit/regurgitation.js';
import { ready, wordnetAdverbs } from './helpers.js';
import { scratchDir } from './scratch.js';

await ready;

test('LanceDB image index: the same nearest training images as exact search, for L2 and tiled L2', { timeout: 120_000 }, async () => {
  const digits = loadImageDataset('mnist:40', { size: 16 }).examples.map((e) => e.image.pixels);
  const train = digits.slice(0, 300);
  const queries = [...digits.slice(300, 330), train[7], train[123]];
  const dir = scratchDir('lance');
  const index = await openLanceImageIndex(dir, 'digits', train, 16);
  assert.equal(index.count, 300);
  assert.ok(index.buildSeconds > 0);
  const exact = memorySearch(train, 16);
  for (const distance of ['l2', 'tiled-l2'] as const) {
    const [found, truth] = [await index.nearest(queries, distance, 3), await exact.nearest(queries, distance, 3)];
    assert.deepEqual(found.indices, truth.indices, distance);
    // Exact search in memory gets distances from |q|^2 + |x|^2 - 2 q.x in float32: a self-match can read ~1e-4, not 0.
    found.distances.flat().forEach((d, i) => assert.ok(Math.abs(d - truth.distances.flat()[i]) < 1e-3, `${distance} distance ${d} vs ${truth.distances.flat()[i]}`));
  }
  assert.deepEqual((await index.nearest([train[7]], 'tiled-l2', 1)).indices, [[7]], 'a training image finds itself');
  assert.deepEqual(await index.images([5, 0]), [train[5], train[0]]);
  const reopened = await openLanceImageIndex(dir, 'digits', train, 16);
  assert.equal(reopened.buildSeconds, 0, 'an existing table is reused');
});

test('DuckDB 16-gram index: the suffix array\'s match lengths for every match of 16+ characters, none shorter', { timeout: 120_000 }, async () => {
  const examples = wordnetAdverbs().examples;
  const train = examples.slice(0, 2000);
  const memory = memoryVerbatimIndex(train);
  const dir = scratchDir('duck');
  const duck = await openDuckTextIndex(path.join(dir, 'text.duckdb'), 'adverbs', train);
  // Texts as the audit scores them: held-out examples, training examples, and splices of two training examples.
  const texts = [
    ...examples.slice(2000, 2040).map((e) => exampleText(e).trimEnd()),
    ...train.slice(0, 20).map((e) => exampleText(e).trimEnd()),
    ...Array.from({ length: 10 }, (_, i) => `${exampleText(train[i * 7]).slice(0, 30)}${exampleText(train[i * 11 + 3]).slice(5)}`),
  ];
  const [fromDuck, fromMemory] = [await duck.matchLengths(texts), await memory.matchLengths(texts)];
  let long = 0;
  texts.forEach((_, t) => fromMemory[t].lengths.forEach((expected, i) => {
    const got = fromDuck[t].lengths[i];
    if (expected >= GRAM) {
      long++;
      assert.equal(got, expected, `text ${t} position ${i}`);
    } else assert.equal(got, 0, `text ${t} position ${i}: a match of ${expected} is below the index's window`);
  }));
  assert.ok(long > 200, `only ${long} positions with long matches: the check would be weak`);
  const where = fromDuck[40].at[0];
  assert.equal(await duck.exampleAt(where), exampleText(train[0]).trimEnd(), 'the training example a match comes from');
  duck.close();
});
