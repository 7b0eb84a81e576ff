// The train / held-out split is a pure function of (example hash, split seed, held-out fraction), so it can
// be rebuilt later from the dataset and the provenance in a weights file. Identical examples share a hash and
// so always fall on the same side: a duplicate can never leak from train into held-out.
import { hash32 } from '../engine/index.js';
import { ConfigError } from '../errors.js';
import type { Dataset, HashedExample } from './dataset.js';

export interface SplitSpec {
  readonly splitSeed: number;
  readonly heldOutFraction: number;
}

export interface Split {
  readonly train: readonly HashedExample[];
  readonly heldOut: readonly HashedExample[];
}

export function isHeldOut(hash: string, spec: SplitSpec): boolean {
  return hash32(`${spec.splitSeed}:${hash}`) / 4294967296 < spec.heldOutFraction;
}

export function splitDataset(dataset: Dataset, spec: SplitSpec): Split {
  if (!(spec.heldOutFraction > 0 && spec.heldOutFraction < 1)) {
    throw new ConfigError(`held-out fraction must be between 0 and 1, got ${spec.heldOutFraction}`);
  }
  const train: HashedExample[] = [];
  const heldOut: HashedExample[] = [];
  for (const e of dataset.examples) (isHeldOut(e.hash, spec) ? heldOut : train).push(e);
  if (train.length === 0 || heldOut.length === 0) {
    throw new ConfigError(
      `split of ${dataset.examples.length} examples at held-out fraction ${spec.heldOutFraction} leaves ` +
        `${train.length} for training and ${heldOut.length} held out; both need at least one`,
    );
  }
  return { train, heldOut };
}
