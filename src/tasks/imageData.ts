// What the image tasks (tags -> image, image -> tags) share: the train / held-out split of an image dataset,
// the tag vocabulary built from the training side, the dataset's provenance for the weights file, and the
// training run itself (resume checks, batches, the weights file's record) around the one runner.
import { ConfigError } from '../errors.js';
import { isHeldOut, type SplitSpec } from '../data/split.js';
import type { ImageDataset, ImageExample } from '../data/imageDataset.js';
import { TagVocabulary } from '../codecs/tags.js';
import type { TrainableModel } from '../models/model.js';
import type { ImageBatch } from '../models/tagger.js';
import type { TrainConfig } from '../train/config.js';
import { ImageBatches, type ImageItem } from '../train/imageBatches.js';
import type { EvalRecord, StepRecord, TrainState } from '../train/trainer.js';
import type { ModelRecord, Provenance } from '../weights/modelFile.js';
import type { Storage } from '../weights/storage.js';
import { checkSameRun, findCheckpoint, runTraining, type RunTrainingResult } from './runTraining.js';

export interface ImageSplit {
  readonly train: ImageExample[];
  readonly heldOut: ImageExample[];
}

export function splitImages(dataset: ImageDataset, split: SplitSpec): ImageSplit {
  const sides: ImageSplit = { train: [], heldOut: [] };
  for (const e of dataset.examples) (isHeldOut(e.hash, split) ? sides.heldOut : sides.train).push(e);
  return sides;
}

/** Tags seen at least `minCount` times among the training images; at least two, or there is nothing to learn. */
export function tagVocabularyOf(train: readonly ImageExample[], minCount: number): TagVocabulary {
  const vocabulary = TagVocabulary.fromTagLists(train.map((e) => e.tags), minCount);
  if (vocabulary.size < 2) throw new ConfigError(`only ${vocabulary.size} tag(s) occur ${minCount}+ times in training; need at least 2`);
  return vocabulary;
}

export function imageItem(e: ImageExample, vocabulary: TagVocabulary): ImageItem {
  return { pixels: e.image.pixels, target: vocabulary.encode(e.tags) };
}

export function imageProvenance(dataset: ImageDataset, split: SplitSpec, sides: ImageSplit, state: TrainState, r: EvalRecord | undefined): Provenance {
  return {
    dataset: {
      name: dataset.name, version: dataset.version, fingerprint: dataset.fingerprint, examples: dataset.examples.length,
      bytes: dataset.examples.length * dataset.size * dataset.size * 3, duplicateCount: dataset.duplicateCount,
    },
    split: { ...split, trainExamples: sides.train.length, heldOutExamples: sides.heldOut.length },
    steps: state.step, trainLoss: r?.trainLoss ?? NaN, heldOutLoss: r?.heldOutLoss ?? NaN, engramVersion: '',
  };
}

/** What every image training request holds, whatever the model family. */
export interface ImageRunRequest {
  readonly dataset: ImageDataset;
  readonly out: string;
  readonly train: TrainConfig;
  readonly split: SplitSpec;
  readonly storage: Storage;
  /** Continue from the checkpoint beside `out`. */
  readonly resume?: boolean;
  readonly onStep?: (record: StepRecord) => void;
  readonly onEval?: (record: EvalRecord) => void;
  readonly stopRequested?: () => boolean;
}

export interface ImageFamily<M extends TrainableModel<ImageBatch>> {
  readonly task: string;
  /** The user's model settings, compared with a checkpoint's on --resume (the image size is added). */
  readonly settings: { readonly minTagCount: number };
  /** The model for this vocabulary; `multiTag` is false when every image has exactly one tag. */
  build(vocabulary: TagVocabulary, multiTag: boolean): { model: M; config: object };
}

export type ImageRunOutcome = RunTrainingResult & { readonly vocabulary: TagVocabulary; readonly multiTag: boolean };

/** Trains one image model family through the one runner and writes its weights file (and checkpoints). */
export async function trainOnImages<M extends TrainableModel<ImageBatch>>(req: ImageRunRequest, family: ImageFamily<M>): Promise<ImageRunOutcome> {
  const resumed = req.resume ? await findCheckpoint(req.storage, req.out, family.task) : undefined;
  if (req.resume && !resumed) throw new ConfigError(`--resume: no checkpoint beside ${req.out}; train without --resume first`);
  if (resumed) checkSameRun(resumed, { dataset: req.dataset, modelSettings: { ...family.settings, imageSize: req.dataset.size }, train: req.train, split: req.split });
  const sides = splitImages(req.dataset, req.split);
  const multiTag = req.dataset.examples.some((e) => e.tags.length !== 1);
  const vocabulary = tagVocabularyOf(sides.train, multiTag ? family.settings.minTagCount : 1);
  const { model, config } = family.build(vocabulary, multiTag);
  const item = (e: ImageExample) => imageItem(e, vocabulary);
  const data = new ImageBatches(sides.train.map(item), sides.heldOut.map(item), req.train.batchSize);
  const recordOf = (state: TrainState, r: EvalRecord | undefined, withState: boolean): ModelRecord => ({
    kind: model.kind, task: family.task, modelConfig: { ...config, minTagCount: family.settings.minTagCount }, trainConfig: req.train,
    vocabulary: vocabulary.toJSON(), params: state.params, trainState: withState ? state : undefined,
    provenance: imageProvenance(req.dataset, req.split, sides, state, r),
  });
  try {
    const result = await runTraining({
      model, data, train: req.train, storage: req.storage, out: req.out, resume: resumed?.trainState,
      recordOf, onStep: req.onStep, onEval: req.onEval, stopRequested: req.stopRequested,
    });
    return { ...result, vocabulary, multiTag };
  } finally {
    model.dispose();
  }
}
