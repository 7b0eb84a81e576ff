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
import { detectableExcess, drawsToDetect, wilson, type Interval } from './stats.js';
import { robustNearest, thresholdAtFalseAlarms, type RobustMatch } from './robustCopies.js';
import { lossThresholdAttack, membershipEvidence, strongestAttack, MEMBERSHIP_SIGNAL_AUC, type AttackResult, type MembershipResult } from './membership.js';
import { denoisingLosses, meanOverSteps } from './imageLosses.js';
import { referenceAttacks, type ReferenceOptions, type ReferenceSummary } from './referenceAudit.js';
import { diffusionReferenceFamily } from './referenceFamilies.js';
import { copyAnalysis, copySettingsFor, nearCopyRate, rateCurve, type CopyMatch, type CopySide, type RateCurve } from './imageCopies.js';
import { imageSides, type AuditedDataset, type AuditedModel } from './imageSides.js';
import { memorySearch, type NeighbourSearch } from './imageNeighbours.js';

export interface ImageAuditSettings {
  /** Tag sets generated for: each tag of a single-label model, else the tags of random training images. */
  readonly conditions: number;
  /** Images per condition and temperature. */
  readonly samples: number;
  readonly temperatures: readonly number[];
  readonly steps: number;
  readonly guidance: number;
  /** Real non-member images (held-out, then from outside the dataset) matched against the training set as the baseline. */
  readonly baselineImages: number;
  /** Images per side for membership inference. */
  readonly examples: number;
  /** Diffusion timesteps at which the denoising loss is measured (averaged for the attack). */
  readonly lossSteps: readonly number[];
  readonly seed: number;
}

export const IMAGE_AUDIT_DEFAULTS: ImageAuditSettings = {
  conditions: 10, samples: 4, temperatures: [0, 0.5, 1], steps: 50, guidance: 2, baselineImages: 1000, examples: 500, lossSteps: [50, 200, 500], seed: 0,
};

/** The default loss timesteps, given for 1,000 timesteps, at the same noise levels for a model with `timesteps`. */
export const defaultLossSteps = (timesteps: number) => IMAGE_AUDIT_DEFAULTS.lossSteps.map((t) => Math.round((t * timesteps) / 1000));

export interface Condition {
  readonly tags: readonly string[];
  /** The training image whose tags these are (multi-tag data), if any: copying it would be the classic case. */
  readonly sourceIndex?: number;
}

/** A match beside its robust copy match (robustCopies.ts). */
export interface RobustlyMatched extends CopyMatch {
  readonly robust: RobustMatch;
}

export interface Generation extends RobustlyMatched {
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
  readonly baseline: {
    readonly nearCopyRate: CopySide['nearCopyRate'];
    /** How many baseline images are held-out ones and how many come from outside the dataset. */
    readonly heldOut: number;
    readonly outside: number;
    readonly matches: readonly (RobustlyMatched & { readonly pixels: Float32Array })[];
  };
  /**
   * Near-copies by the robust copy distance (shifts, mirroring, colour, crops): a generation is one when it is
   * closer to a training image than all but `falseAlarmRate` of the baseline images are.
   */
  readonly robustCopies: {
    readonly threshold: number;
    readonly falseAlarmRate: number;
    readonly generated: Interval;
    readonly baseline: Interval;
  };
  /** Training neighbours behind the ratio rule's denominator (adapted to the training set's size). */
  readonly ratioNeighbours: number;
  /** The smallest excess of near-copies over the baseline this comparison would detect (80% power). */
  readonly detectableExcess: number;
  /** Near-copy rate over a tiled-L2 threshold and over an L2 threshold, for generations and the baseline. */
  readonly curves: { readonly [K in 'tiledL2' | 'l2' | 'robust']: { generated: RateCurve; heldOut: RateCurve } };
  readonly membership: MembershipResult;
  /** LiRA and RMIA, when reference models were asked for. */
  readonly attacks: readonly AttackResult[];
  readonly references?: ReferenceSummary;
  readonly membershipBySteps: readonly { readonly step: number; readonly auc: number }[];
  /** Training images shown in the gallery, by index into the training side. */
  readonly trainPixels: ReadonlyMap<number, Float32Array>;
  /** Which search found the nearest training images; for an index, its recall@1 against exact search. */
  readonly search: SearchSummary;
  readonly verdict: string;
}

export interface SearchSummary {
  readonly engine: string;
  readonly images: number;
  /** Share of checked queries whose nearest training image (tiled L2 and L2) the index found, against exact search. */
  readonly recallAt1?: { readonly tiledL2: Interval; readonly l2: Interval; readonly queries: number };
}

export interface ImageAuditInput {
  readonly model: Diffusion;
  readonly vocabulary: TagVocabulary;
  readonly record: ModelRecord;
  readonly file: string;
  readonly fileSha256?: string;
  readonly dataset: ImageDataset;
  /** Real images of the same kind known not to be in the dataset (for mnist:N, the rest of MNIST): more baseline. */
  readonly outsiders?: readonly ImageExample[];
  readonly settings: ImageAuditSettings;
  readonly references?: ReferenceOptions;
  /** Where nearest training images are searched, given the training side; by default exactly, in memory. */
  readonly openSearch?: (train: readonly Float32Array[], size: number) => Promise<NeighbourSearch>;
  readonly progress?: (stage: string, done: number, total: number) => void;
}

/** Queries checked against exact in-memory search when an index answered (recall@1 in the report). */
const RECALL_QUERIES = 200;

export async function runImageAudit(input: ImageAuditInput): Promise<ImageAuditReport> {
  const { model, vocabulary, settings } = input;
  const size = model.config.imageSize;
  const sides = imageSides(input.record, input.file, input.fileSha256, input.dataset, settings.seed);
  const trainPixels = sides.train.map((e) => e.image.pixels);
  const conditions = chooseConditions(sides.train, vocabulary, settings);

  const generations: Omit<Generation, keyof RobustlyMatched>[] = [];
  conditions.forEach((c, ci) => {
    for (const temperature of settings.temperatures) {
      const images = sampleImages(model, vocabulary.encode(c.tags), {
        samples: settings.samples, steps: settings.steps, temperature, guidance: settings.guidance, seed: deriveSeed(settings.seed, 'audit', ci),
      });
      images.forEach((pixels) => generations.push({ condition: ci, temperature, pixels }));
    }
    input.progress?.('generating', ci + 1, conditions.length);
  });
  input.progress?.('nearest training images', 0, 3);
  const copySettings = copySettingsFor(trainPixels.length);
  const search = input.openSearch ? await input.openSearch(trainPixels, size) : memorySearch(trainPixels, size);
  const generatedSide = await copyAnalysis(generations.map((g) => g.pixels), search, copySettings);
  input.progress?.('nearest training images', 1, 3);
  // Every real image known not to be a member may serve: held-out ones first, then ones from outside the dataset.
  const outsiders = new Rng(deriveSeed(settings.seed, 'outsiders')).shuffle([...(input.outsiders ?? [])]);
  const baselineImages = [...sides.heldOut, ...outsiders].slice(0, settings.baselineImages);
  const baselinePixels = baselineImages.map((e) => e.image.pixels);
  const baselineSide = await copyAnalysis(baselinePixels, search, copySettings);
  const searchSummary = await summariseSearch(search, [...generations.map((g) => g.pixels), ...baselinePixels], [...generatedSide.matches, ...baselineSide.matches], trainPixels, size, settings.seed);
  input.progress?.('nearest training images', 2, 3);
  const generatedRobust = robustNearest(generations.map((g) => g.pixels), trainPixels, size);
  const baselineRobust = robustNearest(baselinePixels, trainPixels, size);
  input.progress?.('nearest training images', 3, 3);
  const baseline = {
    nearCopyRate: baselineSide.nearCopyRate, heldOut: Math.min(sides.heldOut.length, baselinePixels.length), outside: Math.max(0, baselinePixels.length - sides.heldOut.length),
    matches: baselineSide.matches.map((m, i) => ({ ...m, robust: baselineRobust[i], pixels: baselinePixels[i] })),
  };
  const matched = generations.map((g, i): Generation => ({ ...g, ...generatedSide.matches[i], robust: generatedRobust[i] }));
  // 1% false alarms on real non-members, or the lowest rate the baseline can resolve.
  const falseAlarmRate = Math.max(0.01, 1 / Math.max(baselineRobust.length, 1));
  const threshold = thresholdAtFalseAlarms(baselineRobust.map((m) => m.distance), falseAlarmRate);
  const below = (xs: readonly RobustMatch[]) => wilson(xs.filter((m) => m.distance < threshold).length, xs.length);
  const robustCopies = { threshold, falseAlarmRate, generated: below(generatedRobust), baseline: below(baselineRobust) };

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

  const curveOf = (pick: (m: RobustlyMatched) => number) => {
    const max = Math.max(...[...matched, ...baseline.matches].map(pick));
    return { generated: rateCurve(matched.map(pick), max), heldOut: rateCurve(baseline.matches.map(pick), max) };
  };
  const curves = { tiledL2: curveOf((m) => m.tiledL2), l2: curveOf((m) => m.l2), robust: curveOf((m) => m.robust.distance) };
  const byTemperature = settings.temperatures.map((temperature) => {
    const side = matched.filter((g) => g.temperature === temperature);
    return { temperature, nearCopyRate: nearCopyRate(side) };
  });
  const shown = new Map<number, Float32Array>();
  for (const g of [...matched, ...baseline.matches]) for (const n of [...g.nearest, g.robust]) shown.set(n.index, trainPixels[n.index]);
  const report = {
    engramVersion: ENGRAM_VERSION, settings: { ...settings, lossSteps }, model: sides.model, dataset: sides.dataset, trainImages: sides.train.length,
    ratioNeighbours: copySettings.neighbours,
    detectableExcess: detectableExcess(matched.length, baseline.matches.length, baseline.matches.filter((m) => m.nearCopy).length),
    robustCopies, conditions, generations: matched, generated: { nearCopyRate: generatedSide.nearCopyRate, byTemperature }, baseline, curves,
    membership, attacks: reference?.attacks ?? [], references: reference?.summary, membershipBySteps, trainPixels: shown, search: searchSummary,
  };
  return { ...report, verdict: verdictOf(report) };
}

/**
 * An index's recall@1 against exact search, on up to RECALL_QUERIES of the audit's own queries: the index's
 * answers are the matches already found, so only the exact search runs here.
 */
async function summariseSearch(search: NeighbourSearch, queries: readonly Float32Array[], found: readonly CopyMatch[], train: readonly Float32Array[], size: number, seed: number): Promise<SearchSummary> {
  if (search.engine === 'memory') return { engine: search.engine, images: search.count };
  const sample = new Rng(deriveSeed(seed, 'recall')).shuffle(queries.map((_, i) => i)).slice(0, RECALL_QUERIES);
  const exact = memorySearch(train, size);
  const recall = async (distance: 'tiled-l2' | 'l2') => {
    const truth = await exact.nearest(sample.map((i) => queries[i]), distance, 1);
    // A tie at the nearest distance is a hit whichever of the tied images was returned; 1e-4 allows for the
    // float32 rounding of exact search's |q|^2 + |x|^2 - 2 q.x (a self-match can read 1e-4, not 0).
    const hits = sample.filter((q, j) => (distance === 'l2' ? found[q].l2 : found[q].tiledL2) <= truth.distances[j][0] + 1e-4).length;
    return wilson(hits, sample.length);
  };
  return { engine: search.engine, images: search.count, recallAt1: { tiledL2: await recall('tiled-l2'), l2: await recall('l2'), queries: sample.length } };
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

/** Excess near-copy rate over the baseline that the verdict must be able to see before it says "no more than". */
export const COPY_TOLERANCE = 0.05;

function verdictOf(r: Omit<ImageAuditReport, 'verdict'>): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const g = r.generated.nearCopyRate;
  const b = r.baseline.nearCopyRate;
  const strongest = strongestAttack([r.membership, ...r.attacks]) ?? r.membership;
  const rc = r.robustCopies;
  const copiesByPixels = g.low > b.high;
  const copiesRobustly = rc.generated.low > rc.baseline.high;
  const copies = copiesByPixels || copiesRobustly;
  const evidence = membershipEvidence(strongest.auc);
  const baselineHits = r.baseline.matches.filter((m) => m.nearCopy).length;
  const needed = drawsToDetect(COPY_TOLERANCE, r.baseline.matches.length, baselineHits);
  const sentences = [
    `${pct(g.estimate)} of ${r.generations.length} generated images (${pct(g.low)}-${pct(g.high)}) are near-copies of a training image by Carlini's ratio rule, ` +
      `against ${pct(b.estimate)} (${pct(b.low)}-${pct(b.high)}) of ${r.baseline.matches.length} real images the model never saw.`,
    `Allowing for shifts, mirroring, colour changes and crops, ${pct(rc.generated.estimate)} (${pct(rc.generated.low)}-${pct(rc.generated.high)}) come closer to a training image than all but ${pct(rc.falseAlarmRate)} of those real images do.`,
    `${strongest === r.membership ? 'A membership attack on the denoising loss' : `The strongest membership attack, ${strongest.attack},`} reaches AUC ${strongest.auc.estimate.toFixed(3)} (${strongest.auc.low.toFixed(3)}-${strongest.auc.high.toFixed(3)}; 0.5 is guessing).`,
  ];
  const fit = evidence === 'slight' ? `slightly better (an AUC interval above 0.5, below the audits' ${MEMBERSHIP_SIGNAL_AUC})` : 'measurably better';
  const membersClause = evidence !== 'none shown' ? `, but the model fits its training images ${fit} than unseen ones` : '';
  if (copies) sentences.push(`Verdict: the model reproduces training images: it generates near-copies${copiesByPixels ? '' : ' (shifted, mirrored, recoloured or cropped)'} far more often than unseen images resemble the training set.`);
  else if (r.detectableExcess > COPY_TOLERANCE) {
    sentences.push(`Verdict: cannot tell whether it copies${membersClause}: with ${r.generations.length} generations against ${r.baseline.matches.length} baseline images, an excess of near-copies up to ${pct(r.detectableExcess)} would go unseen; ` +
      (Number.isFinite(needed) ? `about ${needed} generations would resolve ${pct(COPY_TOLERANCE)}.` : `more baseline images would be needed to resolve ${pct(COPY_TOLERANCE)}.`));
  } else if (evidence !== 'none shown') sentences.push(`Verdict: no more near-copies than the baseline (an excess of ${pct(r.detectableExcess)} would have shown)${membersClause}.`);
  else sentences.push(`Verdict: no sign of copying: generations come no closer to the training set than unseen real images do (an excess of ${pct(r.detectableExcess)} would have shown), and no membership difference shows with ${strongest.members} and ${strongest.heldOut} images (a small one would not).`);
  return sentences.join(' ');
}
