// Shared set-up for tests: the engine, tiny configs, and small slices of real data.
import { initEngine } from '../src/engine/index.js';
import { loadWordnet, makeDataset, type Dataset } from '../src/data/index.js';
import type { TrainConfig } from '../src/train/config.js';
import { TRAIN_DEFAULTS } from '../src/train/config.js';
import type { TextModelSettings } from '../src/tasks/text.js';

export const ready = initEngine();

export const TINY_MODEL: TextModelSettings = { blockSize: 32, nLayer: 2, nHead: 2, nEmbd: 32, dropout: 0 };

export function tinyTrain(overrides: Partial<TrainConfig> = {}): TrainConfig {
  return { ...TRAIN_DEFAULTS, steps: 20, batchSize: 8, warmupSteps: 5, evalEvery: 10, evalBatches: 2, learningRate: 3e-3, ...overrides };
}

let adverbs: Dataset | undefined;
/** WordNet's adverbs (3,625 synsets): real data, small enough for tests. */
export function wordnetAdverbs(): Dataset {
  adverbs ??= loadWordnet(['adv']);
  return adverbs;
}

/** The first n adverb synsets as their own dataset. */
export function wordnetSlice(n: number): Dataset {
  return makeDataset(`wordnet:adv[0:${n}]`, 'test', wordnetAdverbs().examples.slice(0, n));
}

