// Are generated images copies of training images? For each query image (a generation, or a held-out real
// image as the baseline), its nearest training images by normalised L2 and by tiled L2, and Carlini's ratio
// rule on the tiled distance. Held-out real images answer "how close does an unseen image of this kind come
// to the training set anyway?" (Somepalli et al. 2023: training sets are full of near-copies of each other),
// so a generator copies only where it comes closer than that baseline does.
import { wilson, type Interval } from './stats.js';
import { isNearCopy, meanNeighbourDistanceBy, type NeighbourSearch } from './imageNeighbours.js';

export interface CopySettings {
  /** Nearest training images kept per query (shown in the gallery). */
  readonly keep: number;
  /** Training neighbours averaged for the ratio rule's denominator (Carlini et al. 2023: 50). */
  readonly neighbours: number;
  /** The ratio rule's alpha (Carlini et al. 2023: 0.5). */
  readonly alpha: number;
}

export const COPY_DEFAULTS: CopySettings = { keep: 3, neighbours: 50, alpha: 0.5 };

/**
 * The ratio rule's neighbourhood for a training set of n images: 1% of it, between 2 and 50. Carlini's 50
 * neighbours assume tens of thousands of images; in a set of 40, fifty "neighbours" would be the whole set,
 * so the denominator would measure the set's spread rather than how crowded the matched image's corner is.
 */
export function copySettingsFor(trainImages: number): CopySettings {
  return { ...COPY_DEFAULTS, neighbours: Math.min(COPY_DEFAULTS.neighbours, Math.max(2, Math.round(trainImages / 100))) };
}

export interface CopyMatch {
  /** Nearest training images by tiled L2, nearest first. */
  readonly nearest: readonly { readonly index: number; readonly tiledL2: number }[];
  /** Distance to the nearest training image by normalised L2 (root mean squared pixel difference). */
  readonly l2: number;
  readonly tiledL2: number;
  /** Tiled L2 / (alpha * mean tiled L2 from that training image to its own nearest training neighbours). */
  readonly ratio: number;
  readonly nearCopy: boolean;
}

export interface CopySide {
  readonly matches: readonly CopyMatch[];
  /** Share of queries that are near-copies by the ratio rule. */
  readonly nearCopyRate: Interval;
}

/** Near-copy rate as a function of a distance threshold: share of queries whose nearest is within it. */
export interface RateCurve {
  readonly thresholds: readonly number[];
  readonly rates: readonly number[];
}

export async function copyAnalysis(queries: readonly Float32Array[], search: NeighbourSearch, settings: CopySettings = COPY_DEFAULTS): Promise<CopySide> {
  if (queries.length === 0) return { matches: [], nearCopyRate: wilson(0, 0) };
  const tiled = await search.nearest(queries, 'tiled-l2', settings.keep);
  const plain = await search.nearest(queries, 'l2', 1);
  // The ratio rule needs each matched training image's own neighbourhood: computed for those images only.
  const matched = [...new Set(tiled.indices.map((row) => row[0]))];
  const spreads = await meanNeighbourDistanceBy(search, 'tiled-l2', settings.neighbours, await search.images(matched));
  const spread = new Map(matched.map((index, i) => [index, spreads[i]]));
  const matches = queries.map((_, q): CopyMatch => {
    const nearestIndex = tiled.indices[q][0];
    const tiledL2 = tiled.distances[q][0];
    const denominator = settings.alpha * spread.get(nearestIndex)!;
    return {
      nearest: tiled.indices[q].map((index, j) => ({ index, tiledL2: tiled.distances[q][j] })),
      l2: plain.distances[q][0], tiledL2,
      ratio: denominator > 0 ? tiledL2 / denominator : Infinity,
      nearCopy: isNearCopy(tiledL2, spread.get(nearestIndex)!, settings.alpha),
    };
  });
  return { matches, nearCopyRate: nearCopyRate(matches) };
}

/** Share of matches flagged by the ratio rule, with its Wilson interval. */
export function nearCopyRate(matches: readonly CopyMatch[]): Interval {
  return wilson(matches.filter((m) => m.nearCopy).length, matches.length);
}

/** The near-copy rate at each of `points` thresholds from 0 to `max`, for one kind of distance. */
export function rateCurve(distances: readonly number[], max: number, points = 41): RateCurve {
  const thresholds = Array.from({ length: points }, (_, i) => (max * i) / (points - 1));
  const sorted = [...distances].sort((a, b) => a - b);
  const rates = thresholds.map((t) => (sorted.length ? countAtMost(sorted, t) / sorted.length : 0));
  return { thresholds, rates };
}

function countAtMost(sorted: readonly number[], t: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
