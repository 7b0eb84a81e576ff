// An engram weights file: safetensors whose __metadata__ says what the model is (kind, task, config,
// vocabulary) and where it came from (dataset fingerprint, split, training config and outcome). A checkpoint
// is the same file plus optimizer moments and training state, so --resume needs nothing else.
import { variableOf, type Variable } from '../engine/index.js';
import { WeightsFormatError } from '../errors.js';
import type { NamedArray, TrainState } from '../train/trainer.js';
import { TRAIN_DEFAULTS, type TrainConfig } from '../train/config.js';
import { ENGRAM_VERSION } from '../version.js';
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from './safetensors.js';
import type { Storage } from './storage.js';

export const FORMAT_VERSION = '1';

export interface DatasetProvenance {
  readonly name: string;
  readonly version: string;
  readonly fingerprint: string;
  readonly examples: number;
  readonly bytes: number;
  readonly duplicateCount: number;
}

export interface Provenance {
  readonly dataset: DatasetProvenance;
  readonly split: { readonly splitSeed: number; readonly heldOutFraction: number; readonly trainExamples: number; readonly heldOutExamples: number };
  /** Canaries inserted into training: hashes and repeat counts only, never the secrets. */
  readonly canaries?: { readonly count: number; readonly repeats: readonly number[]; readonly hashes: readonly { readonly hash: string; readonly repeats: number }[] };
  readonly steps: number;
  readonly trainLoss: number;
  readonly heldOutLoss: number;
  readonly engramVersion: string;
  /** Set by export/pytorch/train.py when training went on in PyTorch (engram export). */
  readonly trainedWith?: { readonly framework: string; readonly processes: number; readonly device: string; readonly continuedFromSteps: number; readonly steps: number; readonly restart: boolean };
}

export interface ModelRecord {
  /** Model family: "gpt". */
  readonly kind: string;
  /** Task from the task table: "text". */
  readonly task: string;
  readonly modelConfig: Record<string, unknown>;
  readonly trainConfig: TrainConfig;
  /** The codec's vocabulary (characters, tags), as the codec serialises it. */
  readonly vocabulary: unknown;
  readonly provenance: Provenance;
  readonly params: Map<string, NamedArray>;
  /** Present in checkpoints only. */
  readonly trainState?: TrainState;
}

const KEY = {
  format: 'engram.format', kind: 'engram.kind', task: 'engram.task', modelConfig: 'engram.model_config',
  trainConfig: 'engram.train_config', vocabulary: 'engram.vocabulary', provenance: 'engram.provenance',
  trainState: 'engram.train_state',
} as const;

export function encodeModelFile(record: ModelRecord): Uint8Array {
  const tensors: NamedTensor[] = [...record.params].map(([name, a]) => ({ name, dtype: 'F32', shape: a.shape, data: a.data }));
  const metadata: Record<string, string> = {
    [KEY.format]: FORMAT_VERSION,
    [KEY.kind]: record.kind,
    [KEY.task]: record.task,
    [KEY.modelConfig]: JSON.stringify(record.modelConfig),
    [KEY.trainConfig]: JSON.stringify(record.trainConfig),
    [KEY.vocabulary]: JSON.stringify(record.vocabulary),
    [KEY.provenance]: JSON.stringify({ ...record.provenance, engramVersion: ENGRAM_VERSION }),
  };
  const state = record.trainState;
  if (state) {
    const { step, bestHeldOutLoss, bestStep, adamT } = state;
    // JSON has no Infinity: a checkpoint before the first evaluation stores null.
    metadata[KEY.trainState] = JSON.stringify({ step, bestHeldOutLoss: Number.isFinite(bestHeldOutLoss) ? bestHeldOutLoss : null, bestStep, adamT });
    for (const [name, a] of state.moments) tensors.push({ name: `optim.${name}`, dtype: 'F32', shape: a.shape, data: a.data });
  }
  return encodeSafetensors(tensors, metadata);
}

export function decodeModelFile(bytes: Uint8Array, source: string): ModelRecord {
  const file = decodeSafetensors(bytes, source);
  const meta = file.metadata;
  if (meta[KEY.format] === undefined) throw new WeightsFormatError(`${source} is a safetensors file but not an engram model (no ${KEY.format} metadata)`);
  if (meta[KEY.format] !== FORMAT_VERSION) throw new WeightsFormatError(`${source} has engram format ${meta[KEY.format]}; this engram reads format ${FORMAT_VERSION}`);
  const json = (key: string) => {
    try {
      return JSON.parse(meta[key] ?? 'null');
    } catch {
      throw new WeightsFormatError(`${source}: metadata ${key} is not valid JSON`);
    }
  };
  // Configs and provenance are JSON objects; a string or a number there would be spread into nonsense.
  const object = (key: string, value: unknown) => {
    if (value !== null && (typeof value !== 'object' || Array.isArray(value))) throw new WeightsFormatError(`${source}: metadata ${key} is not a JSON object`);
    return value as Record<string, unknown> | null;
  };
  const params = new Map<string, NamedArray>();
  const moments = new Map<string, NamedArray>();
  for (const [name, t] of file.tensors) {
    if (t.dtype !== 'F32') throw new WeightsFormatError(`${source}: tensor ${name} is ${t.dtype}, engram models are F32`);
    const array = { shape: [...t.shape], data: t.data as Float32Array };
    // A NaN or infinity makes every figure computed from the model meaningless (an audit of such a file
    // once read "no sign of memorisation"): refuse the file, naming the tensor.
    const bad = countNonFinite(array.data);
    if (bad > 0) throw new WeightsFormatError(`${source}: tensor ${name} holds ${bad} NaN or infinite value${bad === 1 ? '' : 's'} (of ${array.data.length}); the file cannot be used`);
    if (name.startsWith('optim.')) moments.set(name.slice('optim.'.length), array);
    else params.set(name, array);
  }
  const rawState = object(KEY.trainState, json(KEY.trainState));
  if (rawState) {
    for (const key of ['step', 'adamT', 'bestStep'] as const) {
      const v = rawState[key];
      if (key === 'bestStep' && v === undefined) continue;
      if (!(typeof v === 'number' && Number.isInteger(v) && v >= 0)) throw new WeightsFormatError(`${source}: training state ${key} is ${JSON.stringify(v)}, not a whole number >= 0`);
    }
  }
  const trainState: TrainState | undefined = rawState
    ? ({ ...rawState, bestHeldOutLoss: rawState.bestHeldOutLoss ?? Infinity, params, moments } as TrainState)
    : undefined;
  const provenance = object(KEY.provenance, json(KEY.provenance));
  if (provenance) {
    const dataset = object(`${KEY.provenance} dataset`, provenance.dataset ?? {});
    if (typeof dataset?.fingerprint !== 'string' || typeof dataset?.name !== 'string') throw new WeightsFormatError(`${source}: metadata ${KEY.provenance} lacks the dataset's name and fingerprint`);
    object(`${KEY.provenance} split`, provenance.split ?? {});
  }
  const trainConfig = object(KEY.trainConfig, json(KEY.trainConfig));
  const record = {
    kind: meta[KEY.kind], task: meta[KEY.task], modelConfig: object(KEY.modelConfig, json(KEY.modelConfig)),
    // Settings added since a file was written take their defaults (emaDecay: 0 reproduces older files).
    trainConfig: trainConfig && { ...TRAIN_DEFAULTS, ...trainConfig },
    vocabulary: json(KEY.vocabulary), provenance, params, trainState,
  };
  for (const key of ['kind', 'task', 'modelConfig', 'trainConfig', 'provenance'] as const) {
    if (!record[key]) throw new WeightsFormatError(`${source}: metadata is missing ${key}`);
  }
  return record as unknown as ModelRecord;
}

function countNonFinite(values: Float32Array): number {
  let bad = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) bad++;
  return bad;
}

export async function saveModelFile(storage: Storage, location: string, record: ModelRecord): Promise<number> {
  const bytes = encodeModelFile(record);
  await storage.write(location, bytes);
  return bytes.length;
}

/** Reads a model file; with `kind`, refuses a file of another model family. */
export async function loadModelFile(storage: Storage, location: string, expect?: { kind?: string; task?: string }): Promise<ModelRecord> {
  const record = decodeModelFile(await storage.read(location), location);
  if (expect?.kind && record.kind !== expect.kind) {
    throw new WeightsFormatError(`${location} holds a ${record.kind} model (${record.task}); this command needs a ${expect.kind} model`);
  }
  if (expect?.task && record.task !== expect.task) {
    throw new WeightsFormatError(`${location} is a ${record.task} model; this command needs a ${expect.task} model`);
  }
  return record;
}

/**
 * Frozen variables for a model, from a record's arrays, checked against the shapes its config needs:
 * a file whose tensors do not fit its own config is refused rather than loaded half-way.
 */
export function paramsFromRecord(record: ModelRecord, shapes: [string, number[]][], location: string): Map<string, Variable> {
  const params = new Map<string, Variable>();
  for (const [name, shape] of shapes) {
    const a = record.params.get(name);
    if (!a || JSON.stringify(a.shape) !== JSON.stringify(shape)) {
      for (const p of params.values()) p.dispose();
      throw new WeightsFormatError(`${location}: parameter ${name} is ${a ? JSON.stringify(a.shape) : 'missing'}, the config needs ${JSON.stringify(shape)}`);
    }
    params.set(name, variableOf(a.data, shape, false));
  }
  return params;
}
