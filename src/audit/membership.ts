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
  readonly tprAtFpr: { readonly fpr: number; readonly tpr: Interval }[];
  readonly roc: RocPoint[];
  /** Per-example losses (nats/char), for histograms. */
  readonly memberLosses: readonly number[];
  readonly heldOutLosses: readonly number[];
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
    tprAtFpr: LOW_FPRS.map((fpr) => ({ fpr, tpr: bootstrap(memberLosses, heldOutLosses, (m, h) => tprAtFpr(curve(m, h), fpr), 200, seed) })),
    roc: curve(memberLosses, heldOutLosses),
    memberLosses,
    heldOutLosses,
  };
}
