// A copy score that survives the edits pixel distances miss: a generation that reproduces a training image
// shifted by a few pixels, mirrored, recoloured or cropped (Somepalli et al. 2023, "Diffusion Art or Digital
// Forgery?", found most replication in diffusion models is of this kind). No pretrained copy-detection
// network can be downloaded here, so the descriptor is built by hand:
// - each colour channel slightly blurred and standardised to zero mean and unit length on its own: invariant
//   to any brightness, contrast, tint or white-balance change (a gain and offset per channel);
// - the training image's central window (a MARGIN-pixel border cut off), whole or its central 90%, 80% or 70%
//   enlarged back to full size, is compared with the 25 windows of the query at offsets of up to MARGIN
//   pixels each way, of the query mirrored or not, whole or its central 80% enlarged: 400 comparisons; the
//   best one counts. Cropping the training side finds a generation that is a crop of a training image;
//   cropping the query finds one that shows more than the training image did. Windows, not shifted images, so
//   no made-up border pixels enter the comparison.
// The copy distance is sqrt(2 - 2 * best correlation): 0 for a copy up to those edits, about 1.4 for unrelated
// images. Not covered: rotations, rescaling other than the one crop, edits of the content itself.
import { ops, tensor, tidy } from '../engine/index.js';
import { resize } from '../data/imageFile.js';

const MARGIN = 2;
/** Crops tried on the training side (a generation may be a crop of it) and on the query side. */
const TRAIN_CROPS = [1, 0.9, 0.8, 0.7];
const QUERY_CROPS = [1, 0.8];

/**
 * The window of side size - 2 * MARGIN at (ox, oy) of each channel (planes: [3][size * size]), blurred within
 * itself and standardised on its own; the three are joined with unit length overall.
 */
function describe(planes: readonly Float32Array[], size: number, ox: number, oy: number): Float32Array {
  const side = size - 2 * MARGIN;
  const out = new Float32Array(3 * side * side);
  planes.forEach((plane, c) => {
    const window = new Float32Array(side * side);
    for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) window[y * side + x] = plane[(oy + y) * size + ox + x];
    const blurred = blur(window, side);
    const mean = blurred.reduce((a, b) => a + b, 0) / blurred.length;
    let norm = 0;
    for (let i = 0; i < blurred.length; i++) { blurred[i] -= mean; norm += blurred[i] * blurred[i]; }
    const scale = norm > 1e-12 ? 1 / Math.sqrt(3 * norm) : 0; // a flat channel matches nothing
    for (let i = 0; i < blurred.length; i++) out[c * side * side + i] = blurred[i] * scale;
  });
  return out;
}

/** A 3x3 box blur, so resampling (crops) and one-pixel jitter cost little. */
function blur(grey: Float32Array, size: number): Float32Array {
  const out = new Float32Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let sum = 0;
      let n = 0;
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
        const yy = y + dy;
        const xx = x + dx;
        if (yy >= 0 && yy < size && xx >= 0 && xx < size) { sum += grey[yy * size + xx]; n++; }
      }
      out[y * size + x] = sum / n;
    }
  }
  return out;
}

function planesOf(pixels: Float32Array): Float32Array[] {
  return [0, 1, 2].map((c) => Float32Array.from({ length: pixels.length / 3 }, (_, i) => pixels[3 * i + c]));
}

function mirrored(plane: Float32Array, size: number): Float32Array {
  return Float32Array.from(plane, (_, i) => plane[Math.floor(i / size) * size + size - 1 - (i % size)]);
}

/** The central `fraction` of the image enlarged back to size x size. */
function cropped(pixels: Float32Array, size: number, fraction: number): Float32Array {
  if (fraction === 1) return pixels;
  const side = Math.max(1, Math.round(size * fraction));
  const start = Math.floor((size - side) / 2);
  const rgb = new Float32Array(side * side * 3);
  for (let y = 0; y < side; y++) rgb.set(pixels.subarray(3 * ((start + y) * size + start), 3 * ((start + y) * size + start + side)), 3 * y * side);
  return resize({ width: side, height: side, pixels: rgb }, size).pixels;
}

/** The 100 views of a query image, as descriptors. */
export function queryViews(pixels: Float32Array, size: number): Float32Array[] {
  const views: Float32Array[] = [];
  for (const whole of QUERY_CROPS.map((f) => planesOf(cropped(pixels, size, f)))) {
    for (const planes of [whole, whole.map((p) => mirrored(p, size))]) {
      for (let oy = 0; oy <= 2 * MARGIN; oy++) for (let ox = 0; ox <= 2 * MARGIN; ox++) views.push(describe(planes, size, ox, oy));
    }
  }
  return views;
}

/** A training image's descriptors: whole, and its central crops enlarged (a generation may be one of them). */
export const trainingDescriptors = (pixels: Float32Array, size: number) => TRAIN_CROPS.map((f) => describe(planesOf(cropped(pixels, size, f)), size, MARGIN, MARGIN));

export interface RobustMatch {
  /** The training image matched best in any view. */
  readonly index: number;
  /** sqrt(2 - 2 * best correlation): 0 = a copy up to shifts, mirroring, colour and cropping. */
  readonly distance: number;
}

/** For each query, its best-matching training image over all views; one matrix product per chunk of views. */
export function robustNearest(queries: readonly Float32Array[], train: readonly Float32Array[], size: number, chunk = 8): RobustMatch[] {
  const d = 3 * (size - 2 * MARGIN) ** 2;
  const perImage = TRAIN_CROPS.length;
  const columns = train.length * perImage;
  const trainRows = new Float32Array(columns * d);
  train.forEach((p, i) => trainingDescriptors(p, size).forEach((v, j) => trainRows.set(v, (i * perImage + j) * d)));
  const trainTensor = tensor(trainRows, [columns, d]);
  const out: RobustMatch[] = [];
  try {
    for (let start = 0; start < queries.length; start += chunk) {
      const part = queries.slice(start, start + chunk).map((q) => queryViews(q, size));
      const views = part[0].length;
      const rows = new Float32Array(part.length * views * d);
      part.forEach((vs, q) => vs.forEach((v, j) => rows.set(v, (q * views + j) * d)));
      const dots = tidy(() => ops.matMul(tensor(rows, [part.length * views, d]), trainTensor, false, true).toArray());
      for (let q = 0; q < part.length; q++) {
        let best = -Infinity;
        let index = 0;
        for (let r = q * views; r < (q + 1) * views; r++) {
          for (let j = 0; j < columns; j++) {
            const v = dots[r * columns + j];
            if (v > best) { best = v; index = Math.floor(j / perImage); }
          }
        }
        out.push({ index, distance: Math.sqrt(Math.max(0, 2 - 2 * Math.min(1, best))) });
      }
    }
  } finally {
    trainTensor.dispose();
  }
  return out;
}

/**
 * The copy-distance threshold that flags `falseAlarmRate` of baseline images (real images never trained on):
 * a generation closer than that to a training image is a near-copy at that false-alarm rate.
 */
export function thresholdAtFalseAlarms(baselineDistances: readonly number[], falseAlarmRate: number): number {
  const sorted = [...baselineDistances].sort((a, b) => a - b);
  const k = Math.floor(falseAlarmRate * sorted.length); // at most k baseline images fall strictly below
  return sorted.length === 0 ? 0 : sorted[Math.min(k, sorted.length - 1)];
}
