// The tags -> image diffusion model: its loss falls on real digits through the one trainer, DDIM at
// temperature 0 is deterministic, and a different seed or a positive temperature changes the images.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { liveTensors } from '../src/engine/index.js';
import { loadMnist } from '../src/data/mnist.js';
import { Diffusion, alphaBars } from '../src/models/diffusion.js';
import { ImageBatches } from '../src/train/imageBatches.js';
import { train } from '../src/train/trainer.js';
import { sampleImages } from '../src/sample/generateImages.js';
import { ready, tinyTrain } from './helpers.js';

await ready;

test('noise schedules: alpha-bar falls from ~1 towards 0; cosine keeps more signal mid-way', () => {
  const linear = alphaBars(1000, 'linear');
  const cosine = alphaBars(1000, 'cosine');
  assert.ok(Math.abs(linear[0] - (1 - 1e-4)) < 1e-12);
  assert.ok(linear[999] < 1e-4 && linear[999] > 0);
  assert.ok(cosine[0] > 0.9999 && cosine[999] < 1e-6);
  for (const a of [linear, cosine]) for (let t = 1; t < 1000; t++) assert.ok(a[t] < a[t - 1]);
  // Half-way, the cosine schedule keeps about half the signal variance; the linear one 8%.
  assert.ok(Math.abs(cosine[499] - 0.5) < 0.02 && Math.abs(linear[499] - 0.08) < 0.01, `${cosine[499]} ${linear[499]}`);
});

test('a tiny diffusion model learns: its loss falls on real digits', async () => {
  const digits = loadMnist({ size: 8, perDigit: 20 }).examples;
  const items = digits.map((e) => ({ pixels: e.image.pixels, target: Float32Array.from({ length: 10 }, (_, d) => (String(d) === e.tags[0] ? 1 : 0)) }));
  const model = Diffusion.init({ imageSize: 8, channels: [8, 16], numTags: 10, embedDim: 16, timesteps: 100, tagDropout: 0.1, schedule: 'cosine', prediction: 'v' }, 1);
  const data = new ImageBatches(items.slice(0, 160), items.slice(160), 16);
  const before = liveTensors();
  const losses: number[] = [];
  await train(model, data, tinyTrain({ steps: 60, evalEvery: 60, learningRate: 5e-3, warmupSteps: 5, weightDecay: 0 }), {
    saveModel: async () => {}, saveCheckpoint: async () => 'none', onStep: (r) => losses.push(r.loss),
  });
  assert.equal(liveTensors(), before, 'training leaks no tensors');
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  // Predicting zero noise scores 1.0 (the noise has unit variance); the model must do clearly better.
  assert.ok(mean(losses.slice(-15)) < 0.6 * mean(losses.slice(0, 5)), `first ${mean(losses.slice(0, 5))}, last ${mean(losses.slice(-15))}`);

  const seven = Float32Array.from({ length: 10 }, (_, d) => (d === 7 ? 1 : 0));
  const options = { samples: 3, steps: 10, temperature: 0, guidance: 2, seed: 4 };
  const a = sampleImages(model, seven, options);
  assert.deepEqual(sampleImages(model, seven, options), a, 'DDIM at temperature 0 is deterministic');
  assert.notDeepEqual(sampleImages(model, seven, { ...options, seed: 5 }), a);
  assert.notDeepEqual(sampleImages(model, seven, { ...options, temperature: 1 }), a);
  assert.ok(a.every((img) => img.every((v) => v >= 0 && v <= 1)));
  assert.equal(liveTensors(), before, 'sampling leaks no tensors');
  model.dispose();
});
