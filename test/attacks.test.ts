// Membership attacks against planted truth: LiRA and RMIA must find members a loss threshold cannot (when
// examples differ in difficulty far more than membership moves them), must not flag non-members beyond
// chance, and must work end to end with reference models trained, cached and reused; the reference-free
// text attacks must flag a model that recites its training data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../src/engine/index.js';
import { attackResult } from '../src/audit/membership.js';
import { liraScores, logitConfidence, rmiaScores } from '../src/audit/referenceAttacks.js';
import { referenceHalf } from '../src/audit/referenceModels.js';
import { meanOfLowest } from '../src/audit/textAttacks.js';
import { makeDataset } from '../src/data/index.js';
import { runTextAudit, TEXT_AUDIT_DEFAULTS } from '../src/audit/textAudit.js';
import { loadTextModel, trainTextModel } from '../src/tasks/text.js';
import { MemoryStorage } from '../src/weights/storage.js';
import { ready, TINY_MODEL, tinyTrain, wordnetSlice } from './helpers.js';

await ready;

/** Log-likelihood whose logit-scaled confidence is exactly `logit`. */
const fromLogit = (logit: number) => -Math.log1p(Math.exp(-logit));

/**
 * A world of n examples, half of them members: each has a difficulty spread widely across examples; a model
 * that trained on it scores it `shift` higher (plus a little noise). Reference models train on random halves.
 */
function world(n: number, models: number, shift: number, seed: number) {
  const rng = new Rng(seed);
  const difficulty = Array.from({ length: n }, () => 3 * rng.normal());
  const noisy = (i: number, seen: boolean) => fromLogit(difficulty[i] + (seen ? shift : 0) + 0.2 * rng.normal());
  const member = Array.from({ length: n }, (_, i) => i < n / 2);
  const included = Array.from({ length: models }, (_, k) => referenceHalf(n, seed, k));
  return {
    member,
    target: member.map((m, i) => noisy(i, m)),
    references: included.map((row) => row.map((seen, i) => noisy(i, seen))),
    included,
  };
}

const sides = (scores: number[], member: boolean[]) => [scores.filter((_, i) => member[i]), scores.filter((_, i) => !member[i])] as const;

test('logit-scaled confidence inverts the log-likelihood', () => {
  for (const x of [-8, -1, 0, 2, 9]) assert.ok(Math.abs(logitConfidence(fromLogit(x)) - x) < 1e-9, `${x}`);
});

test('LiRA and RMIA find members that differ from others less than examples differ from each other', () => {
  const w = world(2000, 8, 1, 3);
  const loss = attackResult('loss', '', ...sides(w.target, w.member));
  const online = attackResult('LiRA online', '', ...sides(liraScores(w, 'online'), w.member));
  const offline = attackResult('LiRA offline', '', ...sides(liraScores(w, 'offline'), w.member));
  const rmia = attackResult('RMIA', '', ...sides(rmiaScores(w, w.member.map((m) => !m)), w.member));
  assert.ok(loss.auc.estimate < 0.65, `loss AUC ${loss.auc.estimate}`);
  for (const a of [online, offline, rmia]) {
    assert.ok(a.auc.low > 0.9, `${a.attack} AUC ${JSON.stringify(a.auc)}`);
    assert.ok(a.tprAtFpr[1].tpr!.estimate > 0.3, `${a.attack} TPR at 1% FPR ${JSON.stringify(a.tprAtFpr[1])}`);
  }
  // With one or two reference models RMIA still works (LiRA's variances would be guesses).
  const few = world(2000, 2, 1, 4);
  assert.ok(attackResult('RMIA', '', ...sides(rmiaScores(few, few.member.map((m) => !m)), few.member)).auc.low > 0.85);
});

test('with no membership signal, no attack flags held-out examples beyond its false-positive rate', () => {
  const w = world(4000, 8, 0, 5);
  for (const scores of [liraScores(w, 'online'), liraScores(w, 'offline'), rmiaScores(w, w.member.map((m) => !m))]) {
    const a = attackResult('null', '', ...sides(scores, w.member));
    assert.ok(a.auc.low < 0.5 && a.auc.high > 0.5, `AUC ${JSON.stringify(a.auc)}`);
    // At a threshold flagging 1% of held-out examples, members are flagged at about 1% too (binomial, n = 2000).
    assert.ok(a.tprAtFpr[1].tpr!.estimate < 0.025, `TPR at 1% FPR ${JSON.stringify(a.tprAtFpr[1])}`);
  }
});

test('reference halves are exact halves, different per model and fixed by the seed', () => {
  const a = referenceHalf(101, 7, 0);
  assert.equal(a.filter(Boolean).length, 50);
  assert.deepEqual(referenceHalf(101, 7, 0), a);
  assert.notDeepEqual(referenceHalf(101, 7, 1), a);
  assert.equal(meanOfLowest([5, 1, 3, 2, 4], 0.4), 1.5);
});

test('a reciting text model: every attack flags it; reference models are trained once and then reused', async () => {
  const dataset = makeDataset('sixty', '1', wordnetSlice(60).examples.map((e) => ({ input: e.input, output: e.output.slice(0, 30) })));
  const storage = new MemoryStorage();
  const train = tinyTrain({ steps: 150, batchSize: 32, learningRate: 1e-2, minLearningRate: 1e-3, warmupSteps: 10, evalEvery: 150, weightDecay: 0, keep: 'last' });
  await trainTextModel({ dataset, out: 'm.safetensors', model: { ...TINY_MODEL, nEmbd: 48, blockSize: 32 }, train, split: { splitSeed: 0, heldOutFraction: 0.3 }, storage });
  const loaded = await loadTextModel(storage, 'm.safetensors');
  const settings = { ...TEXT_AUDIT_DEFAULTS, examples: 100, extractionExamples: 20, prefixLengths: [8], suffixLength: 8, temperatures: [1], samples: 4, maxTokens: 40 };
  const audit = () => runTextAudit({ ...loaded, file: 'm.safetensors', fileBytes: 1, dataset, settings, references: { count: 2, storage, cacheDir: 'refs' } });
  const first = await audit();
  assert.deepEqual(first.attacks.map((a) => a.attack), ['zlib ratio', 'lowercase ratio', 'Min-K%', 'Min-K%++', 'LiRA online', 'LiRA offline', 'RMIA']);
  // WordNet glosses are lowercase already, so the lowercase ratio has nothing to compare. RMIA with two
  // reference models that each memorised half the pool, and 18 held-out examples to rank against, is the weakest.
  const minimum: Record<string, number> = { 'lowercase ratio': 0, RMIA: 0.65 };
  for (const a of first.attacks) assert.ok(a.auc.estimate > (minimum[a.attack] ?? 0.78), `${a.attack}: AUC ${a.auc.estimate}`);
  const online = first.attacks.find((a) => a.attack === 'LiRA online')!;
  assert.ok(online.auc.estimate > first.membership.auc.estimate, `LiRA ${online.auc.estimate} vs loss ${first.membership.auc.estimate}`);
  assert.equal(first.references!.reused, 0);
  assert.equal([...storage.files.keys()].filter((f) => f.startsWith('refs/')).length, 2);
  const second = await audit();
  assert.equal(second.references!.reused, 2);
  assert.deepEqual(second.attacks.map((a) => a.auc.estimate), first.attacks.map((a) => a.auc.estimate));
  assert.match(first.verdict, /memorised|fits training examples measurably better/);

  // "Is my work in there?": a recited training example is placed far below held-out losses; a held-out one is not.
  const { runTextQuery } = await import('../src/audit/query.js');
  const { splitDataset } = await import('../src/data/index.js');
  const split = splitDataset(dataset, { splitSeed: 0, heldOutFraction: 0.3 });
  const answers = runTextQuery({ ...loaded, dataset, queries: [...split.train.slice(0, 10), split.heldOut[0]], settings: { examples: 100, seed: 0 } });
  const outsider = answers.pop()!;
  const member = answers.reduce((a, b) => (b.loss < a.loss ? b : a)); // the best-fit of ten members
  const median = [...answers.map((a) => a.pValue)].sort((a, b) => a - b)[5];
  assert.ok(median < 0.3, `members' median p-value ${median}`);
  assert.ok(answers.every((a) => a.inTrainingSet));
  assert.equal(member.pValue, 1 / (member.heldOut + 1), 'fit better than every held-out example');
  assert.match(member.answer, new RegExp(`^It is in the training data\\. The model fits it better than all ${member.heldOut} examples it never saw; .* cannot go below`));
  assert.equal(member.longestShared.length, member.query.output.length, 'found verbatim in the training text');
  assert.equal(outsider.inTrainingSet, false);
  assert.match(outsider.answer, /^It is not, exactly, in the training data/);
  assert.ok(outsider.powerAtAlpha.estimate > 0.2, `power ${JSON.stringify(outsider.powerAtAlpha)}`);
  assert.equal(member.generations.length, 4);
  loaded.model.dispose();
});
