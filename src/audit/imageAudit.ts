// The audit of a tags -> image generator: does it draw new images or copies of its training images?
// 1. Copies: images generated for a set of conditions at several temperatures, each matched to its nearest
//    training images (normalised L2, tiled L2, ratio rule; see imageCopies.ts), beside the same measures for
//    held-out real images: the baseline of how close unseen images come to the training set anyway.
// 2. Membership inference on the denoising loss at chosen timesteps (Carlini et al. 2023 found a diffusion
//    model's loss at moderate noise levels the best single membership signal): ROC, AUC, TPR at low FPR.
import { Rng, deriveSeed } from '../engine/index.js';
import type { ImageDataset, ImageExample } from '../data/imageDataset.js';
import type { TagVocabulary } from '../codecs/tags.js';
import type { Diffusion } from '../models/diffusion.js';
import { sampleImages } from '../sample/generateImages.js';
import type { ModelRecord } from '../weights/modelFile.js';
import { ENGRAM_VERSION } from '../version.js';
import { lossThresholdAttack, strongestAttack, type AttackResult, type MembershipResult } from './membership.js';
import { denoisingLosses, meanOverSteps } from './imageLosses.js';
import { referenceAttacks, type ReferenceOptions, type ReferenceSummary } from './referenceAudit.js';
import { diffusionReferenceFamily } from './referenceFamilies.js';
import { copyAnalysis, COPY_DEFAULTS, nearCopyRate, rateCurve, type CopyMatch, type CopySide, type RateCurve } from './imageCopies.js';
import { imageSides, type AuditedDataset, type AuditedModel } from './imageSides.js';

export interface ImageAuditSettings {
  /** Tag sets generated for: each tag of a single-label model, else the tags of random training images. */
  readonly conditions: number;
  /** Images per condition and temperature. */
  readonly samples: number;
  readonly temperatures: readonly number[];
  readonly steps: number;
  readonly guidance: number;
  /** Held-out real images matched against the training set as the baseline. */
  readonly baselineImages: number;
  /** Images per side for membership inference. */
  readonly examples: number;
  /** Diffusion timesteps at which the denoising loss is measured (averaged for the attack). */
  readonly lossSteps: readonly number[];
  readonly seed: number;
}

export const IMAGE_AUDIT_DEFAULTS: ImageAuditSettings = {
  conditions: 10, samples: 4, temperatures: [0, 0.5, 1], steps: 50, guidance: 2, baselineImages: 200, examples: 500, lossSteps: [50, 200, 500], seed: 0,
};

export interface Condition {
  readonly tags: readonly string[];
  /** The training image whose tags these are (multi-tag data), if any: copying it would be the classic case. */
  readonly sourceIndex?: number;
}

export interface Generation extends CopyMatch {
  readonly condition: number;
  readonly temperature: number;
  readonly pixels: Float32Array;
}

export interface ImageAuditReport {
  readonly engramVersion: string;
  readonly settings: ImageAuditSettings;
  readonly model: AuditedModel;
  readonly dataset: AuditedDataset;
  readonly trainImages: number;
  readonly conditions: readonly Condition[];
  readonly generations: readonly Generation[];
  readonly generated: Omit<CopySide, 'matches'> & { readonly byTemperature: readonly { temperature: number; nearCopyRate: CopySide['nearCopyRate'] }[] };
  readonly baseline: { readonly nearCopyRate: CopySide['nearCopyRate']; readonly matches: readonly (CopyMatch & { readonly pixels: Float32Array })[] };
  /** Near-copy rate over a tiled-L2 threshold and over an L2 threshold, for generations and the baseline. */
  readonly curves: { readonly tiledL2: { generated: RateCurve; heldOut: RateCurve }; readonly l2: { generated: RateCurve; heldOut: RateCurve } };
  readonly membership: MembershipResult;
  /** LiRA and RMIA, when reference models were asked for. */
  readonly attacks: readonly AttackResult[];
  readonly references?: ReferenceSummary;
  readonly membershipBySteps: readonly { readonly step: number; readonly auc: number }[];
  /** Training images shown in the gallery, by index into the training side. */
  readonly trainPixels: ReadonlyMap<number, Float32Array>;
  readonly verdict: string;
}

export interface ImageAuditInput {
  readonly model: Diffusion;
  readonly vocabulary: TagVocabulary;
  readonly record: ModelRecord;
  readonly file: string;
  readonly fileSha256?: string;
  readonly dataset: ImageDataset;
  readonly settings: ImageAuditSettings;
  readonly references?: ReferenceOptions;
  readonly progress?: (stage: string, done: number, total: number) => void;
}

export async function runImageAudit(input: ImageAuditInput): Promise<ImageAuditReport> {
  const { model, vocabulary, settings } = input;
  const size = model.config.imageSize;
  const sides = imageSides(input.record, input.file, input.fileSha256, input.dataset, settings.seed);
  const trainPixels = sides.train.map((e) => e.image.pixels);
  const conditions = chooseConditions(sides.train, vocabulary, settings);

  const generations: Omit<Generation, keyof CopyMatch>[] = [];
  conditions.forEach((c, ci) => {
    for (const temperature of settings.temperatures) {
      const images = sampleImages(model, vocabulary.encode(c.tags), {
        samples: settings.samples, steps: settings.steps, temperature, guidance: settings.guidance, seed: deriveSeed(settings.seed, 'audit', ci),
      });
      images.forEach((pixels) => generations.push({ condition: ci, temperature, pixels }));
    }
    input.progress?.('generating', ci + 1, conditions.length);
  });
  input.progress?.('nearest training images', 0, 2);
  const generatedSide = copyAnalysis(generations.map((g) => g.pixels), trainPixels, size, COPY_DEFAULTS);
  input.progress?.('nearest training images', 1, 2);
  const baselinePixels = sides.heldOut.slice(0, settings.baselineImages).map((e) => e.image.pixels);
  const baselineSide = copyAnalysis(baselinePixels, trainPixels, size, COPY_DEFAULTS);
  const baseline = { nearCopyRate: baselineSide.nearCopyRate, matches: baselineSide.matches.map((m, i) => ({ ...m, pixels: baselinePixels[i] })) };
  input.progress?.('nearest training images', 2, 2);
  const matched = generations.map((g, i): Generation => ({ ...g, ...generatedSide.matches[i] }));

  const members = new Rng(settings.seed).shuffle([...sides.train]).slice(0, settings.examples);
  const heldOut = sides.heldOut.slice(0, settings.examples);
  const lossSteps = settings.lossSteps.filter((t) => t < model.config.timesteps);
  const memberLosses = denoisingLosses(model, vocabulary, members, lossSteps, settings.seed, (d) => input.progress?.('denoising loss', d, members.length + heldOut.length));
  const heldOutLosses = denoisingLosses(model, vocabulary, heldOut, lossSteps, settings.seed, (d) => input.progress?.('denoising loss', members.length + d, members.length + heldOut.length));
  const membership = lossThresholdAttack(meanOverSteps(memberLosses), meanOverSteps(heldOutLosses), settings.seed);
  const pool = [...members, ...heldOut];
  const poolSet = new Set(pool.map((e) => e.hash));
  const reference = input.references && await referenceAttacks({
    ...input.references, family: diffusionReferenceFamily(input.record, vocabulary, lossSteps, settings.seed), record: input.record,
    filler: sides.train.filter((e) => !poolSet.has(e.hash)), pool, members: members.length,
    target: [...membership.memberLosses, ...membership.heldOutLosses].map((l) => -l), seed: settings.seed, progress: input.progress,
  });
  const membershipBySteps = lossSteps.map((step, j) => ({ step, auc: lossThresholdAttack(memberLosses.map((r) => r[j]), heldOutLosses.map((r) => r[j]), settings.seed).auc.estimate }));

  const curveMax = (pick: (m: CopyMatch) => number) => Math.max(...[...generatedSide.matches, ...baseline.matches].map(pick));
  const curves = {
    tiledL2: { generated: rateCurve(matched.map((m) => m.tiledL2), curveMax((m) => m.tiledL2)), heldOut: rateCurve(baseline.matches.map((m) => m.tiledL2), curveMax((m) => m.tiledL2)) },
    l2: { generated: rateCurve(matched.map((m) => m.l2), curveMax((m) => m.l2)), heldOut: rateCurve(baseline.matches.map((m) => m.l2), curveMax((m) => m.l2)) },
  };
  const byTemperature = settings.temperatures.map((temperature) => {
    const side = matched.filter((g) => g.temperature === temperature);
    return { temperature, nearCopyRate: nearCopyRate(side) };
  });
  const shown = new Map<number, Float32Array>();
  for (const g of [...matched, ...baseline.matches]) for (const n of g.nearest) shown.set(n.index, trainPixels[n.index]);
  const report = {
    engramVersion: ENGRAM_VERSION, settings: { ...settings, lossSteps }, model: sides.model, dataset: sides.dataset, trainImages: sides.train.length,
    conditions, generations: matched, generated: { nearCopyRate: generatedSide.nearCopyRate, byTemperature }, baseline, curves,
    membership, attacks: reference?.attacks ?? [], references: reference?.summary, membershipBySteps, trainPixels: shown,
  };
  return { ...report, verdict: verdictOf(report) };
}

/** Single-label models: each tag (digits 0-9). Multi-tag: the distinct tag lists of random training images. */
function chooseConditions(train: readonly ImageExample[], vocabulary: TagVocabulary, settings: ImageAuditSettings): Condition[] {
  if (train.every((e) => e.tags.length === 1)) return vocabulary.tags.slice(0, settings.conditions).map((t) => ({ tags: [t] }));
  const rng = new Rng(deriveSeed(settings.seed, 'conditions'));
  const order = rng.shuffle(train.map((_, i) => i));
  const seen = new Set<string>();
  const out: Condition[] = [];
  for (const index of order) {
    const tags = train[index].tags.filter((t) => vocabulary.tags.includes(t));
    const key = tags.join('\u001f');
    if (tags.length === 0 || seen.has(key)) continue;
    seen.add(key);
    out.push({ tags, sourceIndex: index });
    if (out.length === settings.conditions) break;
  }
  return out;
}

function verdictOf(r: Omit<ImageAuditReport, 'verdict'>): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const g = r.generated.nearCopyRate;
  const b = r.baseline.nearCopyRate;
  const m = r.membership;
  const copies = g.low > b.high;
  const members = m.auc.low > 0.55;
  return `${pct(g.estimate)} of ${r.generations.length} generated images (${pct(g.low)}-${pct(g.high)}) are near-copies of a training image by Carlini's ratio rule, ` +
    `against ${pct(b.estimate)} (${pct(b.low)}-${pct(b.high)}) of ${r.baseline.matches.length} held-out real images, which the model never saw. ` +
    `A membership attack on the denoising loss reaches AUC ${m.auc.estimate.toFixed(3)} (${m.auc.low.toFixed(3)}-${m.auc.high.toFixed(3)}; 0.5 is guessing). ` +
    (copies ? 'Verdict: the model reproduces training images: it generates near-copies far more often than unseen images resemble the training set.'
      : members ? 'Verdict: no more near-copies than the held-out baseline, but the model fits its training images measurably better than unseen ones.'
        : 'Verdict: no sign of copying: generations come no closer to the training set than unseen real images do.');
}
