// The CNN tagger through the one trainer: it must learn a 2-class toy set made from real emoji.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, ops, liveTensors } from '../src/engine/index.js';
import { isHeldOut } from '../src/data/index.js';
import { loadEmoji } from '../src/data/emoji.js';
import { Tagger } from '../src/models/tagger.js';
import { ImageBatches, stackImages, type ImageItem } from '../src/train/imageBatches.js';
import { train } from '../src/train/trainer.js';
import { ready, tinyTrain } from './helpers.js';

await ready;

// A reference convolution built from ops tfjs differentiates itself (im2col: pad, 9 shifted slices, one product).
function im2colConv(x: tf.Tensor4D, filter: tf.Tensor2D): tf.Tensor {
  const [b, h, w, c] = x.shape;
  const padded = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]);
  const patches: tf.Tensor[] = [];
  for (let dy = 0; dy < 3; dy++) for (let dx = 0; dx < 3; dx++) patches.push(tf.slice(padded, [0, dy, dx, 0], [b, h, w, c]));
  return tf.reshape(tf.matMul(tf.reshape(tf.concat(patches, 3), [b * h * w, 9 * c]), filter), [b, h, w, -1]);
}

test('conv3x3 and both its gradients equal an im2col reference', () => {
  const x = tf.randomNormal([2, 6, 5, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  const f = tf.randomNormal([27, 4], 0, 1, 'float32', 2) as tf.Tensor2D;
  const dy = tf.randomNormal([2, 6, 5, 4], 0, 1, 'float32', 3);
  const close = (a: tf.Tensor, b: tf.Tensor, what: string) => {
    const [av, bv] = [a.dataSync(), b.dataSync()];
    assert.deepEqual(a.shape, b.shape, what);
    av.forEach((v, i) => assert.ok(Math.abs(v - bv[i]) < 1e-4, `${what} ${i}: ${v} vs ${bv[i]}`));
  };
  close(ops.conv3x3(x, f), im2colConv(x, f), 'forward');
  const ours = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(ops.conv3x3(a as tf.Tensor4D, b), dy)))([x, f]);
  const reference = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(im2colConv(a as tf.Tensor4D, b as tf.Tensor2D), dy)))([x, f]);
  close(ours[0], reference[0], 'input gradient');
  close(ours[1], reference[1], 'filter gradient');
});

test('the tagger learns flags vs food from real emoji, without leaking tensors', async () => {
  const emoji = loadEmoji({ size: 16 }).examples;
  const classes = ['flags', 'food & drink'];
  const items = emoji.filter((e) => classes.some((c) => e.tags.includes(c))).map((e) => ({
    hash: e.hash,
    item: { pixels: e.image.pixels, target: Float32Array.from(classes, (c) => (e.tags.includes(c) ? 1 : 0)) } as ImageItem,
  }));
  const side = (held: boolean) => items.filter((x) => isHeldOut(x.hash, { splitSeed: 0, heldOutFraction: 0.25 }) === held).map((x) => x.item);
  const [trainItems, heldOutItems] = [side(false), side(true)];
  const model = Tagger.init({ imageSize: 16, channels: [8, 16], numTags: 2, multiLabel: false }, 1);
  const data = new ImageBatches(trainItems, heldOutItems, 32);
  const before = liveTensors();
  const result = await train(model, data, tinyTrain({ steps: 40, evalEvery: 20, learningRate: 1e-2, weightDecay: 0 }), {
    saveModel: async () => {}, saveCheckpoint: async () => 'none',
  });
  assert.equal(liveTensors(), before, 'training leaks no tensors');
  assert.ok(result.lastEval.heldOutLoss < 0.4, `held-out loss ${result.lastEval.heldOutLoss}`);
  const batch = stackImages(heldOutItems);
  const probs = model.predict(batch.pixels, batch.batchSize);
  const correct = heldOutItems.filter((item, i) => (probs[2 * i + 1] > probs[2 * i]) === (item.target[1] === 1)).length;
  assert.ok(correct / heldOutItems.length > 0.85, `held-out accuracy ${correct}/${heldOutItems.length}`);
  model.dispose();
});
