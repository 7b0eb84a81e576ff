import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../src/engine/index.js';
import { ConfigError } from '../src/errors.js';
import { argmax, pickToken, softmax, topK, topP, validateSampling } from '../src/sample/transforms.js';

const logits = Float64Array.from([0.1, 2.5, -1, 2.4, 0.3, 1.9]);

test('temperature 0 is argmax, whatever the seed', () => {
  for (let seed = 0; seed < 20; seed++) assert.equal(pickToken(logits, { temperature: 0, topK: 0, topP: 1 }, new Rng(seed)), 1);
  assert.equal(argmax([3, 9, 9, 1]), 1, 'ties go to the first');
});

test('same seed, same draws; different seeds, different draws', () => {
  const draws = (seed: number) => {
    const rng = new Rng(seed);
    return Array.from({ length: 50 }, () => pickToken(logits, { temperature: 1, topK: 0, topP: 1 }, rng));
  };
  assert.deepEqual(draws(5), draws(5));
  assert.notDeepEqual(draws(5), draws(6));
});

test('top-k never emits a token outside the k best', () => {
  const rng = new Rng(1);
  for (let i = 0; i < 2000; i++) {
    const id = pickToken(logits, { temperature: 5, topK: 2, topP: 1 }, rng);
    assert.ok(id === 1 || id === 3, `drew ${id}`);
  }
});

test('top-p keeps the smallest set reaching p, renormalised', () => {
  const probs = Float64Array.from([0.5, 0.3, 0.15, 0.05]);
  assert.deepEqual([...topP(probs, 0.75)].map((x) => +x.toFixed(4)), [0.625, 0.375, 0, 0]);
  assert.deepEqual([...topP(probs, 1)], [...probs]);
  assert.deepEqual([...topK(Float64Array.from([1, 3, 2]), 1)], [-Infinity, 3, -Infinity]);
});

test('high temperature flattens, low sharpens; frequencies follow the softmax', () => {
  const rng = new Rng(3);
  const counts = new Array(logits.length).fill(0);
  const n = 20000;
  for (let i = 0; i < n; i++) counts[pickToken(logits, { temperature: 1, topK: 0, topP: 1 }, rng)]++;
  const p = softmax(logits);
  counts.forEach((c, i) => assert.ok(Math.abs(c / n - p[i]) < 0.015, `token ${i}: ${c / n} vs ${p[i]}`));
});

test('bad settings are refused', () => {
  for (const bad of [{ temperature: -1, topK: 0, topP: 1 }, { temperature: 1, topK: 1.5, topP: 1 }, { temperature: 1, topK: 0, topP: 0 }, { temperature: NaN, topK: 0, topP: 1 }]) {
    assert.throws(() => validateSampling(bad), ConfigError);
  }
});
