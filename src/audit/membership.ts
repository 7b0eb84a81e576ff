// Membership inference by loss threshold (Yeom et al. 2018, "Privacy Risk in Machine Learning"): a lower
// loss suggests "trained on". Reported as Carlini et al. 2022 ("Membership Inference Attacks From First
// Principles") ask: the ROC on log-log axes, AUC, and TPR at low FPR, each with a bootstrap interval.
// A reference-model attack (LiRA) would plug in here by replacing `score` with a likelihood ratio.
import { auc, bootstrap, mean, roc, tprAtFpr, type Interval, type RocPoint } from './stats.js';

export const LOW_FPRS = [0.001, 0.01] as const;

export interface MembershipResult {
  readonly attack: 'loss-threshold';
  readonly members: number;
  readonly heldOut: number;
  readonly memberLoss: number;
  readonly heldOutLoss: number;
  /** Held-out minus member mean loss (nats/char): the generalisation gap. */
  readonly lossGap: Interval;
  readonly auc: Interval;
  /**
   * TPR at each low FPR, only where the held-out side can resolve it: an FPR of f needs at least 1 / f
   * held-out examples (with 18, the smallest non-zero FPR is 1 / 18 = 5.6%). Elsewhere `tpr` is null and
   * `heldOutNeeded` says how many held-out examples would resolve it.
   */
  readonly tprAtFpr: LowFprResult[];
  readonly roc: RocPoint[];
  /** Per-example losses (nats/char), for histograms. */
  readonly memberLosses: readonly number[];
  readonly heldOutLosses: readonly number[];
}

export interface LowFprResult {
  readonly fpr: number;
  readonly tpr: Interval | null;
  readonly heldOutNeeded: number;
}

/** The held-out examples needed before a false-positive rate f means anything: 1 / f. */
export const heldOutNeededFor = (fpr: number) => Math.ceil(1 / fpr - 1e-9);

/** "TPR at 1% FPR: 12.0% (8.1% to 16.3%)", or why it cannot be given. */
export function describeLowFpr(t: LowFprResult, heldOut: number, pct: (x: number) => string): string {
  if (t.tpr) return `${pct(t.tpr.estimate)} (${pct(t.tpr.low)} to ${pct(t.tpr.high)})`;
  return `not resolvable with ${heldOut} held-out examples (needs ${t.heldOutNeeded}, ${t.heldOutNeeded - heldOut} more)`;
}

export function lossThresholdAttack(memberLosses: readonly number[], heldOutLosses: readonly number[], seed = 0): MembershipResult {
  const score = (losses: readonly number[]) => losses.map((l) => -l);
  const curve = (m: readonly number[], h: readonly number[]) => roc(score(m), score(h));
  return {
    attack: 'loss-threshold',
    members: memberLosses.length,
    heldOut: heldOutLosses.length,
    memberLoss: mean(memberLosses),
    heldOutLoss: mean(heldOutLosses),
    lossGap: bootstrap(memberLosses, heldOutLosses, (m, h) => mean(h) - mean(m), 200, seed),
    auc: bootstrap(memberLosses, heldOutLosses, (m, h) => auc(curve(m, h)), 200, seed),
    tprAtFpr: LOW_FPRS.map((fpr) => ({
      fpr,
      heldOutNeeded: heldOutNeededFor(fpr),
      tpr: heldOutLosses.length >= heldOutNeededFor(fpr) ? bootstrap(memberLosses, heldOutLosses, (m, h) => tprAtFpr(curve(m, h), fpr), 200, seed) : null,
    })),
    roc: curve(memberLosses, heldOutLosses),
    memberLosses,
    heldOutLosses,
  };
}
