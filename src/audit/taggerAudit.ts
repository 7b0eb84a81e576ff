// The audit of an image tagger: the loss-threshold membership attack on its per-image loss (training images
// vs held-out ones), and the training images it has most plainly memorised: those it fits better than
// nearly every held-out image (the largest train / held-out gap).
import { Rng } from '../engine/index.js';
import type { ImageDataset, ImageExample } from '../data/imageDataset.js';
import type { TagVocabulary } from '../codecs/tags.js';
import type { Tagger } from '../models/tagger.js';
import type { ModelRecord } from '../weights/modelFile.js';
import { ENGRAM_VERSION } from '../version.js';
import { lossThresholdAttack, membershipEvidence, strongestAttack, MEMBERSHIP_SIGNAL_AUC, type AttackResult, type MembershipEvidence, type MembershipResult } from './membership.js';
import { taggerLosses } from './imageLosses.js';
import { referenceAttacks, type ReferenceOptions, type ReferenceSummary } from './referenceAudit.js';
import { taggerReferenceFamily } from './referenceFamilies.js';
import { imageSides, type AuditedDataset, type AuditedModel } from './imageSides.js';

export interface TaggerAuditSettings {
  readonly examples: number;
  readonly seed: number;
}

export interface MemorisedImage {
  readonly source: string;
  readonly tags: readonly string[];
  readonly loss: number;
  /** Share of held-out images with a lower loss than this training image. */
  readonly heldOutBelow: number;
  readonly pixels: Float32Array;
}

export interface TaggerAuditReport {
  readonly engramVersion: string;
  readonly settings: TaggerAuditSettings;
  readonly model: AuditedModel;
  readonly dataset: AuditedDataset;
  readonly membership: MembershipResult;
  /** LiRA and RMIA, when reference models were asked for. */
  readonly attacks: readonly AttackResult[];
  readonly references?: ReferenceSummary;
  readonly memorised: readonly MemorisedImage[];
  readonly verdict: string;
}

export async function runTaggerAudit(input: {
  model: Tagger; vocabulary: TagVocabulary; record: ModelRecord; file: string; fileSha256?: string; dataset: ImageDataset; settings: TaggerAuditSettings;
  references?: ReferenceOptions; progress?: (stage: string, done: number, total: number) => void;
}): Promise<TaggerAuditReport> {
  const { model, vocabulary, settings } = input;
  const sides = imageSides(input.record, input.file, input.fileSha256, input.dataset, settings.seed);
  const members = new Rng(settings.seed).shuffle([...sides.train]).slice(0, settings.examples);
  const heldOut = sides.heldOut.slice(0, settings.examples);
  const memberLosses = taggerLosses(model, vocabulary, members);
  const heldOutLosses = taggerLosses(model, vocabulary, heldOut);
  const membership = lossThresholdAttack(memberLosses, heldOutLosses, settings.seed);
  const pool = [...members, ...heldOut];
  const poolSet = new Set(pool.map((e) => e.hash));
  const reference = input.references && await referenceAttacks({
    ...input.references, family: taggerReferenceFamily(input.record, vocabulary), record: input.record, filler: sides.train.filter((e) => !poolSet.has(e.hash)),
    pool, members: members.length, target: [...memberLosses, ...heldOutLosses].map((l) => -l), seed: settings.seed, progress: input.progress,
  });
  const sortedHeldOut = [...heldOutLosses].sort((a, b) => a - b);
  const below = (loss: number) => sortedHeldOut.filter((h) => h < loss).length / sortedHeldOut.length;
  const memorised = members.map((e, i) => ({ source: e.source, tags: e.tags, loss: memberLosses[i], heldOutBelow: below(memberLosses[i]), pixels: e.image.pixels }))
    .sort((a, b) => a.loss - b.loss).slice(0, 24);
  const report = {
    engramVersion: ENGRAM_VERSION, settings,
    model: sides.model, dataset: sides.dataset,
    membership, memorised, attacks: reference?.attacks ?? [], references: reference?.summary,
  };
  const strongest = strongestAttack([membership, ...report.attacks]) ?? membership;
  const at1 = strongest.tprAtFpr.find((t) => t.fpr === 0.01);
  const beyond = memorised.filter((m) => m.heldOutBelow === 0).length;
  const verdict = `The tagger's loss is ${membership.memberLoss.toFixed(3)} on training images against ${membership.heldOutLoss.toFixed(3)} on held-out ones; ` +
    `${strongest === membership ? 'a membership attack using that loss' : `the strongest membership attack, ${strongest.attack},`} reaches AUC ${strongest.auc.estimate.toFixed(3)} (${strongest.auc.low.toFixed(3)}-${strongest.auc.high.toFixed(3)}; 0.5 is guessing) ` +
    (at1?.tpr ? `and finds ${(100 * at1.tpr.estimate).toFixed(1)}% of training images at a 1% false-positive rate. `
      : `(its rate at a 1% false-positive rate cannot be resolved with ${membership.heldOut} held-out images; it needs ${at1?.heldOutNeeded ?? 100}). `) +
    `${beyond} of the ${memorised.length} best-fit training images are fit better than every held-out image. ` +
    taggerVerdict(membershipEvidence(strongest.auc), members.length, heldOut.length);
  return { ...report, verdict };
}

/** The membership evidence in words; "none shown" names the sample that could not show a small difference. */
function taggerVerdict(evidence: MembershipEvidence, members: number, heldOut: number): string {
  if (evidence === 'signal') return 'Verdict: the tagger has memorised part of its training images.';
  if (evidence === 'slight') return `Verdict: the tagger fits its training images slightly better than unseen ones: the attack does better than guessing (its AUC interval is above 0.5), though below the ${MEMBERSHIP_SIGNAL_AUC} the audits call a signal.`;
  return `Verdict: no difference shows between its ${members} training and ${heldOut} held-out images; a small one would not (more --examples narrow the interval).`;
}
