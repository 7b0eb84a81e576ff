// What the image audits share: the check that the dataset is the one the model was trained on, a seeded
// sample of training and held-out images (the split rebuilt from the weights file), and the report header.
import { Rng } from '../engine/index.js';
import { DatasetError } from '../errors.js';
import { isHeldOut } from '../data/split.js';
import type { ImageDataset, ImageExample } from '../data/imageDataset.js';
import type { ModelRecord } from '../weights/modelFile.js';

export interface AuditedModel {
  readonly file: string;
  readonly sha256?: string;
  readonly kind: string;
  readonly task: string;
  readonly config: Record<string, unknown>;
  readonly steps: number;
}

export interface AuditedDataset {
  readonly name: string;
  readonly version: string;
  readonly fingerprint: string;
  readonly examples: number;
  readonly size: number;
}

export interface ImageSides {
  /** Every training image, in dataset order. */
  readonly train: readonly ImageExample[];
  /** Every held-out image, shuffled by the audit seed. */
  readonly heldOut: readonly ImageExample[];
  readonly model: AuditedModel;
  readonly dataset: AuditedDataset;
}

export function imageSides(record: ModelRecord, file: string, fileSha256: string | undefined, dataset: ImageDataset, seed: number): ImageSides {
  const trained = record.provenance.dataset;
  if (trained.fingerprint !== dataset.fingerprint) {
    throw new DatasetError(`dataset ${dataset.name} (fingerprint ${dataset.fingerprint.slice(0, 12)}) is not the one ${file} was trained on: ${trained.name} (fingerprint ${trained.fingerprint.slice(0, 12)})`);
  }
  const train = dataset.examples.filter((e) => !isHeldOut(e.hash, record.provenance.split));
  const heldOut = new Rng(seed).shuffle(dataset.examples.filter((e) => isHeldOut(e.hash, record.provenance.split)));
  if (train.length === 0 || heldOut.length === 0) throw new DatasetError(`nothing to compare: ${train.length} training and ${heldOut.length} held-out images`);
  return {
    train, heldOut,
    model: { file, sha256: fileSha256, kind: record.kind, task: record.task, config: record.modelConfig, steps: record.provenance.steps },
    dataset: { name: dataset.name, version: dataset.version, fingerprint: dataset.fingerprint, examples: dataset.examples.length, size: dataset.size },
  };
}
