// The audit of a speech recogniser: does it hear its training utterances better than new ones, and new voices
// worse still? Character and word error rates on training utterances and on held-out ones (held-out voices
// when the split was by speaker), each with an interval, and membership inference on the per-utterance CTC
// loss (the loss attack, as for every other model family), and spoken canaries when the data has them.
import { Rng } from '../engine/index.js';
import { DatasetError } from '../errors.js';
import { CANARY_SPEAKER, splitSpeech, standardisedOver, type SpeechDataset, type SpeechExample, type SpeechSplitSpec } from '../data/speech.js';
import type { SpeechModel } from '../models/speech.js';
import { speechItem, stackUtterances } from '../train/speechBatches.js';
import { transcribeFeatures } from '../sample/ctcDecode.js';
import type { ModelRecord } from '../weights/modelFile.js';
import { ENGRAM_VERSION } from '../version.js';
import { lossThresholdAttack, membershipEvidence, MEMBERSHIP_SIGNAL_AUC, type MembershipResult } from './membership.js';
import { clusteredRatio, wilson, type Interval } from './stats.js';
import { spokenCanaryAudit, type SpokenCanaryReport } from './spokenCanaries.js';

/** Edit distance between two sequences (insertions, deletions, substitutions). */
export function editDistance<T>(a: readonly T[], b: readonly T[]): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row.push(Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)));
    previous = row;
  }
  return previous[b.length];
}

export interface ErrorRates {
  readonly utterances: number;
  /** Character edits over reference characters. */
  readonly characterErrorRate: number;
  /** The same with a 95% bootstrap interval, resampling whole voices when they are given. */
  readonly characterErrors: Interval;
  /** Word edits over reference words. */
  readonly wordErrorRate: number;
  readonly wordErrors: Interval;
  /** Utterances transcribed exactly, with a Wilson interval. */
  readonly exact: Interval;
}

/** Error rates of transcripts against references; `voices` (one per utterance) makes the interval resample voices. */
export function errorRates(references: readonly string[], heard: readonly string[], voices?: readonly string[]): ErrorRates {
  const clusters = voices ?? references.map((_, i) => String(i));
  const referenceWords = references.map((ref) => ref.split(' ').filter(Boolean));
  const characterErrors = clusteredRatio(references.map((ref, i) => editDistance([...ref], [...heard[i]])), references.map((ref) => ref.length), clusters);
  const wordErrors = clusteredRatio(referenceWords.map((w, i) => editDistance(w, heard[i].split(' ').filter(Boolean))), referenceWords.map((w) => w.length), clusters);
  return {
    utterances: references.length, characterErrorRate: characterErrors.estimate, characterErrors, wordErrorRate: wordErrors.estimate, wordErrors,
    exact: wilson(heard.filter((h, i) => h === references[i]).length, references.length),
  };
}

export interface SpeechAuditReport {
  readonly engramVersion: string;
  readonly model: { readonly file: string; readonly steps: number; readonly config: Record<string, unknown> };
  readonly dataset: { readonly name: string; readonly utterances: number; readonly speakers: readonly string[]; readonly heldOutSpeakers: readonly string[] };
  readonly training: ErrorRates;
  readonly heldOut: ErrorRates;
  readonly membership: MembershipResult;
  /** Absent when the data has no canaries.tsv. */
  readonly canaries?: SpokenCanaryReport;
  readonly worst: readonly { readonly side: string; readonly reference: string; readonly heard: string; readonly samples: Float32Array }[];
  readonly verdict: string;
}

function utteranceLosses(model: SpeechModel, xs: readonly SpeechExample[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < xs.length; i += 16) {
    const losses = model.exampleLosses(stackUtterances(xs.slice(i, i + 16).map(speechItem)));
    out.push(...losses.toArray());
    losses.dispose();
  }
  return out;
}

export function runSpeechAudit(input: { model: SpeechModel; record: ModelRecord; file: string; dataset: SpeechDataset; examples: number; seed: number; canaryCandidates: number }): SpeechAuditReport {
  const { model, record } = input;
  const dataset = standardisedOver(input.dataset, model.config.standardiseOver);
  if (record.provenance.dataset.fingerprint !== dataset.fingerprint) throw new DatasetError(`dataset ${dataset.name} is not the one ${input.file} was trained on (${record.provenance.dataset.name})`);
  const spec = record.provenance.split as unknown as SpeechSplitSpec;
  const sides = splitSpeech(dataset, spec);
  const rng = new Rng(input.seed);
  // Canaries have their own measure below; members here are the ordinary training utterances.
  const members = rng.shuffle(sides.train.filter((e) => e.speaker !== CANARY_SPEAKER)).slice(0, input.examples);
  const heldOut = rng.shuffle([...sides.heldOut]).slice(0, input.examples);
  const hear = (xs: readonly SpeechExample[]) => transcribeFeatures(model, xs, { temperature: 0, seed: 0 });
  const heardMembers = hear(members);
  const heardHeldOut = hear(heldOut);
  const training = errorRates(members.map((e) => e.text), heardMembers, members.map((e) => e.speaker));
  const held = errorRates(heldOut.map((e) => e.text), heardHeldOut, heldOut.map((e) => e.speaker));
  const membership = lossThresholdAttack(utteranceLosses(model, members), utteranceLosses(model, heldOut), input.seed);
  const worst = [
    ...members.map((e, i) => ({ side: 'training', reference: e.text, heard: heardMembers[i], samples: e.samples })),
    ...heldOut.map((e, i) => ({ side: 'held-out', reference: e.text, heard: heardHeldOut[i], samples: e.samples })),
  ].filter((w) => w.reference !== w.heard).slice(0, 12);
  const heldOutSpeakers = [...new Set(sides.heldOut.map((e) => e.speaker))];
  const canaries = dataset.canaries.length > 0 ? spokenCanaryAudit(model, dataset.canaries, { candidates: input.canaryCandidates, seed: input.seed }) : undefined;
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const voices = spec.by === 'speaker' || spec.heldOutSpeakers?.length ? 'voices it never heard' : 'utterances it never heard';

  const verdict = `It hears ${pct(training.exact.estimate)} of training utterances exactly (${pct(training.exact.low)}-${pct(training.exact.high)}; character error rate ${pct(training.characterErrorRate)}, ${pct(training.characterErrors.low)}-${pct(training.characterErrors.high)}) ` +
    `against ${pct(held.exact.estimate)} of ${voices} (${pct(held.exact.low)}-${pct(held.exact.high)}; character error rate ${pct(held.characterErrorRate)}, ${pct(held.characterErrors.low)}-${pct(held.characterErrors.high)}). ` +
    `A membership attack on the CTC loss reaches AUC ${membership.auc.estimate.toFixed(3)} (${membership.auc.low.toFixed(3)}-${membership.auc.high.toFixed(3)}; 0.5 is guessing). ` +
    differenceVerdict(trainingAdvantage(training, held, membership.auc), members.length, heldOut.length) +
    ` ${canaryVerdict(canaries)}`;
  return {
    engramVersion: ENGRAM_VERSION,
    model: { file: input.file, steps: record.provenance.steps, config: record.modelConfig },
    dataset: { name: dataset.name, utterances: dataset.examples.length, speakers: dataset.speakers, heldOutSpeakers },
    training, heldOut: held, membership, canaries, worst, verdict,
  };
}

/**
 * How much better it hears training speech than new speech: measurable when the intervals of exact
 * transcripts or of character errors part, or the loss attack's AUC is above 0.55 (the audits' signal);
 * slight when only the AUC's interval clears 0.5.
 */
export function trainingAdvantage(training: ErrorRates, held: ErrorRates, auc: Interval): 'measurable' | 'slight' | 'none' {
  const evidence = membershipEvidence(auc);
  if (held.exact.high < training.exact.low || held.characterErrors.low > training.characterErrors.high || evidence === 'signal') return 'measurable';
  return evidence === 'slight' ? 'slight' : 'none';
}

/** Training against new speech; never an all-clear, only what these samples can show. */
function differenceVerdict(advantage: ReturnType<typeof trainingAdvantage>, members: number, heldOut: number): string {
  if (advantage === 'measurable') return 'Verdict: the recogniser works measurably better on what it was trained on than on new speech.';
  if (advantage === 'slight') return `Verdict: slightly better on its training speech: the loss attack does better than guessing (its interval is above 0.5), though below the ${MEMBERSHIP_SIGNAL_AUC} the audits call a signal.`;
  return `Verdict: no difference shows between training and new speech with ${members} and ${heldOut} utterances; a small one would not.`;
}

/** What the spoken canaries show; never an all-clear when there were none to test. */
function canaryVerdict(c: SpokenCanaryReport | undefined): string {
  if (!c) return 'No spoken canaries in this data (make them with npm run speech:data), so memorisation of rare recordings is not measured.';
  const groups = c.byRepeats.map((g) => `${g.repeats}x: ${Math.round(g.noisyHeardAsSecret.estimate * g.count)}/${g.count} under noise, ${Math.round(g.truncatedHeardAsSecret.estimate * g.count)}/${g.count} from half the recording`).join('; ');
  const zero = c.byRepeats.find((g) => g.repeats === 0);
  const finding = !zero
    ? 'There are no never-planted canaries to compare with, so nothing is concluded from them.'
    : c.separated.length > 0
      ? `Canaries planted ${c.separated.join(', ')} times stand apart from never-planted ones (a lower loss on the secret's recording by a rank-sum test at p < ${c.alpha.toPrecision(2)}, or what is written): it memorised them.`
      : `No planted group stands apart from never-planted canaries (rank-sum tests of the loss on the secret's recording at p < ${c.alpha.toPrecision(2)}; with ${zero.count} canaries per group a small effect would not show).`;
  return `Spoken canaries written as their secret (${groups}). ${finding}`;
}
