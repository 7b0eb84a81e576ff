// The image-to-tags task end to end: image dataset -> split -> tag vocabulary -> CNN tagger -> the one
// trainer -> weights file, and back to a model that tags an image.
import { WeightsFormatError } from '../errors.js';
import type { SplitSpec } from '../data/split.js';
import type { ImageDataset, ImageExample } from '../data/imageDataset.js';
import type { RgbImage } from '../data/imageFile.js';
import { TagVocabulary, type TagVocabularyJSON } from '../codecs/tags.js';
import { Tagger, taggerParamShapes, type TaggerConfig } from '../models/tagger.js';
import type { TrainConfig } from '../train/config.js';
import { ImageBatches } from '../train/imageBatches.js';
import { imageItem, imageProvenance, splitImages, tagVocabularyOf } from './imageData.js';
import type { EvalRecord, StepRecord, TrainState } from '../train/trainer.js';
import { loadModelFile, paramsFromRecord, type ModelRecord } from '../weights/modelFile.js';
import type { Storage } from '../weights/storage.js';
import { runTraining, type RunTrainingResult } from './runTraining.js';

export const TAGGER_TASK = 'image-to-tags';

export interface TaggerSettings {
  readonly channels: readonly number[];
  /** Tags seen fewer times in training are left out of the vocabulary. */
  readonly minTagCount: number;
}

export const TAGGER_SETTINGS_DEFAULTS: TaggerSettings = { channels: [32, 64, 128], minTagCount: 2 };

export interface TaggerTrainRequest {
  readonly dataset: ImageDataset;
  readonly out: string;
  readonly settings: TaggerSettings;
  readonly train: TrainConfig;
  readonly split: SplitSpec;
  readonly storage: Storage;
  readonly onStep?: (record: StepRecord) => void;
  readonly onEval?: (record: EvalRecord) => void;
  readonly stopRequested?: () => boolean;
}

export async function trainTagger(req: TaggerTrainRequest): Promise<RunTrainingResult & { vocabulary: TagVocabulary; multiLabel: boolean }> {
  const sides = splitImages(req.dataset, req.split);
  // Single-label data (one tag per image, such as digits) trains a softmax; anything else independent sigmoids.
  const multiLabel = req.dataset.examples.some((e) => e.tags.length !== 1);
  const vocabulary = tagVocabularyOf(sides.train, multiLabel ? req.settings.minTagCount : 1);
  const item = (e: ImageExample) => imageItem(e, vocabulary);
  const config: TaggerConfig = { imageSize: req.dataset.size, channels: req.settings.channels, numTags: vocabulary.size, multiLabel };
  const model = Tagger.init(config, req.train.seed);
  const data = new ImageBatches(sides.train.map(item), sides.heldOut.map(item), req.train.batchSize);
  const recordOf = (state: TrainState, r: EvalRecord | undefined, withState: boolean): ModelRecord => ({
    kind: model.kind, task: TAGGER_TASK, modelConfig: { ...config, minTagCount: req.settings.minTagCount }, trainConfig: req.train,
    vocabulary: vocabulary.toJSON(), params: state.params, trainState: withState ? state : undefined,
    provenance: imageProvenance(req.dataset, req.split, sides, state, r),
  });
  try {
    const result = await runTraining({ model, data, train: req.train, storage: req.storage, out: req.out, recordOf, onStep: req.onStep, onEval: req.onEval, stopRequested: req.stopRequested });
    return { ...result, vocabulary, multiLabel };
  } finally {
    model.dispose();
  }
}

export interface LoadedTagger {
  readonly model: Tagger;
  readonly vocabulary: TagVocabulary;
  readonly record: ModelRecord;
}

export async function loadTagger(storage: Storage, location: string): Promise<LoadedTagger> {
  return taggerFromRecord(await loadModelFile(storage, location, { kind: 'tagger', task: TAGGER_TASK }), location);
}

/** A tagger from a weights file already read. */
export function taggerFromRecord(record: ModelRecord, location: string): LoadedTagger {
  if (record.kind !== 'tagger' || record.task !== TAGGER_TASK) throw new WeightsFormatError(`${location} holds a ${record.kind} model (${record.task}); this needs a tagger`);
  const vocabulary = TagVocabulary.fromJSON(record.vocabulary as TagVocabularyJSON);
  const config = record.modelConfig as unknown as TaggerConfig;
  if (config.numTags !== vocabulary.size) throw new WeightsFormatError(`${location}: ${vocabulary.size} tags in the vocabulary, ${config.numTags} outputs in the model`);
  const params = paramsFromRecord(record, taggerParamShapes(config), location);
  return { model: new Tagger(config, params), vocabulary, record };
}

/** The most probable tags of one image (already at the model's size), highest first. */
export function tagImage(loaded: LoadedTagger, image: RgbImage, top = 5): { tag: string; probability: number }[] {
  const probs = loaded.model.predict(image.pixels, 1);
  return [...probs].map((probability, i) => ({ tag: loaded.vocabulary.tags[i], probability }))
    .sort((a, b) => b.probability - a.probability).slice(0, top);
}
