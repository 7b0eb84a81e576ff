// Messages between engram studio's page and the Web Worker that runs the engine. The page never touches the
// engine; the worker never touches the page. Every request has an id; the worker answers with progress
// messages and then one `done` or `error` for that id.

export type Task = 'text' | 'image' | 'tagger' | 'speech';

/** A folder the user chose in the page (speech data): its name and its files by their path inside it. */
export interface ChosenFolder {
  readonly name: string;
  readonly files: readonly { readonly name: string; readonly bytes: Uint8Array }[];
}
export type Preset = 'tiny' | 'small' | 'default';

export type Request =
  | { type: 'init' }
  | { type: 'dataset'; task: Task; spec: string; file?: { name: string; bytes: Uint8Array }; folder?: ChosenFolder; imageSize?: number }
  | { type: 'train'; task: Task; spec: string; file?: { name: string; bytes: Uint8Array }; folder?: ChosenFolder; preset: Preset; steps?: number; seed?: number; control: SharedArrayBuffer | ArrayBuffer }
  | { type: 'open'; name: string; bytes: Uint8Array }
  | { type: 'sample-text'; prompt: string; temperature: number; topK: number; topP: number; seed: number; samples: number; maxTokens: number }
  | { type: 'sample-image'; tags: string; temperature: number; guidance: number; seed: number; samples: number; steps: number }
  | { type: 'audit'; file?: { name: string; bytes: Uint8Array }; folder?: ChosenFolder }
  | { type: 'tag'; image: { name: string; width: number; height: number; pixels: Float32Array } }
  | { type: 'transcribe'; files: readonly { name: string; bytes: Uint8Array }[]; temperature: number; seed: number; lexicon: string; wordnetSpelling: boolean; adaptVoice: boolean }
  | { type: 'query'; text?: string; image?: { name: string; width: number; height: number; pixels: Float32Array }; file?: { name: string; bytes: Uint8Array } };

/** Control slots the page writes while training runs (shared memory, read between steps). */
export const CONTROL = { paused: 0, stop: 1 } as const;

export interface DatasetSummary {
  readonly name: string;
  readonly version: string;
  readonly examples: number;
  readonly duplicates: number;
  readonly fingerprint: string;
  /** A few examples as text (text data) or as image data URIs with their tags (image data). */
  readonly preview: readonly { readonly input: string; readonly output: string; readonly image?: string }[];
}

export interface ModelSummary {
  readonly name: string;
  readonly kind: string;
  readonly task: string;
  readonly parameters: number;
  readonly fileBytes: number;
  readonly datasetBytes: number;
  readonly modelConfig: Record<string, unknown>;
  readonly trainConfig: Record<string, unknown>;
  readonly provenance: Record<string, unknown>;
  readonly tags?: readonly string[];
}

export type Progress =
  | { kind: 'step'; step: number; steps: number; loss: number; itemsPerSecond: number; unit: string }
  | { kind: 'eval'; step: number; trainLoss: number; heldOutLoss: number }
  | { kind: 'samples'; step: number; texts?: readonly string[]; images?: readonly string[] }
  | { kind: 'stage'; stage: string; done: number; total: number };

export type Response =
  | { id: number; type: 'progress'; progress: Progress }
  | { id: number; type: 'done'; result: unknown }
  | { id: number; type: 'error'; message: string };

export interface TrainResultMessage {
  readonly model: ModelSummary;
  readonly bytes: Uint8Array;
  readonly stopped: boolean;
  readonly seconds: number;
  readonly itemsPerSecond: number;
}

export interface InitResult {
  readonly backend: string;
  readonly crossOriginIsolated: boolean;
  readonly threads: number;
  readonly webgpu: boolean;
}

/** One generation in the copy hunt: beside its nearest training images, with the distances and how member-like the nearest is. */
export interface HuntItem {
  readonly generation: string;
  readonly label: string;
  readonly nearest: readonly { readonly src: string; readonly index: number; readonly tiledL2: number }[];
  readonly robust: { readonly src: string; readonly index: number; readonly distance: number };
  readonly ratio: number;
  readonly flagged: boolean;
  /** The nearest training image's denoising loss placed among held-out images (audit/query.ts). */
  readonly membership: { readonly loss: number; readonly pValue: number; readonly answer: string };
}
