// The reference-model attacks of any audit: trains (or reuses) the reference models, then scores the audit
// pool with LiRA online, LiRA offline and RMIA, each as an AttackResult beside the audit's other attacks.
import type { Storage } from '../weights/storage.js';
import { attackResult, type AttackResult } from './membership.js';
import { liraScores, PRIOR_MODELS, rmiaScores } from './referenceAttacks.js';
import { referenceScores, type ReferenceRequest } from './referenceModels.js';

/** What the caller (the CLI) decides: how many reference models and where they are cached. */
export interface ReferenceOptions {
  readonly count: number;
  readonly storage: Storage;
  readonly cacheDir: string;
}

export interface ReferenceSummary {
  readonly count: number;
  /** Models loaded from the cache instead of trained. */
  readonly reused: number;
  readonly trainSeconds: number;
  readonly cacheDir: string;
  /** Pool examples each model trains on (half of the pool) beside the training examples outside the pool. */
  readonly poolSize: number;
  readonly fillerSize: number;
}

export async function referenceAttacks<Item>(req: Omit<ReferenceRequest<Item>, 'count' | 'storage' | 'cacheDir'> & ReferenceOptions & {
  /** The first `members` pool items are the audited members; the rest are held out. */
  readonly members: number;
}): Promise<{ attacks: AttackResult[]; summary: ReferenceSummary }> {
  const run = await referenceScores(req);
  const isHeldOut = req.pool.map((_, i) => i >= req.members);
  const sides = (scores: number[]) => [scores.slice(0, req.members), scores.slice(req.members)] as const;
  const attack = (name: string, about: string, scores: number[]) => attackResult(name, about, ...sides(scores), req.seed);
  const models = `${req.count} reference model${req.count === 1 ? '' : 's'}`;
  return {
    attacks: [
      attack('LiRA online', `likelihood ratio of Gaussians fit to ${models} that trained on the example and that did not (Carlini et al. 2022); variances shrunk to the pooled one with a weight of ${PRIOR_MODELS} models`, liraScores(run, 'online')),
      attack('LiRA offline', `how far above the Gaussian of the ${models}' that did not train on the example its confidence lies (Carlini et al. 2022)`, liraScores(run, 'offline')),
      attack('RMIA', `likelihood under the model over the mean of ${models}, ranked against held-out examples (Zarifzadeh et al. 2024)`, rmiaScores(run, isHeldOut)),
    ],
    summary: { count: req.count, reused: run.reused, trainSeconds: run.trainSeconds, cacheDir: req.cacheDir, poolSize: req.pool.length, fillerSize: req.filler.length },
  };
}
