import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auc, bootstrap, mean, roc, tprAtFpr, wilson } from '../src/audit/stats.js';
import { Rng } from '../src/engine/index.js';

const near = (a: number, b: number, eps = 1e-4) => assert.ok(Math.abs(a - b) < eps, `${a} vs ${b}`);

test('Wilson interval matches hand-computed values', () => {
  // 8 of 10, z = 1.96: centre (0.8 + 0.19208) / 1.38416 = 0.71683; half-width 0.22780 (by hand).
  const w = wilson(8, 10);
  near(w.estimate, 0.8);
  near(w.low, 0.49016, 1e-4);
  near(w.high, 0.94332, 1e-4);
  const zero = wilson(0, 20);
  near(zero.low, 0);
  near(zero.high, 0.16113, 1e-4);
  assert.ok(Number.isNaN(wilson(0, 0).estimate));
});

test('ROC, AUC and TPR at FPR on a hand-worked example', () => {
  // Members score 0.9, 0.8, 0.4; non-members 0.7, 0.3, 0.2, 0.1 (higher = member).
  const points = roc([0.9, 0.8, 0.4], [0.7, 0.3, 0.2, 0.1]);
  // Pairs where member > non-member: 0.9 beats 4, 0.8 beats 4, 0.4 beats 3 -> 11 of 12.
  near(auc(points), 11 / 12);
  near(tprAtFpr(points, 0), 2 / 3);
  near(tprAtFpr(points, 0.25), 1);
  // Identical scores on both sides: a diagonal, AUC one half.
  near(auc(roc([1, 1, 1], [1, 1])), 0.5);
  near(auc(roc([3, 4], [1, 2])), 1);
  near(auc(roc([1, 2], [3, 4])), 0);
});

test('bootstrap interval contains the estimate and narrows with more data', () => {
  const small = bootstrap([1, 2, 3, 4], [2, 3, 4, 5], (m, n) => mean(n) - mean(m), 300, 1);
  const big = bootstrap(Array.from({ length: 400 }, (_, i) => (i % 4) + 1), Array.from({ length: 400 }, (_, i) => (i % 4) + 2), (m, n) => mean(n) - mean(m), 300, 1);
  near(small.estimate, 1);
  assert.ok(small.low <= 1 && small.high >= 1);
  assert.ok(big.high - big.low < small.high - small.low);
});

test('TPR at a false-positive rate is given only where the held-out side can resolve that rate', async () => {
  const { lossThresholdAttack, describeLowFpr } = await import('../src/audit/membership.js');
  const rng = new Rng(3);
  const losses = (n: number, shift: number) => Array.from({ length: n }, () => 2 + shift + rng.normal() * 0.1);
  const few = lossThresholdAttack(losses(50, -0.2), losses(18, 0));
  assert.deepEqual(few.tprAtFpr.map((t) => [t.fpr, t.tpr, t.heldOutNeeded]), [[0.001, null, 1000], [0.01, null, 100]]);
  assert.equal(describeLowFpr(few.tprAtFpr[1], 18, (x) => `${x}`), 'not resolvable with 18 held-out examples (needs 100, 82 more)');
  const some = lossThresholdAttack(losses(50, -0.4), losses(150, 0));
  assert.equal(some.tprAtFpr[0].tpr, null, '0.1% needs 1,000 held-out examples');
  assert.ok(some.tprAtFpr[1].tpr !== null && some.tprAtFpr[1].tpr.estimate > 0.5, 'a clear gap is found at a resolvable 1%');
  const many = lossThresholdAttack(losses(50, -0.2), losses(1000, 0));
  assert.ok(many.tprAtFpr.every((t) => t.tpr !== null));
});

test('the smallest detectable excess of near-copies, and the draws that would detect a given one', async () => {
  const { detectableExcess, drawsToDetect } = await import('../src/audit/stats.js');
  // 120 generations against 1,000 baseline images with no near-copy: p = max(Wilson upper 0.00383, 1/120).
  near(detectableExcess(120, 1000, 0), 2.4866 * Math.sqrt((1 / 120) * (1 - 1 / 120) * (1 / 120 + 1 / 1000)), 1e-4);
  assert.ok(detectableExcess(8, 40, 1) > 0.3, 'eight generations see nothing small');
  assert.equal(detectableExcess(0, 10, 0), Infinity);
  assert.equal(drawsToDetect(0.05, 1000, 0), 10);
  assert.equal(drawsToDetect(0.05, 10, 5), Infinity, 'a small, noisy baseline can never resolve 5 points');
  assert.ok(detectableExcess(drawsToDetect(0.05, 1000, 30), 1000, 30) <= 0.05 + 1e-9);
});

test('membership evidence: a small real gap is "slight", never read as none; no gap shows none; a wide gap is a signal', async () => {
  const { lossThresholdAttack, membershipEvidence } = await import('../src/audit/membership.js');
  const rng = new Rng(11);
  const losses = (n: number, shift: number) => Array.from({ length: n }, () => 2 + shift + rng.normal() * 0.1);
  // AUC of a shift d between two normals of sd 0.1: Phi(d / 0.141); 0.018 gives about 0.55.
  const small = lossThresholdAttack(losses(1000, -0.018), losses(1000, 0));
  assert.ok(small.auc.low > 0.5 && small.auc.low <= 0.55, `AUC ${JSON.stringify(small.auc)}: this case needs an interval between 0.5 and 0.55`);
  assert.equal(membershipEvidence(small.auc), 'slight');
  assert.equal(membershipEvidence(lossThresholdAttack(losses(1000, 0), losses(1000, 0)).auc), 'none shown');
  assert.equal(membershipEvidence(lossThresholdAttack(losses(200, -0.1), losses(200, 0)).auc), 'signal');
  assert.equal(membershipEvidence({ estimate: NaN, low: NaN, high: NaN }), 'none shown', 'a verdict never rests on NaN');
});
