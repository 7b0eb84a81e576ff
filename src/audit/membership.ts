// Membership inference, reported as Carlini et al. 2022 ("Membership Inference Attacks From First
// Principles") ask: the ROC on log-log axes, AUC, and TPR at low FPR, each with a bootstrap interval, and a
// low-FPR figure only where the held-out side can resolve it. Every attack is a score per example (higher
// means "trained on"); `attackResult` turns the scores of members and held-out examples into those figures.
// The baseline attack is the loss threshold (Yeom et al. 2018, "Privacy Risk in Machine Learning"); the
// others live in textAttacks.ts (no reference models) and referenceAttacks.ts (LiRA, RMIA).
import { auc, bootstrap, mean, roc, tprAtFpr, type Interval, type RocPoint } from './stats.js';

export const LOW_FPRS = [0.001, 0.01] as const;

export interface LowFprResult {
  readonly fpr: number;
  readonly tpr: Interval | null;
  readonly heldOutNeeded: number;
}

/** One attack's figures on the same members and held-out examples as every other attack. */
export interface AttackResult {
  /** Short name: "loss", "zlib", "min-k%", "LiRA online", ... */
  readonly attack: string;
  /** One sentence: what the score is and where it comes from. */
  readonly about: string;
  readonly members: number;
  readonly heldOut: number;
  readonly auc: Interval;
  /**
   * TPR at each low FPR, only where the held-out side can resolve it: an FPR of f needs at least 1 / f
   * held-out examples (with 18, the smallest non-zero FPR is 1 / 18 = 5.6%). Elsewhere `tpr` is null and
   * `heldOutNeeded` says how many held-out examples would resolve it.
   */
  readonly tprAtFpr: LowFprResult[];
  readonly roc: RocPoint[];
}

export interface MembershipResult extends AttackResult {
  readonly attack: 'loss';
  readonly memberLoss: number;
  readonly heldOutLoss: number;
  /** Held-out minus member mean loss: the generalisation gap. */
  readonly lossGap: Interval;
  /** Per-example losses, for histograms. */
  readonly memberLosses: readonly number[];
  readonly heldOutLosses: readonly number[];
}

/** The held-out examples needed before a false-positive rate f means anything: 1 / f. */
export const heldOutNeededFor = (fpr: number) => Math.ceil(1 / fpr - 1e-9);

/** "TPR at 1% FPR: 12.0% (8.1% to 16.3%)", or why it cannot be given. */
export function describeLowFpr(t: LowFprResult, heldOut: number, pct: (x: number) => string): string {
  if (t.tpr) return `${pct(t.tpr.estimate)} (${pct(t.tpr.low)} to ${pct(t.tpr.high)})`;
  return `not resolvable with ${heldOut} held-out examples (needs ${t.heldOutNeeded}, ${t.heldOutNeeded - heldOut} more)`;
}

/** ROC, AUC and resolvable low-FPR rates of one attack's scores (higher = "member"); non-finite scores rank lowest. */
export function attackResult(attack: string, about: string, memberScores: readonly number[], heldOutScores: readonly number[], seed = 0): AttackResult {
  const finite = (xs: readonly number[]) => xs.map((x) => (Number.isFinite(x) ? x : -Infinity));
  const m = finite(memberScores);
  const h = finite(heldOutScores);
  return {
    attack, about,
    members: m.length,
    heldOut: h.length,
    auc: bootstrap(m, h, (a, b) => auc(roc(a, b)), 200, seed),
    tprAtFpr: LOW_FPRS.map((fpr) => ({
      fpr,
      heldOutNeeded: heldOutNeededFor(fpr),
      tpr: h.length >= heldOutNeededFor(fpr) ? bootstrap(m, h, (a, b) => tprAtFpr(roc(a, b), fpr), 200, seed) : null,
    })),
    roc: roc(m, h),
  };
}

export function lossThresholdAttack(memberLosses: readonly number[], heldOutLosses: readonly number[], seed = 0): MembershipResult {
  const negate = (losses: readonly number[]) => losses.map((l) => -l);
  return {
    ...attackResult('loss', 'loss threshold (Yeom et al. 2018): a low loss means "trained on"', negate(memberLosses), negate(heldOutLosses), seed),
    attack: 'loss',
    memberLoss: mean(memberLosses),
    heldOutLoss: mean(heldOutLosses),
    lossGap: bootstrap(memberLosses, heldOutLosses, (m, h) => mean(h) - mean(m), 200, seed),
    memberLosses,
    heldOutLosses,
  };
}

/**
 * What an attack's AUC interval can say about membership. Every audit reads it the same way: a signal when
 * the whole interval is above 0.55, slight when it clears only 0.5 (better than guessing, but small), and
 * otherwise none shown, which with a small sample is not the same as none: never read it as an all-clear.
 */
export type MembershipEvidence = 'signal' | 'slight' | 'none shown';
export const MEMBERSHIP_SIGNAL_AUC = 0.55;

export function membershipEvidence(auc: Interval): MembershipEvidence {
  if (!Number.isFinite(auc.low)) return 'none shown';
  if (auc.low > MEMBERSHIP_SIGNAL_AUC) return 'signal';
  return auc.low > 0.5 ? 'slight' : 'none shown';
}

/** The attack with the highest AUC: the one a verdict speaks of. */
export function strongestAttack<A extends AttackResult>(attacks: readonly A[]): A | undefined {
  return attacks.filter((a) => Number.isFinite(a.auc.estimate)).reduce<A | undefined>((best, a) => (!best || a.auc.estimate > best.auc.estimate ? a : best), undefined);
}
