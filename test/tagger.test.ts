// The CNN tagger through the one trainer: it must learn a 2-class toy set made from real emoji.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { liveTensors } from '../src/engine/index.js';
import { isHeldOut } from '../src/data/index.js';
import { loadEmoji } from '../src/data/emoji.js';
import { Tagger } from '../src/models/tagger.js';
import { ImageBatches, stackImages, type ImageItem } from '../src/train/imageBatches.js';
import { train } from '../src/train/trainer.js';
import { ready, tinyTrain } from './helpers.js';

await ready;

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
