// Statistics shared by the audit's measures: binomial intervals, ROC curves, AUC, TPR at a fixed FPR,
// and bootstrap intervals. Pure functions on plain arrays, checked against hand-computed values in tests.
import { Rng } from '../engine/index.js';

export interface Interval {
  readonly estimate: number;
  readonly low: number;
  readonly high: number;
}

/** Wilson score interval for a binomial proportion (Wilson 1927); z = 1.96 gives 95%. */
export function wilson(successes: number, trials: number, z = 1.96): Interval {
  if (trials === 0) return { estimate: NaN, low: 0, high: 1 };
  const p = successes / trials;
  const z2 = z * z;
  const centre = (p + z2 / (2 * trials)) / (1 + z2 / trials);
  const half = (z / (1 + z2 / trials)) * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials));
  return { estimate: p, low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

export interface RocPoint {
  readonly fpr: number;
  readonly tpr: number;
}

/**
 * ROC of a score where higher means "member": every threshold between distinct scores, from (0,0) to (1,1).
 * Ties move both rates at once (a diagonal step), so the curve does not depend on input order.
 */
export function roc(memberScores: readonly number[], nonMemberScores: readonly number[]): RocPoint[] {
  const all = [...memberScores.map((s) => ({ s, member: true })), ...nonMemberScores.map((s) => ({ s, member: false }))];
  all.sort((a, b) => b.s - a.s);
  const points: RocPoint[] = [{ fpr: 0, tpr: 0 }];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < all.length; i++) {
    if (all[i].member) tp++;
    else fp++;
    if (i === all.length - 1 || all[i + 1].s !== all[i].s) {
      points.push({ fpr: fp / nonMemberScores.length, tpr: tp / memberScores.length });
    }
  }
  return points;
}

/** Area under the ROC curve by the trapezoid rule: the probability a member outscores a non-member (ties 1/2). */
export function auc(points: readonly RocPoint[]): number {
  let area = 0;
  for (let i = 1; i < points.length; i++) area += ((points[i].fpr - points[i - 1].fpr) * (points[i].tpr + points[i - 1].tpr)) / 2;
  return area;
}

/**
 * Highest TPR among thresholds whose FPR is at most `fpr` (Carlini et al. 2022, "Membership Inference
 * Attacks From First Principles": report the low-FPR regime, not only AUC).
 */
export function tprAtFpr(points: readonly RocPoint[], fpr: number): number {
  let best = 0;
  for (const p of points) if (p.fpr <= fpr + 1e-12 && p.tpr > best) best = p.tpr;
  return best;
}

/** Percentile bootstrap interval of a statistic of (members, non-members), resampling each side. */
export function bootstrap(
  members: readonly number[], nonMembers: readonly number[],
  statistic: (m: readonly number[], n: readonly number[]) => number, rounds = 200, seed = 0,
): Interval {
  const rng = new Rng(seed);
  const resample = (xs: readonly number[]) => Array.from(xs, () => xs[rng.int(xs.length)]);
  const values = Array.from({ length: rounds }, () => statistic(resample(members), resample(nonMembers))).sort((a, b) => a - b);
  const at = (q: number) => values[Math.min(values.length - 1, Math.max(0, Math.round(q * (values.length - 1))))];
  return { estimate: statistic(members, nonMembers), low: at(0.025), high: at(0.975) };
}

/**
 * sum(errors) / sum(lengths) with a 95% percentile bootstrap interval (1,000 seeded resamples of whole clusters).
 * A voice's utterances are heard well or badly together, so resampling utterances one by one would give an
 * interval too narrow for "voices it never heard" (a cluster bootstrap, as for any clustered sample).
 */
export function clusteredRatio(errors: readonly number[], lengths: readonly number[], clusters: readonly string[]): Interval {
  const byCluster = new Map<string, { errors: number; length: number }>();
  clusters.forEach((c, i) => {
    const total = byCluster.get(c) ?? { errors: 0, length: 0 };
    total.errors += errors[i];
    total.length += lengths[i];
    byCluster.set(c, total);
  });
  const totals = [...byCluster.values()];
  const rate = (xs: readonly { errors: number; length: number }[]) => xs.reduce((s, x) => s + x.errors, 0) / Math.max(1, xs.reduce((s, x) => s + x.length, 0));
  if (totals.length === 0) return { estimate: 0, low: 0, high: 0 };
  const rng = new Rng(0);
  const resampled = Array.from({ length: 1000 }, () => rate(Array.from(totals, () => totals[rng.int(totals.length)]))).sort((x, y) => x - y);
  return { estimate: rate(totals), low: resampled[25], high: resampled[974] };
}

export function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** z for a one-sided 5% test plus z for 80% power: the usual design constant of a two-proportion comparison. */
const DESIGN_Z = 1.645 + 0.8416;

/**
 * The smallest excess of rate A over a baseline rate (nA and nB draws, baseline rate pB) that a one-sided
 * 5% comparison would detect with 80% power (normal approximation). pB is taken at its Wilson upper bound,
 * so a baseline of zero hits does not pretend to perfect precision.
 */
export function detectableExcess(nA: number, nB: number, baselineHits: number): number {
  if (nA === 0 || nB === 0) return Infinity;
  const p = Math.max(wilson(baselineHits, nB).high, 1 / nA);
  return DESIGN_Z * Math.sqrt(p * (1 - p) * (1 / nA + 1 / nB));
}

/** Draws on side A needed before `detectableExcess` falls to `excess`, with the baseline as it is (Infinity if it never would). */
export function drawsToDetect(excess: number, nB: number, baselineHits: number): number {
  const p = Math.max(wilson(baselineHits, nB).high, 1e-3);
  const inverse = (excess / DESIGN_Z) ** 2 / (p * (1 - p)) - 1 / nB;
  return inverse > 0 ? Math.ceil(1 / inverse) : Infinity;
}

/**
 * One-sided Wilcoxon rank-sum (Mann-Whitney) test that values in `higher` tend to exceed those in `lower`:
 * the p-value of U = #{(a, b): a > b} + #{a = b} / 2. Exact over every split of the pooled values when
 * there are at most 20,000 of them (small groups such as canaries), normal approximation above.
 */
export function rankSumPValue(higher: readonly number[], lower: readonly number[]): number {
  const n = higher.length;
  const m = lower.length;
  if (n === 0 || m === 0) return 1;
  const u = (a: readonly number[], b: readonly number[]) => a.reduce((s, x) => s + b.reduce((t, y) => t + (x > y ? 1 : x === y ? 0.5 : 0), 0), 0);
  const observed = u(higher, lower);
  const pooled = [...higher, ...lower];
  let splits = 1;
  for (let i = 1; i <= n; i++) splits = (splits * (m + i)) / i;
  if (splits > 20_000) {
    const sd = Math.sqrt((n * m * (n + m + 1)) / 12);
    const z = (observed - 0.5 - (n * m) / 2) / sd;
    return 1 - normalCdf(z);
  }
  let atLeast = 0;
  const chosen: number[] = [];
  const walk = (from: number): void => {
    if (chosen.length === n) {
      const rest = pooled.filter((_, i) => !chosen.includes(i));
      if (u(chosen.map((i) => pooled[i]), rest) >= observed - 1e-9) atLeast++;
      return;
    }
    for (let i = from; i <= pooled.length - (n - chosen.length); i++) {
      chosen.push(i);
      walk(i + 1);
      chosen.pop();
    }
  };
  walk(0);
  return atLeast / Math.round(splits);
}

/** P[Z <= z] for a standard normal: Abramowitz & Stegun 7.1.26 via erfc, accurate to ~1e-7. */
export function normalCdf(z: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(z / Math.SQRT2));
  const erfc = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-(z * z) / 2);
  return z >= 0 ? 1 - erfc / 2 : erfc / 2;
}
