// The audit of a text model: rebuilds the member / held-out split from the dataset and the weights file's
// provenance, then measures capacity, verbatim extraction and membership inference, each beside its
// held-out baseline, and states a plain-words verdict. Returns one JSON-ready object.
import { Rng } from '../engine/index.js';
import { DatasetError } from '../errors.js';
import { splitDataset, type Dataset, type Example, type HashedExample } from '../data/index.js';
import type { CharTokenizer } from '../codecs/charTokenizer.js';
import type { Gpt } from '../models/gpt.js';
import type { ModelRecord } from '../weights/modelFile.js';
import { ENGRAM_VERSION } from '../version.js';
import { capacity, type CapacityResult } from './capacity.js';
import { exampleLosses, type ExampleTokenScores } from './exampleLoss.js';
import { extractionSweep, type ExtractionResult } from './extraction.js';
import { lossThresholdAttack, membershipEvidence, strongestAttack, MEMBERSHIP_SIGNAL_AUC, type AttackResult, type MembershipEvidence, type MembershipResult } from './membership.js';
import { lowercasedExample, textAttacks, type ScoredExample } from './textAttacks.js';
import { referenceAttacks, type ReferenceOptions, type ReferenceSummary } from './referenceAudit.js';
import { textReferenceFamily } from './referenceFamilies.js';
import { exampleText, memoryVerbatimIndex, regurgitation, type RegurgitationResult, type VerbatimIndex } from './regurgitation.js';
import { canaryExposure, type ExposureResult } from './exposure.js';

export interface TextAuditSettings {
  /** Examples per side (members, held-out) for membership inference: as many as the held-out side has, up to this. */
  readonly examples: number;
  /** Examples per side for verbatim extraction (greedy generation costs far more than scoring). */
  readonly extractionExamples: number;
  readonly prefixLengths: readonly number[];
  readonly suffixLength: number;
  readonly seed: number;
  /** Free generation: temperatures, samples per temperature, longest sample. */
  readonly temperatures: readonly number[];
  readonly samples: number;
  readonly maxTokens: number;
  /** The --canary-seed used in training, and random candidates per canary for exposure. */
  readonly canarySeed: number;
  readonly canaryCandidates: number;
}

export const TEXT_AUDIT_DEFAULTS: TextAuditSettings = {
  examples: 10_000, extractionExamples: 500, prefixLengths: [8, 16, 32], suffixLength: 32, seed: 0, temperatures: [0, 0.7, 1, 1.3], samples: 50, maxTokens: 200,
  canarySeed: 0, canaryCandidates: 500,
};

export interface TextAuditReport {
  readonly engramVersion: string;
  readonly settings: TextAuditSettings;
  readonly model: { readonly file: string; readonly sha256?: string; readonly kind: string; readonly task: string; readonly config: Record<string, unknown>; readonly steps: number };
  readonly dataset: { readonly name: string; readonly version: string; readonly fingerprint: string; readonly examples: number; readonly members: number; readonly heldOut: number; readonly duplicateCount: number };
  readonly capacity: CapacityResult;
  readonly membership: MembershipResult;
  /** Every other membership attack on the same examples: reference-free text attacks, then LiRA and RMIA if run. */
  readonly attacks: readonly AttackResult[];
  /** The reference models behind LiRA and RMIA, when --reference-models was given. */
  readonly references?: ReferenceSummary;
  readonly extraction: ExtractionResult;
  readonly regurgitation: RegurgitationResult;
  /** Present when the model was trained with canaries. */
  readonly exposure?: ExposureResult;
  readonly verdict: string;
}

export type AuditProgress = (stage: string, done: number, total: number) => void;

export async function runTextAudit(input: {
  model: Gpt; tokenizer: CharTokenizer; record: ModelRecord; file: string; fileBytes: number; fileSha256?: string; dataset: Dataset;
  settings: TextAuditSettings; progress?: AuditProgress; references?: ReferenceOptions;
  /** Where verbatim matches with the training text are looked up, given the training side; by default a suffix array in memory. */
  openVerbatimIndex?: (train: readonly Example[]) => Promise<VerbatimIndex>;
}): Promise<TextAuditReport> {
  const { model, tokenizer, record, dataset, settings } = input;
  const trained = record.provenance.dataset;
  if (trained.fingerprint !== dataset.fingerprint) {
    throw new DatasetError(`dataset ${dataset.name} (fingerprint ${dataset.fingerprint.slice(0, 12)}) is not the one ${input.file} was trained on: ${trained.name} ${trained.version} (fingerprint ${trained.fingerprint.slice(0, 12)})`);
  }
  const split = splitDataset(dataset, record.provenance.split);
  const rng = new Rng(settings.seed);
  // The vocabulary comes from the training split, so a held-out example may hold characters the model has
  // never seen; its loss would be high for that reason alone. Compare like with like: in-vocabulary only.
  const inVocabulary = (e: HashedExample) => tokenizer.unknownChars(e.input + e.output).length === 0;
  const members = rng.shuffle(split.train.filter(inVocabulary)).slice(0, settings.examples);
  const heldOut = rng.shuffle(split.heldOut.filter(inVocabulary)).slice(0, settings.examples);
  if (members.length === 0 || heldOut.length === 0) {
    throw new DatasetError(`nothing to compare: ${members.length} training and ${heldOut.length} held-out examples within the model's vocabulary`);
  }
  const occurrences = (hash: string) => dataset.duplicates.get(hash) ?? 1;

  const score = (label: string, examples: readonly HashedExample[]): ScoredExample[] => {
    const scores = exampleLosses(model, tokenizer, examples, 32, (done) => input.progress?.(label, done, examples.length));
    // Only outputs with capitals need a second pass for the lowercase ratio; the rest are their own lowercase.
    const changed = examples.map((e, i) => i).filter((i) => examples[i].output.toLowerCase() !== examples[i].output);
    const lowered = exampleLosses(model, tokenizer, changed.map((i) => lowercasedExample(examples[i])));
    const lowercased = new Map<number, ExampleTokenScores>(changed.map((i, j) => [i, lowered[j]]));
    return examples.map((example, i) => ({ example, scores: scores[i], lowercased: lowercased.get(i) ?? scores[i] }));
  };
  // An example whose input fills the whole context leaves no output to score; it is left out of the attacks.
  const scoredOnly = (xs: ScoredExample[]) => xs.filter((x) => Number.isFinite(x.scores.natsPerToken));
  const scoredMembers = scoredOnly(score('loss of members', members));
  const scoredHeldOut = scoredOnly(score('loss of held-out', heldOut));
  const losses = (xs: ScoredExample[]) => xs.map((x) => x.scores.natsPerToken);
  const membership = lossThresholdAttack(losses(scoredMembers), losses(scoredHeldOut), settings.seed);
  const attacks = textAttacks(scoredMembers, scoredHeldOut, settings.seed);
  const pool = [...scoredMembers, ...scoredHeldOut].map((x) => x.example);
  const poolSet = new Set(pool.map((e) => e.hash));
  const poolMembers = new Set(scoredMembers.map((x) => x.example.hash));
  const reference = input.references && await referenceAttacks({
    ...input.references, family: textReferenceFamily(record, tokenizer), record, filler: split.train.filter((e) => !poolSet.has(e.hash)),
    pool, copies: (e) => (poolMembers.has(e.hash) ? occurrences(e.hash) : 1), members: scoredMembers.length, target: pool.map((_, i) => -(i < scoredMembers.length ? scoredMembers[i] : scoredHeldOut[i - scoredMembers.length]).scores.natsPerToken),
    seed: settings.seed, progress: input.progress,
  });

  const extractionMembers = members.slice(0, settings.extractionExamples);
  const extractionHeldOut = heldOut.slice(0, settings.extractionExamples);
  const extraction = extractionSweep(model, tokenizer, extractionMembers, extractionHeldOut, { ...settings, occurrences },
    (done) => input.progress?.('verbatim extraction', done, settings.prefixLengths.length));

  input.progress?.('index of the training text', 0, 1);
  const verbatim = input.openVerbatimIndex ? await input.openVerbatimIndex(split.train) : memoryVerbatimIndex(split.train);
  input.progress?.('index of the training text', 1, 1);
  const regurgitated = await regurgitation(model, tokenizer, verbatim, extractionHeldOut, settings, input.progress);
  const exposure = canaryExposure(model, tokenizer, record.provenance, { canarySeed: settings.canarySeed, candidates: settings.canaryCandidates, seed: settings.seed },
    (done, total) => input.progress?.('canary exposure', done, total));

  const parameters = [...record.params.values()].reduce((s, a) => s + a.data.length, 0);
  const trainText = split.train.map(exampleText).join('');
  const scoredTokens = split.train.reduce((s, e) => s + [...e.output].length + 1, 0);
  const cap = capacity({ parameters, weightsFileBytes: input.fileBytes, trainText, trainExamples: split.train.length, memberNatsPerToken: membership.memberLosses, scoredTokens });

  const report = {
    engramVersion: ENGRAM_VERSION,
    settings,
    model: { file: input.file, sha256: input.fileSha256, kind: record.kind, task: record.task, config: record.modelConfig, steps: record.provenance.steps },
    dataset: { name: dataset.name, version: dataset.version, fingerprint: dataset.fingerprint, examples: dataset.examples.length, members: split.train.length, heldOut: split.heldOut.length, duplicateCount: dataset.duplicateCount },
    capacity: cap,
    membership,
    attacks: [...attacks, ...(reference?.attacks ?? [])],
    references: reference?.summary,
    extraction,
    regurgitation: regurgitated,
    exposure,
  };
  return { ...report, verdict: verdict(report) };
}

const pct = (x: number) => `${(100 * x).toFixed(x < 0.1 ? 1 : 0)}%`;

/** The last sentence: it claims nothing that a figure which could not be computed would have to support. */
function finalVerdict(f: { copies: boolean; extractionMeasured: boolean; membership: MembershipEvidence | undefined; members: number; heldOut: number }): string {
  if (f.copies) return 'Verdict: this model has memorised part of its training data; it reproduces training examples far more often than unseen ones.';
  if (!f.extractionMeasured && !f.membership) return 'Verdict: cannot tell: neither verbatim extraction nor membership could be measured on this data.';
  const noCopies = f.extractionMeasured ? 'no verbatim copying beyond the held-out baseline' : 'verbatim copying could not be tested on this data';
  if (f.membership === 'signal') return `Verdict: ${noCopies}, but the model fits training examples measurably better than unseen ones.`;
  if (f.membership === 'slight') {
    return `Verdict: ${noCopies}; the model fits training examples slightly better than unseen ones (the attack's AUC interval is above 0.5, below the ${MEMBERSHIP_SIGNAL_AUC} the audits call a signal).`;
  }
  if (!f.extractionMeasured) return 'Verdict: no membership signal, but verbatim copying could not be tested on this data, so this is no all-clear.';
  if (!f.membership) return 'Verdict: no verbatim copying beyond the held-out baseline; membership could not be tested on this data.';
  // "None shown" with a sample this size: say what it could not see rather than that there is nothing.
  return `Verdict: no sign of memorisation: no verbatim copying beyond the held-out baseline, and no membership difference shows between ${f.members} training and ${f.heldOut} held-out examples (a small one would not).`;
}

/** The verdict in plain words: every figure next to its held-out baseline. */
export function verdict(r: Omit<TextAuditReport, 'verdict'>): string {
  // Only figures that could be computed on this data enter the verdict; the rest are named as not measured.
  const longest = r.extraction.rows.filter((row) => row.members.eligible > 0 && row.heldOut.eligible > 0).at(-1);
  const m = r.membership;
  const membershipMeasured = [m.auc.estimate, m.memberLoss, m.heldOutLoss].every(Number.isFinite);
  // The verdict speaks of the strongest attack: a weak attack's "no signal" is no all-clear when a stronger one sees one.
  const strongest = strongestAttack([m, ...r.attacks]) ?? m;
  const at1 = strongest.tprAtFpr.find((t) => t.fpr === 0.01);
  const parts: string[] = [];
  if (!longest) {
    const shortest = r.extraction.rows[0]?.prefixLength;
    parts.push(`Verbatim extraction could not be measured: no ${shortest === undefined ? '' : `training and held-out `}example is long enough for ` +
      `${shortest === undefined ? 'the test' : `a ${shortest}-character prompt plus the ${r.extraction.suffixLength} characters to check`} (try shorter --prefix-lengths and --suffix-length).`);
  } else {
    parts.push(`${pct(longest.members.rate.estimate)} of training examples (95% CI ${pct(longest.members.rate.low)}-${pct(longest.members.rate.high)}) ` +
      `can be extracted verbatim: prompted with their first ${longest.prefixLength} characters, the model writes the next ${r.extraction.suffixLength} exactly, ` +
      `against ${pct(longest.heldOut.rate.estimate)} of held-out examples it never saw (${pct(longest.heldOut.rate.low)}-${pct(longest.heldOut.rate.high)}).`);
  }
  if (membershipMeasured) {
    parts.push(`Its loss on training examples is ${m.memberLoss.toFixed(3)} nats/char against ${m.heldOutLoss.toFixed(3)} on held-out ones; ` +
      `${strongest === m ? 'a membership attack using that loss' : `the strongest of ${r.attacks.length + 1} membership attacks, ${strongest.attack},`} reaches AUC ${strongest.auc.estimate.toFixed(3)} (${strongest.auc.low.toFixed(3)}-${strongest.auc.high.toFixed(3)}; 0.5 is guessing) ` +
      (at1?.tpr ? `and finds ${pct(at1.tpr.estimate)} of training examples at a 1% false-positive rate.`
        : `(its rate at a 1% false-positive rate cannot be resolved with ${strongest.heldOut} held-out examples; it needs ${at1?.heldOutNeeded ?? 100}).`));
  } else {
    parts.push('The membership test could not be computed: there were no training or no held-out examples to score.');
  }
  const free = r.regurgitation.byTemperature.find((t) => t.temperature === 1) ?? r.regurgitation.byTemperature.at(-1);
  if (free) {
    const held = r.regurgitation.heldOut;
    parts.push(`Sampled freely at temperature ${free.temperature}, its texts share on average a longest verbatim run of ${free.stats.meanLongest.toFixed(1)} characters with the training set, ` +
      `and ${pct(free.stats.coverage['32'] ?? 0)} of their characters sit in runs of 32 or more; held-out text written by people shares ${held.meanLongest.toFixed(1)} and ${pct(held.coverage['32'] ?? 0)}` +
      (r.regurgitation.index.exactFrom > 1 ? ` (runs under ${r.regurgitation.index.exactFrom} characters count as 0: the on-disk index sees only longer ones).` : '.'));
  }
  if (r.exposure) {
    const most = r.exposure.byRepeats.reduce((a, b) => (b.repeats > a.repeats ? b : a));
    const least = r.exposure.byRepeats.reduce((a, b) => (b.repeats < a.repeats ? b : a));
    const extracted = r.exposure.byRepeats.reduce((n, g) => n + g.extracted, 0);
    parts.push(`Random secrets planted ${most.repeats} times reach an exposure of ${most.meanExposureSkewNormal.toFixed(1)} bits (of ${r.exposure.spaceBits.toFixed(1)} possible), ` +
      `against ${least.meanExposureSkewNormal.toFixed(1)} bits for secrets ${least.repeats === 0 ? 'never planted' : `planted ${least.repeats} times`}; ` +
      `greedy decoding writes ${extracted} of ${r.exposure.canaries.length} secrets out in full.`);
  }
  parts.push(`The weights can hold at most about ${(r.capacity.capacityBits.high / 8e6).toFixed(2)} MB of information (3.6 bits per parameter), ` +
    `against ${(Math.min(...[r.capacity.trainBits.gzip, r.capacity.trainBits.brotli].filter(Number.isFinite)) / 8e6).toFixed(2)} MB for the compressed training set: ` +
    `at most ${pct(r.capacity.maxVerbatimFraction)} of it could be stored verbatim.`);
  const copies = Boolean(longest && longest.members.rate.low > longest.heldOut.rate.high);
  parts.push(finalVerdict({ copies, extractionMeasured: Boolean(longest), membership: membershipMeasured ? membershipEvidence(strongest.auc) : undefined, members: strongest.members, heldOut: strongest.heldOut }));
  return parts.join(' ');
}
