// The data flags every image command shares (--data, --image-size, --skip-bad-files) and the one line that
// describes what was loaded.
import { ConfigError } from '../errors.js';
import { loadImageDataset } from '../data/images.js';
import type { ImageDataset } from '../data/imageDataset.js';
import type { SplitSpec } from '../data/split.js';
import { findCheckpoint } from '../tasks/runTraining.js';
import { SPLIT_DEFAULTS } from '../tasks/text.js';
import type { TrainConfig } from '../train/config.js';
import type { ModelRecord } from '../weights/modelFile.js';
import { FileStorage } from '../weights/storage.js';
import { DatasetError } from '../errors.js';
import { numberFlag, type FlagSpec } from './flags.js';

export const IMAGE_DATA_FLAGS: FlagSpec = {
  data: { type: 'string' }, 'image-size': { type: 'string' }, 'skip-bad-files': { type: 'boolean' }, resume: { type: 'boolean' },
};

export const IMAGE_DATA_HELP = `  --data SPEC          mnist (default; mnist:N for N images per digit), emoji, emoji+skin-tones, or a folder
                       with tags.tsv ("file.png<TAB>tag, tag")
  --image-size N       images are resized to N x N (default 32)
  --skip-bad-files     in a folder, skip unreadable images (counted) instead of stopping
  --resume             continue from the checkpoint beside --out, with its data and settings`;

/** The image size from --image-size, checked to be a positive multiple of `multiple`, for the reason given. */
export function imageSizeFlag(values: Record<string, string | boolean | undefined>, multiple: number, why: string, fallback = 32): number {
  const size = numberFlag(values, 'image-size', fallback);
  if (!Number.isInteger(size) || size < multiple || size % multiple !== 0) throw new ConfigError(`--image-size ${size} must be a multiple of ${multiple} (${why})`);
  return size;
}

export function loadImageDataFromFlags(values: Record<string, string | boolean | undefined>, size: number, fallback: string): ImageDataset {
  const dataset = loadImageDataset((values.data as string | undefined) ?? fallback, { size, onBadFile: values['skip-bad-files'] ? 'skip' : 'stop' });
  const skipped = 'skipped' in dataset ? ` (${(dataset as { skipped: unknown[] }).skipped.length} unreadable files skipped)` : '';
  console.error(`dataset ${dataset.name}: ${dataset.examples.length} images at ${size}x${size}, ${dataset.nearDuplicateGroups} near-duplicate groups${skipped}`);
  return dataset;
}

/** "32,64" -> [32, 64]. */
export function channelsFlag(values: Record<string, string | boolean | undefined>, fallback: readonly number[]): number[] {
  const channels = values.channels ? String(values.channels).split(',').map(Number) : [...fallback];
  if (channels.some((c) => !Number.isInteger(c) || c < 1)) throw new ConfigError(`--channels must be positive integers, got ${values.channels}`);
  return channels;
}

/** What a run starts from: the defaults, or on --resume the checkpoint's settings, which flags then override. */
export interface RunBase<Settings> {
  readonly checkpoint?: ModelRecord;
  readonly settings: Settings;
  readonly train: TrainConfig;
  readonly split: SplitSpec;
  readonly imageSize: number;
  /** The dataset spec when --data is not given: the checkpoint's (a folder must be passed with --data), else mnist. */
  readonly data: string;
}

export async function runBase<Settings extends object>(values: Record<string, string | boolean | undefined>, out: string, task: string, settings: Settings, train: TrainConfig): Promise<RunBase<Settings>> {
  if (!values.resume) return { settings, train, split: SPLIT_DEFAULTS, imageSize: 32, data: 'mnist' };
  const checkpoint = await findCheckpoint(new FileStorage(), out, task);
  if (!checkpoint) throw new ConfigError(`--resume: no checkpoint beside ${out}; train without --resume first`);
  const saved = checkpoint.modelConfig;
  const picked = Object.fromEntries(Object.keys(settings).filter((k) => k in saved).map((k) => [k, saved[k]]));
  const trainedOn = checkpoint.provenance.dataset.name;
  // A folder is recorded by name only: the run continues on the folder given with --data (its fingerprint
  // is checked against the checkpoint's), never on another dataset.
  if (trainedOn.startsWith('folder:') && !values.data) throw new ConfigError(`--resume: this run was trained on ${trainedOn}; pass that folder with --data`);
  return {
    checkpoint, settings: { ...settings, ...picked }, train: checkpoint.trainConfig,
    split: { splitSeed: checkpoint.provenance.split.splitSeed, heldOutFraction: checkpoint.provenance.split.heldOutFraction },
    imageSize: Number(saved.imageSize), data: trainedOn,
  };
}

/** The image dataset spec a model was trained on: built in by name, or the folder given with --data. */
export function trainedImagesSpec(record: ModelRecord, file: string, values: Record<string, string | boolean | undefined>): string {
  const trainedOn = record.provenance.dataset.name;
  const spec = (values.data as string | undefined) ?? (trainedOn.startsWith('folder:') ? undefined : trainedOn);
  if (!spec) throw new DatasetError(`${file} was trained on ${trainedOn}; pass that folder with --data so the split can be rebuilt`);
  return spec;
}
