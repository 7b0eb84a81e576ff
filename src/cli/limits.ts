// Sizes that cannot fit: estimated before anything is allocated, so --batch-size 1e9 or -n 100000 gets a
// one-line answer with the memory it would need, instead of a heap abort or an engine that runs out
// half-way. The estimates count what the engine keeps alive at once (parameters, gradients, AdamW's
// moments, the activations a backward pass needs); they err on the large side.
import { ConfigError } from '../errors.js';

/** The engine's memory is 32-bit addressed: 4 GiB, of which a run may plan on 3.5. */
const BUDGET_BYTES = 3.5 * 2 ** 30;

const gb = (bytes: number) => (bytes / 2 ** 30).toFixed(bytes < 10 * 2 ** 30 ? 1 : 0);

function checkFits(what: string, bytes: number, advice: string): void {
  if (!(bytes <= BUDGET_BYTES)) throw new ConfigError(`${what} would need about ${gb(bytes)} GB; the engine holds at most 4 GB (${advice})`);
}

interface GptSize {
  readonly blockSize: number;
  readonly nLayer: number;
  readonly nHead: number;
  readonly nEmbd: number;
}

/** Bytes to train a GPT: weights x 4 (value, gradient, two moments) and ~20 C + H T floats per token per layer. */
export function checkGptTrainingFits(c: GptSize, batchSize: number, vocabulary = 256): void {
  const C = c.nEmbd;
  const params = vocabulary * C + c.blockSize * C + c.nLayer * 12 * C * C;
  const activations = batchSize * c.blockSize * (c.nLayer * (20 * C + 2 * c.nHead * c.blockSize) + 3 * vocabulary);
  checkFits(`training this model at --batch-size ${batchSize} and --block-size ${c.blockSize}`, 4 * (4 * params + activations), 'lower --batch-size, --block-size or --n-embd');
}

/** Bytes to sample n texts at once: the key/value cache of every layer and one forward pass. */
export function checkGptSamplingFits(c: GptSize, samples: number, vocabulary = 256): void {
  const bytes = 4 * samples * c.blockSize * (c.nLayer * 2 * c.nEmbd + 20 * c.nEmbd + vocabulary);
  checkFits(`${samples} samples at once`, bytes, 'lower -n');
}

/** Bytes for images of `size` px through a network whose widest layers have `channels`: ~40 maps per image. */
function imageBytes(size: number, channels: readonly number[], images: number): number {
  const widest = Math.max(...channels);
  return 4 * images * size * size * (40 * widest + 9 * channels.reduce((a, b) => a + b, 0));
}

export function checkImageTrainingFits(size: number, channels: readonly number[], batchSize: number): void {
  checkFits(`training on ${size}x${size} images at --batch-size ${batchSize}`, imageBytes(size, channels, batchSize), 'lower --batch-size, --image-size or --channels');
}

export function checkImageSamplingFits(size: number, channels: readonly number[], samples: number): void {
  // Guided sampling runs each image twice (with and without its tags).
  checkFits(`${samples} images at once`, imageBytes(size, channels, 2 * samples), 'lower -n');
}
