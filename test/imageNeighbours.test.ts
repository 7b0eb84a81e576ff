// Nearest-neighbour search for the image copy audit: distances against hand-computed values, the batched
// search against brute force, and a planted copy caught by the ratio rule while real held-out images are not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../src/engine/index.js';
import { isHeldOut } from '../src/data/index.js';
import { loadMnist } from '../src/data/mnist.js';
import { isNearCopy, meanNeighbourDistance, nearestNeighbours, normalisedL2, tiledL2 } from '../src/audit/imageNeighbours.js';
import { ready } from './helpers.js';

await ready;

test('normalised and tiled L2 by hand', () => {
  // 8x8 images (tiles of 2x2 pixels): b differs from a by 1.0 in every channel of one pixel only.
  const a = new Float32Array(8 * 8 * 3);
  const b = a.slice();
  b.fill(1, 0, 3); // pixel (0, 0), in the top-left tile
  assert.ok(Math.abs(normalisedL2(a, b) - Math.sqrt(3 / 192)) < 1e-7);
  // The top-left tile has 2x2x3 = 12 values, 3 of them differ by 1: sqrt(3 / 12) = 0.5.
  assert.ok(Math.abs(tiledL2(a, b, 8) - 0.5) < 1e-7);
  assert.equal(tiledL2(a, a, 8), 0);
});

test('batched nearest neighbours equal brute force, for both distances', () => {
  const rng = new Rng(1);
  const image = () => Float32Array.from({ length: 8 * 8 * 3 }, () => rng.next());
  const train = Array.from({ length: 60 }, image);
  const queries = Array.from({ length: 7 }, image);
  for (const [distance, f] of [['l2', (x: Float32Array, y: Float32Array) => normalisedL2(x, y)], ['tiled-l2', (x: Float32Array, y: Float32Array) => tiledL2(x, y, 8)]] as const) {
    const found = nearestNeighbours(queries, train, 8, distance, 3, 4);
    queries.forEach((q, i) => {
      const brute = train.map((x, j) => ({ j, d: f(q, x) })).sort((p, r) => p.d - r.d).slice(0, 3);
      assert.deepEqual(found.indices[i], brute.map((b) => b.j), `${distance} query ${i}`);
      found.distances[i].forEach((d, n) => assert.ok(Math.abs(d - brute[n].d) < 1e-4, `${d} vs ${brute[n].d}`));
    });
  }
});

test('a planted copy of a training digit is flagged and stands far apart from held-out digits', () => {
  const digits = loadMnist({ perDigit: 60 }).examples;
  const spec = { splitSeed: 0, heldOutFraction: 0.2 };
  const train = digits.filter((e) => !isHeldOut(e.hash, spec)).map((e) => e.image.pixels);
  const heldOut = digits.filter((e) => isHeldOut(e.hash, spec)).map((e) => e.image.pixels).slice(0, 40);
  const planted = train[17].map((v, i) => Math.min(1, v + (i % 7 === 0 ? 0.02 : 0))); // a copy with faint noise
  const meanNn = meanNeighbourDistance(train, 32, 'l2');
  const near = nearestNeighbours([planted, ...heldOut], train, 32, 'l2', 1);
  const ratios = near.indices.map((row, i) => near.distances[i][0] / (0.5 * meanNn[row[0]]));
  assert.equal(near.indices[0][0], 17);
  assert.ok(isNearCopy(near.distances[0][0], meanNn[17]), `the planted copy: ratio ${ratios[0]}`);
  // On MNIST some held-out digits pass the ratio rule (handwritten digits are close to each other: the
  // "training images copy each other" baseline), so the rule alone is no verdict; a copy stands far apart.
  const heldOutDistances = near.distances.slice(1).map((row) => row[0]);
  assert.ok(Math.min(...heldOutDistances) > 5 * near.distances[0][0], `planted ${near.distances[0][0]} vs held-out min ${Math.min(...heldOutDistances)}`);
  assert.ok(Math.min(...ratios.slice(1)) > 3 * ratios[0], `ratios: planted ${ratios[0]}, held-out min ${Math.min(...ratios.slice(1))}`);
});
