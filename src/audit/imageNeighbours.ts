// Nearest training images of generated (or held-out) images, exact and batched: squared distances come from
// |q|^2 + |x|^2 - 2 q.x with one matrix product per chunk, not a loop over pairs. Two distances:
// - normalised L2: ||a - b|| / sqrt(d), the root mean squared pixel difference;
// - tiled L2 (Carlini et al. 2023, "Extracting Training Data from Diffusion Models"): the image is cut into
//   a 4x4 grid of tiles and the distance is the largest tile's normalised L2, so a copy with one region
//   changed still counts as far, and a copy cannot hide behind a matching background.
// And Carlini's ratio rule: a generation is a near-copy of training image x when d(g, x) divided by alpha
// times the mean distance from x to its 50 nearest training neighbours is below 1 (alpha = 0.5).
import { ops, tensor, tidy, type Tensor } from '../engine/index.js';
import { ConfigError } from '../errors.js';

export type Distance = 'l2' | 'tiled-l2';

export interface Neighbours {
  /** [queries][k]: indices into the training set, nearest first. */
  readonly indices: number[][];
  readonly distances: number[][];
}

const GRID = 4;

/** Normalised L2 between two images of equal size ([h, w, 3] in [0, 1]). */
export function normalisedL2(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] - b[i]) ** 2;
  return Math.sqrt(sum / a.length);
}

/** Tiled L2 of two size x size images: the largest normalised L2 over a 4x4 grid of tiles. */
export function tiledL2(a: Float32Array, b: Float32Array, size: number): number {
  return Math.max(...tiles(size).map((idx) => normalisedL2(gather(a, idx), gather(b, idx))));
}

/** Pixel-channel indices of each tile, row-major tiles. */
function tiles(size: number): Int32Array[] {
  const t = size / GRID;
  const out: Int32Array[] = [];
  for (let ty = 0; ty < GRID; ty++) {
    for (let tx = 0; tx < GRID; tx++) {
      const idx: number[] = [];
      for (let y = ty * t; y < (ty + 1) * t; y++) for (let x = tx * t; x < (tx + 1) * t; x++) for (let c = 0; c < 3; c++) idx.push(3 * (y * size + x) + c);
      out.push(Int32Array.from(idx));
    }
  }
  return out;
}

function gather(v: Float32Array, idx: Int32Array): Float32Array {
  return Float32Array.from(idx, (i) => v[i]);
}

/** Rows of images [n, d] rearranged so each tile's values are contiguous: [n, tiles * tileDim]. */
function byTiles(images: readonly Float32Array[], size: number): { rows: Float32Array; tileDim: number } {
  const idx = tiles(size);
  const tileDim = idx[0].length;
  const rows = new Float32Array(images.length * images[0].length);
  images.forEach((img, r) => idx.forEach((tile, t) => tile.forEach((p, j) => (rows[r * img.length + t * tileDim + j] = img[p]))));
  return { rows, tileDim };
}

/**
 * The k nearest training images of each query, exact. The training side of each block (a tile, or the whole
 * image) is transposed and its squared norms computed once; queries go through in chunks so the distance
 * matrix never exceeds chunk x train entries.
 */
export function nearestNeighbours(queries: readonly Float32Array[], train: readonly Float32Array[], size: number, distance: Distance, k: number, chunk = 256): Neighbours {
  if (distance === 'tiled-l2' && size % GRID !== 0) throw new ConfigError(`tiled L2 needs an image size divisible by ${GRID}, got ${size}`);
  const d = train[0].length;
  const layout = distance === 'tiled-l2' ? byTiles(train, size) : { rows: concat(train), tileDim: d };
  const dim = layout.tileDim;
  const blocks = Array.from({ length: d / dim }, (_, b) => blockOf(layout.rows, train.length, d, b, dim));
  const m = train.length;
  const indices: number[][] = [];
  const distances: number[][] = [];
  try {
    for (let start = 0; start < queries.length; start += chunk) {
      const part = queries.slice(start, start + chunk);
      const qRows = distance === 'tiled-l2' ? byTiles(part, size).rows : concat(part);
      const worst = new Float32Array(part.length * m);
      blocks.forEach((x, b) => {
        const q = blockOf(qRows, part.length, d, b, dim);
        const dots = tidy(() => ops.matMul(q.tensor, x.tensor, false, true).toArray()); // [n, m]
        q.tensor.dispose();
        // Mean squared difference over the block: (|q|^2 + |x|^2 - 2 q.x) / dim, clamped at 0 against rounding.
        for (let i = 0; i < part.length; i++) {
          for (let j = 0; j < m; j++) {
            const dist = Math.fround(Math.max(0, q.norms[i] + x.norms[j] - 2 * dots[i * m + j]) / dim);
            if (b === 0 || dist > worst[i * m + j]) worst[i * m + j] = dist;
          }
        }
      });
      for (let i = 0; i < part.length; i++) {
        const nearest = smallest(worst.subarray(i * m, (i + 1) * m), Math.min(k, m));
        indices.push(nearest);
        distances.push(nearest.map((j) => Math.sqrt(worst[i * m + j])));
      }
    }
  } finally {
    for (const x of blocks) x.tensor.dispose();
  }
  return { indices, distances };
}

/** Columns [b * dim, (b + 1) * dim) of rows [n, d], as a tensor, with each row's squared norm. */
function blockOf(rows: Float32Array, n: number, d: number, b: number, dim: number): { tensor: Tensor; norms: Float32Array } {
  const values = new Float32Array(n * dim);
  const norms = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const row = rows.subarray(i * d + b * dim, i * d + (b + 1) * dim);
    values.set(row, i * dim);
    let s = 0;
    for (const v of row) s += v * v;
    norms[i] = s;
  }
  return { tensor: tensor(values, [n, dim]), norms };
}

/** Indices of the k smallest values, smallest first (ties: lower index first). */
function smallest(values: Float32Array, k: number): number[] {
  const best: number[] = [];
  for (let j = 0; j < values.length; j++) {
    if (best.length === k && values[j] >= values[best[k - 1]]) continue;
    let at = best.length === k ? k - 1 : best.length;
    if (best.length < k) best.push(j);
    while (at > 0 && values[best[at - 1]] > values[j]) {
      best[at] = best[at - 1];
      at--;
    }
    best[at] = j;
  }
  return best;
}

function concat(images: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(images.length * images[0].length);
  images.forEach((img, i) => out.set(img, i * img.length));
  return out;
}

/**
 * Where the nearest training images come from: the images in memory (exact, the default), or an on-disk vector
 * index for training sets too large for that (src/audit/indexes/). Both answer the same questions.
 */
export interface NeighbourSearch {
  /** "memory" or the engine's name. */
  readonly engine: string;
  /** Training images searched. */
  readonly count: number;
  nearest(queries: readonly Float32Array[], distance: Distance, k: number): Promise<Neighbours>;
  /** Training images by index. */
  images(indices: readonly number[]): Promise<Float32Array[]>;
}

/** Exact search over training images held in memory. */
export function memorySearch(train: readonly Float32Array[], size: number): NeighbourSearch {
  return {
    engine: 'memory', count: train.length,
    nearest: async (queries, distance, k) => nearestNeighbours(queries, train, size, distance, k),
    images: async (indices) => indices.map((i) => train[i]),
  };
}

/** Distance between two images of a size, by name. */
export function imageDistance(a: Float32Array, b: Float32Array, size: number, distance: Distance): number {
  return distance === 'tiled-l2' ? tiledL2(a, b, size) : normalisedL2(a, b);
}

/** Mean distance of each of `of` to its `neighbours` nearest training images other than itself, through a search. */
export async function meanNeighbourDistanceBy(search: NeighbourSearch, distance: Distance, neighbours: number, of: readonly Float32Array[]): Promise<number[]> {
  const near = await search.nearest(of, distance, neighbours + 1);
  return near.distances.map((row) => row.slice(1).reduce((a, b) => a + b, 0) / Math.max(1, row.length - 1));
}

/**
 * For each of `of` (training images; by default all of them), the mean distance to its `neighbours` nearest
 * other training images.
 */
export function meanNeighbourDistance(train: readonly Float32Array[], size: number, distance: Distance, neighbours = 50, of: readonly Float32Array[] = train): number[] {
  const near = nearestNeighbours(of, train, size, distance, neighbours + 1);
  // The nearest is the image itself (distance 0); duplicates of it count as neighbours, as they should.
  return near.distances.map((row) => row.slice(1).reduce((a, b) => a + b, 0) / Math.max(1, row.length - 1));
}

/** Carlini's ratio rule: a near-copy when d / (alpha * mean neighbour distance of that training image) < 1. */
export function isNearCopy(distanceToNearest: number, meanNeighbourDistanceOfIt: number, alpha = 0.5): boolean {
  return distanceToNearest / (alpha * meanNeighbourDistanceOfIt) < 1;
}
