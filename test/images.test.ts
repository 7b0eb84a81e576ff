// Image data: codec round trips on real emoji, resizing by hand-computed values, the three loaders.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { decodeImage, encodePng, resize, toBytes } from '../src/data/imageFile.js';
import { emojiTags, loadEmoji } from '../src/data/emoji.js';
import { loadMnist } from '../src/data/mnist.js';
import { loadImageFolder } from '../src/data/imageFolder.js';
import { DatasetError } from '../src/errors.js';
import { scratchDir } from './scratch.js';

const require = createRequire(import.meta.url);
const emojiDir = path.join(path.dirname(require.resolve('emoji-datasource-twitter/package.json')), 'img', 'twitter', '64');
const grinning = () => readFileSync(path.join(emojiDir, '1f600.png'));

test('PNG decode -> encode -> decode keeps every 8-bit pixel of a real emoji', () => {
  const image = decodeImage(grinning(), '1f600.png');
  assert.equal(image.width, 64);
  const again = decodeImage(encodePng(image));
  assert.deepEqual(toBytes(again), toBytes(image));
  // Transparent corners become white; the face is yellow (red and green high, blue low).
  assert.deepEqual([...image.pixels.slice(0, 3)], [1, 1, 1]);
  const centre = 3 * (32 * 64 + 32);
  assert.ok(image.pixels[centre] > 0.8 && image.pixels[centre + 2] < 0.5, `centre ${image.pixels.slice(centre, centre + 3)}`);
});

test('area resize averages exactly', () => {
  // 2x2 -> 1x1 is the mean; 4x4 -> 2x2 averages each quadrant.
  const px = (values: number[]) => Float32Array.from(values.flatMap((v) => [v, v, v]));
  assert.deepEqual([...resize({ width: 2, height: 2, pixels: px([0, 1, 0.5, 0.5]) }, 1).pixels], [0.5, 0.5, 0.5]);
  const big = resize({ width: 4, height: 4, pixels: px([1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1]) }, 2);
  assert.deepEqual([...big.pixels].filter((_, i) => i % 3 === 0), [1, 0, 0, 0.5]);
  // 3x3 -> 2x2 needs fractional weights: the top-left output covers 1.5 x 1.5 input pixels.
  const odd = resize({ width: 3, height: 3, pixels: px([1, 0, 0, 0, 0, 0, 0, 0, 0]) }, 2);
  assert.ok(Math.abs(odd.pixels[0] - 1 / 2.25) < 1e-6);
});

test('emoji: names become tags; skin tones and identical drawings are near-duplicates', () => {
  assert.deepEqual(emojiTags({ name: 'GRINNING FACE', short_names: ['grinning'], category: 'Smileys & Emotion', subcategory: 'face-smiling' }),
    ['grinning', 'face', 'smileys & emotion', 'face-smiling']);
  const base = loadEmoji({ limit: 40 });
  assert.equal(base.examples.length, 40);
  assert.equal(base.examples[0].image.width, 32);
  // All of it: ~1,900 base emoji and ~1,900 skin-tone variants, grouped with their base emoji.
  const all = loadEmoji({ skinTones: true });
  assert.ok(all.examples.length > 3700 && all.nearDuplicateGroups > 300, `${all.examples.length} images, ${all.nearDuplicateGroups} groups`);
  const santa = all.examples.filter((e) => e.group === '1F385');
  assert.equal(santa.length, 6);
  assert.ok(santa.some((e) => e.tags.includes('dark skin tone')));
  assert.equal(loadEmoji({ limit: 40 }).fingerprint, base.fingerprint);
  // Flags drawn identically are near-duplicates too: Svalbard flies Norway's flag (Bouvet Island's differs by a few pixels).
  const flags = loadEmoji().examples.filter((e) => ['flag-no', 'flag-sj'].some((t) => e.tags.includes(t)));
  assert.equal(flags.length, 2);
  assert.equal(new Set(flags.map((e) => e.group)).size, 1, flags.map((e) => `${e.source}: ${e.group}`).join(', '));
});

test('MNIST: labelled digits, white on black, resized to 32', () => {
  const d = loadMnist({ perDigit: 5 });
  assert.equal(d.examples.length, 50);
  assert.deepEqual([...new Set(d.examples.map((e) => e.tags[0]))], ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  const img = d.examples[0].image;
  assert.equal(img.width, 32);
  assert.equal(img.pixels[0], 0, 'corner is background (black)');
  assert.ok(Math.max(...img.pixels) > 0.9, 'the stroke is bright');
});

test('image folder: tags file, mixed sizes resized, bad files skipped with a count or stopping the load', () => {
  const dir = scratchDir('images');
  copyFileSync(path.join(emojiDir, '1f600.png'), path.join(dir, 'a.png'));
  writeFileSync(path.join(dir, 'b.png'), encodePng({ width: 10, height: 7, pixels: new Float32Array(10 * 7 * 3).fill(0.5) }));
  writeFileSync(path.join(dir, 'notes.png'), 'not an image');
  writeFileSync(path.join(dir, 'tags.tsv'), 'a.png\tSmile, Face\nb.png\tgrey\nnotes.png\tbroken\n');
  const d = loadImageFolder(dir, { size: 16 });
  assert.equal(d.examples.length, 2);
  assert.deepEqual(d.examples[0].tags, ['smile', 'face']);
  assert.equal(d.examples[1].image.width, 16);
  assert.equal(d.skipped.length, 1);
  assert.throws(() => loadImageFolder(dir, { onBadFile: 'stop' }), (e: unknown) => e instanceof DatasetError && /notes.png is not a PNG or JPEG/.test(e.message));
  const empty = path.join(dir, 'empty');
  mkdirSync(empty);
  assert.throws(() => loadImageFolder(empty), (e: unknown) => e instanceof DatasetError && /is empty/.test(e.message));
  assert.throws(() => loadImageFolder(path.join(dir, 'missing')), DatasetError);
});
