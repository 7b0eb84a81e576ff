// The image copy audit: planted copies of training emoji are flagged by the ratio rule while held-out emoji
// are not; rate curves count exactly; a tiny generator's full audit runs and keeps pixels out of the JSON.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isHeldOut } from '../src/data/split.js';
import { loadEmoji } from '../src/data/emoji.js';
import { tileImages } from '../src/data/imageFile.js';
import { copyAnalysis, rateCurve } from '../src/audit/imageCopies.js';
import { memorySearch } from '../src/audit/imageNeighbours.js';
import { ready } from './helpers.js';

await ready;

test('planted copies among held-out emoji: every copy is flagged, no held-out emoji is', async () => {
  const emoji = loadEmoji({ size: 16 }).examples;
  const spec = { splitSeed: 0, heldOutFraction: 0.2 };
  const train = emoji.filter((e) => !isHeldOut(e.hash, spec)).slice(0, 400);
  // Flags are left out of the held-out side: many are copies of each other (checked below).
  const heldOut = emoji.filter((e) => isHeldOut(e.hash, spec) && !e.tags.includes('flags')).slice(0, 60);
  const trainPixels = train.map((e) => e.image.pixels);
  // Copies as a generator would make them: faint noise over a training image.
  const planted = [3, 50, 222].map((i) => trainPixels[i].map((v, j) => Math.min(1, Math.max(0, v + 0.03 * Math.sin(j * 12.9898)))));
  const result = await copyAnalysis([...planted, ...heldOut.map((e) => e.image.pixels)], memorySearch(trainPixels, 16));
  [3, 50, 222].forEach((index, i) => {
    assert.equal(result.matches[i].nearest[0].index, index);
    assert.ok(result.matches[i].nearCopy, `planted copy of #${index}: ratio ${result.matches[i].ratio}`);
  });
  const flagged = result.matches.slice(3).map((m, i) => ({ m, e: heldOut[i] })).filter(({ m }) => m.nearCopy);
  assert.equal(flagged.length, 0, `held-out emoji flagged: ${flagged.map(({ e, m }) => `${e.source} (ratio ${m.ratio.toFixed(2)})`).join(', ')}`);
  assert.equal(result.nearCopyRate.estimate, 3 / 63);
  for (const m of result.matches) {
    assert.equal(m.nearest.length, 3);
    assert.ok(m.nearest[0].tiledL2 <= m.nearest[1].tiledL2 && m.nearest[1].tiledL2 <= m.nearest[2].tiledL2);
    assert.ok(m.l2 <= m.tiledL2 + 1e-6, 'the largest tile is at least the whole-image distance');
  }
  // The held-out baseline is why the audit compares against unseen images: held-out flags are exact copies
  // of training flags (France is Clipperton Island's flag), with no model involved.
  const heldOutFlags = emoji.filter((e) => isHeldOut(e.hash, spec) && e.tags.includes('flags'));
  const flagMatches = (await copyAnalysis(heldOutFlags.map((e) => e.image.pixels), memorySearch(trainPixels, 16))).matches;
  assert.ok(flagMatches.some((m) => m.tiledL2 < 1e-3 && m.nearCopy), 'some held-out flag is drawn exactly like a training flag');
});

test('rate curve: share of distances within each threshold', () => {
  const curve = rateCurve([0.05, 0.15, 0.25, 0.25], 0.3, 4);
  assert.deepEqual(curve.thresholds.map((t) => +t.toFixed(6)), [0, 0.1, 0.2, 0.3]);
  assert.deepEqual(curve.rates, [0, 0.25, 0.5, 1]);
});

test('image grid: cells in place, scaled by nearest neighbour, white gaps', () => {
  const red = new Float32Array(2 * 2 * 3).map((_, i) => (i % 3 === 0 ? 1 : 0));
  const blue = new Float32Array(2 * 2 * 3).map((_, i) => (i % 3 === 2 ? 1 : 0));
  const grid = tileImages([red, blue, red], 2, { columns: 2, scale: 2, gap: 1 });
  assert.equal(grid.width, 2 * 4 + 3);
  assert.equal(grid.height, 2 * 4 + 3);
  const at = (x: number, y: number) => Array.from(grid.pixels.subarray((y * grid.width + x) * 3, (y * grid.width + x) * 3 + 3));
  assert.deepEqual(at(0, 0), [1, 1, 1]);
  assert.deepEqual(at(1, 1), [1, 0, 0]);
  assert.deepEqual(at(4, 4), [1, 0, 0]);
  assert.deepEqual(at(6, 1), [0, 0, 1]);
  assert.deepEqual(at(1, 6), [1, 0, 0], 'the third image starts the second row');
  assert.deepEqual(at(6, 6), [1, 1, 1], 'the missing fourth cell stays white');
});

test('robust copy distance: shifted, mirrored, recoloured and cropped copies are found at 1% false alarms', async () => {
  const { robustNearest, thresholdAtFalseAlarms } = await import('../src/audit/robustCopies.js');
  const { resize } = await import('../src/data/imageFile.js');
  const size = 16;
  const emoji = loadEmoji({ size }).examples;
  const spec = { splitSeed: 0, heldOutFraction: 0.2 };
  const train = emoji.filter((e) => !isHeldOut(e.hash, spec)).slice(0, 500).map((e) => e.image.pixels);
  const heldOut = emoji.filter((e) => isHeldOut(e.hash, spec) && !e.tags.includes('flags')).slice(0, 300).map((e) => e.image.pixels);
  const at = (p: Float32Array, x: number, y: number, c: number) => p[3 * (Math.min(size - 1, Math.max(0, y)) * size + Math.min(size - 1, Math.max(0, x))) + c];
  const map = (p: Float32Array, f: (x: number, y: number, c: number) => number) => Float32Array.from(p, (_, i) => f((i / 3 | 0) % size, (i / 3 / size) | 0, i % 3));
  const edits: Record<string, (p: Float32Array, k: number) => Float32Array> = {
    shifted: (p, k) => map(p, (x, y, c) => at(p, x - 2 + (k % 5), y + 2 - (k % 3), c)),
    mirrored: (p) => map(p, (x, y, c) => at(p, size - 1 - x, y, c)),
    recoloured: (p) => map(p, (x, y, c) => Math.min(1, 0.1 + 0.75 * at(p, x, y, c) * [1.15, 0.9, 1][c])),
    cropped: (p) => {
      const side = 13;
      const crop = map(new Float32Array(side * side * 3), () => 0).map((_, i) => at(p, 1 + ((i / 3 | 0) % side), 1 + ((i / 3 / side) | 0), i % 3));
      return resize({ width: side, height: side, pixels: crop }, size).pixels;
    },
  };
  const heldOutMatches = robustNearest(heldOut, train, size);
  const threshold = thresholdAtFalseAlarms(heldOutMatches.map((m) => m.distance), 0.01);
  assert.ok(heldOutMatches.filter((m) => m.distance < threshold).length <= 3, 'at most 1% of held-out emoji fall below the threshold');
  for (const [name, edit] of Object.entries(edits)) {
    const sources = Array.from({ length: 40 }, (_, k) => (k * 37) % train.length);
    const copies = sources.map((i, k) => edit(train[i], k));
    const found = robustNearest(copies, train, size).filter((m, k) => m.distance < threshold && m.index === sources[k]).length;
    assert.ok(found >= 38, `${name}: ${found} of 40 copies found (threshold ${threshold.toFixed(3)})`);
    // Pixel distances miss what moved: the ratio rule finds few shifted or mirrored copies.
    if (name === 'mirrored') assert.ok((await copyAnalysis(copies, memorySearch(train, size))).matches.filter((m) => m.nearCopy).length < 30);
  }
});
