import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ops, variableOf } from '../src/engine/index.js';
import { TrainingStopped } from '../src/errors.js';
import { train, type BatchSource } from '../src/train/trainer.js';
import type { TrainableModel } from '../src/models/model.js';
import { learningRateAt } from '../src/train/config.js';
import { WeightAverage } from '../src/train/weightAverage.js';
import { checkpointPathFor, trainTextModel, type TextTrainRequest } from '../src/tasks/text.js';
import { MemoryStorage } from '../src/weights/storage.js';
import { decodeModelFile } from '../src/weights/modelFile.js';
import { ready, TINY_MODEL, tinyTrain, wordnetAdverbs, wordnetSlice } from './helpers.js';

await ready;

function request(overrides: Partial<TextTrainRequest>): TextTrainRequest {
  return { dataset: wordnetSlice(300), out: 'm.safetensors', model: TINY_MODEL, train: tinyTrain(), split: { splitSeed: 0, heldOutFraction: 0.1 }, storage: new MemoryStorage(), ...overrides };
}

test('warm-up then cosine decay', () => {
  const c = tinyTrain({ steps: 100, warmupSteps: 10, learningRate: 1, minLearningRate: 0.1 });
  assert.equal(learningRateAt(0, c), 0.1);
  assert.equal(learningRateAt(9, c), 1);
  assert.ok(Math.abs(learningRateAt(55, c) - 0.55) < 1e-9);
  assert.ok(Math.abs(learningRateAt(100, c) - 0.1) < 1e-9);
});

test('loss falls on a WordNet slice, and held-out loss with it', async () => {
  const outcome = await trainTextModel(request({ dataset: wordnetAdverbs(), train: tinyTrain({ steps: 60, evalEvery: 60, batchSize: 16 }) }));
  // Uniform guessing over ~80 characters costs ln(80) = 4.4 nats; English text is far more predictable.
  assert.ok(outcome.lastEval.trainLoss < 3.2, `train loss ${outcome.lastEval.trainLoss}`);
  assert.ok(outcome.lastEval.heldOutLoss < 3.2, `held-out loss ${outcome.lastEval.heldOutLoss}`);
});

test('the same seed gives a bit-identical weights file; another seed does not', async () => {
  const run = async (seed: number) => {
    const storage = new MemoryStorage();
    await trainTextModel(request({ storage, train: tinyTrain({ seed, steps: 10, evalEvery: 5 }), model: { ...TINY_MODEL, dropout: 0.1 } }));
    return storage.files.get('m.safetensors')!;
  };
  const a = await run(1);
  assert.deepEqual(await run(1), a);
  assert.notDeepEqual(await run(2), a);
});

test('weight average: warm-up of the decay, then the plain average; swapped in and back out', () => {
  const p = variableOf(Float32Array.from([0]), [1]);
  const average = new WeightAverage(new Map([['w', p]]), 0.5);
  p.assign(Float32Array.from([1]));
  average.update(0); // decay min(0.5, 1/10) = 0.1: 0 * 0.1 + 1 * 0.9
  assert.ok(Math.abs(average.averages.get('w')!.item() - 0.9) < 1e-6);
  average.update(100); // decay 0.5: 0.9 * 0.5 + 1 * 0.5
  assert.ok(Math.abs(average.averages.get('w')!.item() - 0.95) < 1e-6);
  assert.ok(Math.abs(average.swappedIn(() => p.item()) - 0.95) < 1e-6);
  assert.equal(p.item(), 1, 'the trained weights are back');
  average.dispose();
  p.dispose();
});

test('an interrupted run resumed from its checkpoint ends with the same weights as an uninterrupted one', async () => {
  // With a weight average, which the checkpoint must carry too.
  const settings = { train: tinyTrain({ steps: 12, evalEvery: 4, keep: 'last' as const, emaDecay: 0.9 }), model: { ...TINY_MODEL, dropout: 0.1 } };
  const straight = new MemoryStorage();
  await trainTextModel(request({ storage: straight, ...settings }));

  const storage = new MemoryStorage();
  let steps = 0;
  await assert.rejects(
    trainTextModel(request({ storage, ...settings, onStep: () => steps++, stopRequested: () => steps >= 6 })),
    (e: unknown) => e instanceof TrainingStopped && e.exitCode === 130 && /interrupted at step 6/.test(e.message),
  );
  const checkpoint = decodeModelFile(storage.files.get(checkpointPathFor('m.safetensors'))!, 'ckpt');
  assert.equal(checkpoint.trainState?.step, 6);
  await trainTextModel(request({ storage, ...settings, resume: true }));
  const a = decodeModelFile(straight.files.get('m.safetensors')!, 'a');
  const b = decodeModelFile(storage.files.get('m.safetensors')!, 'b');
  for (const [name, p] of a.params) assert.deepEqual(b.params.get(name)!.data, p.data, name);
  const trained = decodeModelFile(straight.files.get(checkpointPathFor('m.safetensors'))!, 'ckpt').params;
  assert.ok([...a.params].some(([name, p]) => p.data.some((v, i) => v !== trained.get(name)!.data[i])), 'the file ships the average, not the last weights');
});

test('a NaN loss stops training without touching the weights and names the last good checkpoint', async () => {
  const w = variableOf(Float32Array.from([1]), []);
  let calls = 0;
  const model: TrainableModel<number> = {
    kind: 'toy', params: new Map([['w', w]]), dispose: () => w.dispose(),
    loss: () => ops.mul(w, calls++ < 6 ? 1 : NaN),
  };
  const data: BatchSource<number> = { trainBatch: () => 0, evalBatches: () => [0], itemsPerBatch: 1 };
  let saved = '';
  await assert.rejects(
    train(model, data, tinyTrain({ steps: 10, evalEvery: 2, evalBatches: 1, weightDecay: 0 }), {
      saveModel: async () => {},
      saveCheckpoint: async (s) => (saved = `ckpt@${s.step}`),
    }),
    (e: unknown) => e instanceof TrainingStopped && /NaN/.test(e.message) && e.message.includes(saved),
  );
  assert.ok(Number.isFinite(w.item()));
  model.dispose();
});
