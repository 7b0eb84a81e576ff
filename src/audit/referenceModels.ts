// Reference models for LiRA and RMIA (referenceAttacks.ts): K models of the audited model's config, trained
// by the one trainer with the audited model's settings and step count, each on
//   every training example outside the audit pool  +  a random half of the audit pool (members + held-out),
// so each reference model sees as much data as the audited one and every audited example is IN for about half
// of them and OUT for the rest. Each model is cached as a weights file named by what it was trained on, so a
// second audit (or one with a larger K) reuses the models it already has.
import { deriveSeed, hash32, Rng } from '../engine/index.js';
import type { NamedArray } from '../train/trainer.js';
import { decodeModelFile, encodeModelFile, type ModelRecord } from '../weights/modelFile.js';
import type { Storage } from '../weights/storage.js';
import type { ReferenceScores } from './referenceAttacks.js';

/** How one model family trains and scores a reference model; see referenceFamilies.ts. */
export interface ReferenceFamily<Item> {
  /** Content hash of an item (the dataset's example hash). */
  hash(item: Item): string;
  /** Trains a fresh model of the audited config on `train` (`heldOut` for its evaluations); returns its weights. */
  train(train: readonly Item[], heldOut: readonly Item[], seed: number, onStep: (step: number, steps: number) => void): Promise<Map<string, NamedArray>>;
  /** Log-likelihood of each item (higher = fits better) under the model with these weights. */
  score(params: Map<string, NamedArray>, items: readonly Item[]): number[];
}

export interface ReferenceRequest<Item> {
  readonly family: ReferenceFamily<Item>;
  /** The audited model's weights file, whose settings the reference models copy. */
  readonly record: ModelRecord;
  /** Training examples outside the audit pool: every reference model trains on all of them. */
  readonly filler: readonly Item[];
  /** The audit pool (audited members, then audited held-out examples); `target` scores them in this order. */
  readonly pool: readonly Item[];
  readonly target: readonly number[];
  /** How many times an item occurs in the audited model's training data; a reference model that takes it takes it as often. */
  readonly copies?: (item: Item) => number;
  readonly count: number;
  readonly seed: number;
  readonly storage: Storage;
  /** Folder for the cached reference models. */
  readonly cacheDir: string;
  readonly progress?: (stage: string, done: number, total: number) => void;
}

export interface ReferenceRun extends ReferenceScores {
  /** Reference models loaded from the cache rather than trained. */
  readonly reused: number;
  readonly trainSeconds: number;
  /** Cache files, in model order. */
  readonly files: readonly string[];
}

/** Which pool examples reference model k trains on: an exact half, drawn from the audit seed and k alone. */
export function referenceHalf(poolSize: number, seed: number, k: number): boolean[] {
  const order = new Rng(deriveSeed(seed, 'reference model', k)).shuffle(Array.from({ length: poolSize }, (_, i) => i));
  const included = new Array<boolean>(poolSize).fill(false);
  for (const i of order.slice(0, Math.floor(poolSize / 2))) included[i] = true;
  return included;
}

/** A cache name that changes with anything the reference model depends on. */
function cacheName<Item>(req: ReferenceRequest<Item>, included: readonly boolean[], k: number): string {
  const recipe = JSON.stringify({
    config: req.record.modelConfig, train: req.record.trainConfig, vocabulary: req.record.vocabulary, k, seed: req.seed,
    filler: hashList(req.filler.map(req.family.hash)), members: hashList(req.pool.filter((_, i) => included[i]).map(req.family.hash)),
  });
  return `reference-${k}-${hash32(recipe).toString(16).padStart(8, '0')}${hash32(`engram:${recipe}`).toString(16).padStart(8, '0')}.safetensors`;
}

const hashList = (hashes: readonly string[]) => hash32(hashes.join(',')).toString(16);

export async function referenceScores<Item>(req: ReferenceRequest<Item>): Promise<ReferenceRun> {
  const references: number[][] = [];
  const included: boolean[][] = [];
  const files: string[] = [];
  let reused = 0;
  let trainSeconds = 0;
  for (let k = 0; k < req.count; k++) {
    const half = referenceHalf(req.pool.length, req.seed, k);
    const file = `${req.cacheDir}/${cacheName(req, half, k)}`;
    let params = await loadCached(req.storage, file);
    if (params) reused++;
    else {
      const started = performance.now();
      const taken = req.pool.filter((_, i) => half[i]);
      const train = [...req.filler, ...taken.flatMap((item) => Array.from({ length: Math.max(1, req.copies?.(item) ?? 1) }, () => item))];
      // Evaluated on pool examples it does not train on, as the audited model was on held-out ones.
      const evaluation = req.pool.filter((_, i) => !half[i]).slice(0, 256);
      params = await req.family.train(train, evaluation, deriveSeed(req.seed, 'reference weights', k),
        (step, steps) => req.progress?.('reference models', k * steps + step, req.count * steps));
      trainSeconds += (performance.now() - started) / 1000;
      await req.storage.write(file, encodeModelFile({ ...req.record, params, trainState: undefined }));
    }
    references.push(req.family.score(params, req.pool));
    included.push(half);
    files.push(file);
  }
  return { target: req.target, references, included, reused, trainSeconds, files };
}

/** A cached reference model's weights, or undefined when there is none (or it cannot be read). */
async function loadCached(storage: Storage, file: string): Promise<Map<string, NamedArray> | undefined> {
  if (!(await storage.exists(file))) return undefined;
  try {
    return decodeModelFile(await storage.read(file), file).params;
  } catch {
    return undefined; // a damaged cache entry is retrained and overwritten, never trusted
  }
}
