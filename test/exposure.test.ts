import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../src/engine/index.js';
import { exposureByInterpolation, exposureBySkewNormal, fitSkewNormal, skewNormalCdf } from '../src/audit/exposure.js';
import { makeCanaries, canaryCopies } from '../src/data/canaries.js';

test('exposure by interpolation: log2((M+1) / rank)', () => {
  assert.equal(exposureByInterpolation(1, [2, 3, 4]), 2); // best of 4 -> rank 1 of 4
  assert.equal(exposureByInterpolation(2.5, [0.5, 2, 3]), Math.log2(4 / 3)); // two beat it: rank 3 of 4
  assert.equal(exposureByInterpolation(9, [0.5, 2, 3]), 0); // worst of 4
});

test('skew-normal fit and tail: on normal data it is a normal', () => {
  const rng = new Rng(4);
  const xs = Array.from({ length: 20000 }, () => 10 + 2 * rng.normal());
  const p = fitSkewNormal(xs);
  assert.ok(Math.abs(p.alpha) < 0.5, `alpha ${p.alpha}`);
  assert.ok(Math.abs(skewNormalCdf(10, p) - 0.5) < 0.02);
  // 2 sigma below the mean: P = 0.02275, exposure = 5.46 bits.
  assert.ok(Math.abs(exposureBySkewNormal(6, xs) - 5.46) < 0.3, `${exposureBySkewNormal(6, xs)}`);
  // Far into the tail the estimate keeps growing where interpolation is capped at log2(M+1).
  assert.ok(exposureBySkewNormal(0, xs) > 20);
  assert.ok(exposureBySkewNormal(-1e6, xs) <= Math.log2(1e9));
});

test('canaries are rebuilt exactly from their seed, and copied as often as asked', () => {
  const a = makeCanaries({ count: 2, repeats: [0, 1, 4], seed: 3 });
  assert.deepEqual(makeCanaries({ count: 2, repeats: [0, 1, 4], seed: 3 }), a);
  assert.notDeepEqual(makeCanaries({ count: 2, repeats: [0, 1, 4], seed: 4 }).map((c) => c.output), a.map((c) => c.output));
  assert.match(a[0].output, /^\d{3} \d{3} \d{3}$/);
  assert.equal(new Set(a.map((c) => c.input)).size, 6);
  assert.equal(canaryCopies(a).length, 2 * 0 + 2 * 1 + 2 * 4);
});
