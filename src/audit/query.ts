// "Is my work in there?": the artist's question, asked of one model about one piece of text or one image.
// Dataset search alone cannot answer it for a model (the data may be unknown, and a model can hold what it
// saw without its data at hand), so each query gets:
// - its membership score (the loss attack: the model's loss on it) placed among the scores of held-out
//   examples the model never saw: a p-value, the share of those that look at least as much like members;
// - the attack's measured power: the share of real training examples it flags at a 5% false-alarm rate (and
//   at the query's own p-value), so a "no" says how much it is worth;
// - whether the exact item is in the training split (the audit rebuilds it from the weights file), and the
//   training items and generations closest to it.
import { Rng } from '../engine/index.js';
import { splitDataset, type Dataset, type Example, type HashedExample } from '../data/index.js';
import type { ImageDataset } from '../data/imageDataset.js';
import type { CharTokenizer } from '../codecs/charTokenizer.js';
import type { TagVocabulary } from '../codecs/tags.js';
import type { Gpt } from '../models/gpt.js';
import type { Diffusion } from '../models/diffusion.js';
import type { ModelRecord } from '../weights/modelFile.js';
import { generateFromPrefixes } from '../sample/generateText.js';
import { sampleImages } from '../sample/generateImages.js';
import { exampleLosses } from './exampleLoss.js';
import { exampleText } from './regurgitation.js';
import { SuffixArray } from './suffixArray.js';
import { denoisingLosses, meanOverSteps } from './imageLosses.js';
import { imageSides } from './imageSides.js';
import { nearestNeighbours } from './imageNeighbours.js';
import { robustNearest } from './robustCopies.js';
import { wilson, type Interval } from './stats.js';

/** False-alarm rate at which the power of a "no" is stated. */
export const QUERY_ALPHA = 0.05;

export interface MembershipPlacement {
  /** The model's loss on the query (lower = fits better). */
  readonly loss: number;
  /** (1 + held-out examples with a loss at most the query's) / (1 + held-out examples). */
  readonly pValue: number;
  /** Share of audited training examples flagged at a QUERY_ALPHA false-alarm rate: what a "no" is worth. */
  readonly powerAtAlpha: Interval;
  /** Share of audited training examples with a loss at most the query's: how often a real member looks like this. */
  readonly membersAtLeastAsLow: Interval;
  readonly heldOut: number;
  readonly members: number;
  readonly inTrainingSet: boolean;
  readonly answer: string;
}

/** Places a loss among member and held-out losses (lower = member-like) and says what that means. */
export function placeLoss(loss: number, memberLosses: readonly number[], heldOutLosses: readonly number[], inTrainingSet: boolean): MembershipPlacement {
  const held = [...heldOutLosses].sort((a, b) => a - b);
  const atMost = (xs: readonly number[], x: number) => xs.filter((v) => v <= x).length;
  const pValue = (1 + atMost(held, loss)) / (1 + held.length);
  const threshold = held[Math.floor(QUERY_ALPHA * held.length)] ?? -Infinity; // flag strictly below: at most QUERY_ALPHA of held-out
  const power = wilson(memberLosses.filter((l) => l < threshold).length, memberLosses.length);
  const alike = wilson(atMost(memberLosses, loss), memberLosses.length);
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const flags = `this test flags ${pct(power.estimate)} (${pct(power.low)}-${pct(power.high)}) of real training examples at a ${pct(QUERY_ALPHA)} false-alarm rate`;
  const fact = inTrainingSet ? 'It is in the training data. ' : 'It is not, exactly, in the training data. ';
  const belowAll = atMost(held, loss) === 0;
  const answer = !Number.isFinite(loss) ? `${fact}It could not be scored (nothing of it fits the model's context).`
    : belowAll && pValue > QUERY_ALPHA ? `${fact}The model fits it better than all ${held.length} examples it never saw; with so few held-out examples the p-value cannot go below ${pValue.toFixed(3)}, so this is suggestive, not evidence.`
      : pValue <= 0.01 ? `${fact}The model fits it better than ${pct(1 - pValue)} of ${held.length} examples it never saw (p = ${pValue.toFixed(3)}): evidence that it was trained on it or on near-copies of it.`
        : pValue <= QUERY_ALPHA ? `${fact}The model fits it better than most examples it never saw (p = ${pValue.toFixed(3)}): weak evidence of training on it; ${flags}.`
          : `${fact}The model shows no sign of it: it fits it like examples it never saw (p = ${pValue.toFixed(2)}). ` +
            (power.estimate < 0.5 ? `That "no" is worth little: ${flags}, so it would miss most real training examples too.` : `That "no" means something: ${flags}.`);
  return { loss, pValue, powerAtAlpha: power, membersAtLeastAsLow: alike, heldOut: held.length, members: memberLosses.length, inTrainingSet, answer };
}

export interface TextQueryItem extends MembershipPlacement {
  readonly query: Example;
  /** The longest run of the query's output found verbatim in the training text, and the training line it is in. */
  readonly longestShared: { readonly length: number; readonly match: string; readonly trainingLine: string };
  /** What the model writes for the query's input: greedy, then sampled at temperature 1. */
  readonly generations: readonly string[];
}

export interface QuerySettings {
  /** Examples per side behind the p-values and the power. */
  readonly examples: number;
  readonly seed: number;
}

export const QUERY_DEFAULTS: QuerySettings = { examples: 1000, seed: 0 };

export function runTextQuery(input: { model: Gpt; tokenizer: CharTokenizer; record: ModelRecord; dataset: Dataset; queries: readonly Example[]; settings: QuerySettings }): TextQueryItem[] {
  const { model, tokenizer, settings } = input;
  const split = splitDataset(input.dataset, input.record.provenance.split);
  const rng = new Rng(settings.seed);
  const inVocabulary = (e: Example) => tokenizer.unknownChars(e.input + e.output).length === 0;
  const sample = (xs: readonly HashedExample[]) => rng.shuffle(xs.filter(inVocabulary)).slice(0, settings.examples);
  const losses = (xs: readonly Example[]) => exampleLosses(model, tokenizer, xs).map((l) => l.natsPerToken).filter(Number.isFinite);
  const memberLosses = losses(sample(split.train));
  const heldOutLosses = losses(sample(split.heldOut));
  const trainLines = split.train.map(exampleText);
  const starts = trainLines.reduce<number[]>((acc, line, i) => (acc.push(i === 0 ? 0 : acc[i - 1] + trainLines[i - 1].length), acc), []);
  const index = SuffixArray.fromText(trainLines.join(''));
  const trainKeys = new Set(split.train.map((e) => `${e.input}\u001f${e.output}`));
  return input.queries.map((query) => {
    const unknown = tokenizer.unknownChars(query.input + query.output);
    const loss = unknown.length ? NaN : exampleLosses(model, tokenizer, [query])[0].natsPerToken;
    const placed = placeLoss(loss, memberLosses, heldOutLosses, trainKeys.has(`${query.input}\u001f${query.output}`));
    const { lengths, at } = index.matchLengths(query.output);
    let best = 0;
    lengths.forEach((l, i) => { if (l > lengths[best]) best = i; });
    const length = lengths.length ? lengths[best] : 0;
    const line = length > 0 ? trainLines[lineAt(starts, at[best])] : '';
    const prompt = tokenizer.encodePrompt(query.input);
    const generations = unknown.length ? [] : [
      ...generateFromPrefixes(model, [prompt], { temperature: 0, topK: 0, topP: 1, seed: settings.seed, maxTokens: 200 }),
      ...generateFromPrefixes(model, [prompt, prompt, prompt], { temperature: 1, topK: 0, topP: 1, seed: settings.seed, maxTokens: 200 }),
    ].map((ids) => tokenizer.decode(ids));
    return {
      ...placed, query, generations,
      answer: unknown.length ? `Could not be scored: the model has never seen the characters ${unknown.map((c) => JSON.stringify(c)).join(' ')}, so it cannot have trained on this exact text.` : placed.answer,
      longestShared: { length, match: query.output.slice(best, best + length), trainingLine: line.trimEnd() },
    };
  });
}

/** The training line containing text position `at`. */
function lineAt(starts: readonly number[], at: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= at) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export interface ImageQueryItem extends MembershipPlacement {
  readonly source: string;
  readonly pixels: Float32Array;
  /** Nearest training images by tiled L2 and by the robust copy distance. */
  readonly nearest: { readonly index: number; readonly tiledL2: number; readonly pixels: Float32Array; readonly tags: readonly string[] };
  readonly robust: { readonly index: number; readonly distance: number; readonly pixels: Float32Array };
  /** Images the model draws for the nearest training image's tags, from fixed seeds. */
  readonly generations: readonly Float32Array[];
}

export function runImageQuery(input: { model: Diffusion; vocabulary: TagVocabulary; record: ModelRecord; file: string; dataset: ImageDataset; queries: readonly { source: string; pixels: Float32Array }[]; lossSteps: readonly number[]; settings: QuerySettings }): ImageQueryItem[] {
  const { model, vocabulary, settings } = input;
  const size = model.config.imageSize;
  const sides = imageSides(input.record, input.file, undefined, input.dataset, settings.seed);
  const members = new Rng(settings.seed).shuffle([...sides.train]).slice(0, settings.examples);
  const heldOut = sides.heldOut.slice(0, settings.examples);
  const score = (xs: readonly { tags: readonly string[]; image: { pixels: Float32Array } }[]) =>
    meanOverSteps(denoisingLosses(model, vocabulary, xs as never, input.lossSteps, settings.seed));
  const memberLosses = score(members);
  const heldOutLosses = score(heldOut);
  const trainPixels = sides.train.map((e) => e.image.pixels);
  const tiled = nearestNeighbours(input.queries.map((q) => q.pixels), trainPixels, size, 'tiled-l2', 1);
  const plain = nearestNeighbours(input.queries.map((q) => q.pixels), trainPixels, size, 'l2', 1);
  const robust = robustNearest(input.queries.map((q) => q.pixels), trainPixels, size);
  return input.queries.map((q, i) => {
    const nearestIndex = tiled.indices[i][0];
    const tags = sides.train[nearestIndex].tags;
    // Without tags of its own, the query is scored under the tags of the training image it is closest to.
    const loss = score([{ tags, image: { pixels: q.pixels } }])[0];
    const placed = placeLoss(loss, memberLosses, heldOutLosses, plain.distances[i][0] < 1 / 512);
    return {
      ...placed, source: q.source, pixels: q.pixels,
      nearest: { index: nearestIndex, tiledL2: tiled.distances[i][0], pixels: trainPixels[nearestIndex], tags },
      robust: { index: robust[i].index, distance: robust[i].distance, pixels: trainPixels[robust[i].index] },
      generations: sampleImages(model, vocabulary.encode(tags.filter((t) => vocabulary.tags.includes(t))), { samples: 4, steps: 30, temperature: 1, guidance: 2, seed: settings.seed }),
    };
  });
}
