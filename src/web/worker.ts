// engram studio's engine thread: a Web Worker that loads datasets, trains, samples and audits with the same
// tasks, trainer, sampler, audit and report renderer as the CLI, and answers the page (protocol.ts).
import { backendName, initEngine } from '../engine/index.js';
import { EngramError, TrainingStopped } from '../errors.js';
import type { Dataset } from '../data/index.js';
import type { ImageDataset } from '../data/imageDataset.js';
import { GPT_DEFAULTS } from '../models/gptConfig.js';
import { TRAIN_DEFAULTS, type TrainConfig } from '../train/config.js';
import type { EvalRecord } from '../train/trainer.js';
import { decodeModelFile, encodeModelFile, type ModelRecord } from '../weights/modelFile.js';
import { MemoryStorage } from '../weights/storage.js';
import { generateText, MADE_UP_WORDS, SPLIT_DEFAULTS, TEXT_TASK, textModelFromRecord, trainTextModel, type TextModelSettings } from '../tasks/text.js';
import { generateImages, IMAGE_MODEL_DEFAULTS, IMAGE_TASK, IMAGE_TRAIN_DEFAULTS, imageModelFromRecord, parseTags, trainImageModel, type ImageModelSettings } from '../tasks/image.js';
import { TAGGER_SETTINGS_DEFAULTS, TAGGER_TASK, tagImage, taggerFromRecord, trainTagger } from '../tasks/tagger.js';
import { SPEECH_DEFAULTS, SPEECH_SPLIT_DEFAULTS, SPEECH_TASK, SPEECH_TRAIN_DEFAULTS, speechModelFromRecord, trainSpeechModel, transcribe, transcribeFeatures, type SpeechModelSettings } from '../tasks/speech.js';
import { speechFolderFromFiles, splitSpeech, standardisedOver, type SpeechDataset } from '../data/speech.js';
import { runSpeechAudit } from '../audit/speechAudit.js';
import { checkModelRecord } from '../tasks/checkRecord.js';
import { renderSpeechAuditHtml } from '../report/speechHtml.js';
import { decodeWav } from '../data/audio.js';
import { languageModelFrom, parseLexicon, type LanguageModelFusion } from '../sample/ctcBeam.js';
import { runTextAudit, TEXT_AUDIT_DEFAULTS } from '../audit/textAudit.js';
import { defaultLossSteps, IMAGE_AUDIT_DEFAULTS, runImageAudit } from '../audit/imageAudit.js';
import { renderTextAuditHtml } from '../report/html.js';
import { renderImageAuditHtml } from '../report/imageHtml.js';
import { imageDataUri } from '../report/page.js';
import { tileImages } from '../data/imageFile.js';
import { loadImageDatasetInBrowser, loadTextDatasetInBrowser } from './datasets.js';
import { lemmasOf, parseLines } from '../data/index.js';
import { resize } from '../data/imageFile.js';
import { placeLoss, QUERY_DEFAULTS, runImageQuery, runTextQuery } from '../audit/query.js';
import { denoisingLosses, meanOverSteps } from '../audit/imageLosses.js';
import { isHeldOut } from '../data/split.js';
import { renderImageQueryHtml, renderTextQueryHtml } from '../report/queryHtml.js';
import { CONTROL, type ChosenFolder, type DatasetSummary, type HuntItem, type InitResult, type ModelSummary, type Preset, type Progress, type Request, type Response, type TrainResultMessage } from './protocol.js';

const post = (message: Response, transfer: Transferable[] = []) => (self as unknown as { postMessage(m: unknown, t: Transferable[]): void }).postMessage(message, transfer);

const TEXT_PRESETS: Record<Preset, { model: TextModelSettings; train: TrainConfig }> = {
  tiny: { model: { blockSize: 32, nLayer: 2, nHead: 2, nEmbd: 32, dropout: 0 }, train: { ...TRAIN_DEFAULTS, steps: 200, batchSize: 16, warmupSteps: 20, evalEvery: 50, evalBatches: 2 } },
  small: { model: { blockSize: 64, nLayer: 3, nHead: 4, nEmbd: 64, dropout: 0 }, train: { ...TRAIN_DEFAULTS, steps: 1500, learningRate: 5e-3, minLearningRate: 5e-4, warmupSteps: 50, evalEvery: 250, evalBatches: 4 } },
  default: { model: { ...GPT_DEFAULTS }, train: { ...TRAIN_DEFAULTS } },
};

const IMAGE_PRESETS: Record<Preset, { size: number; model: ImageModelSettings; train: TrainConfig }> = {
  tiny: { size: 8, model: { ...IMAGE_MODEL_DEFAULTS, channels: [8, 16], embedDim: 16, timesteps: 100 }, train: { ...IMAGE_TRAIN_DEFAULTS, steps: 200, batchSize: 16, evalEvery: 50, evalBatches: 1 } },
  small: { size: 16, model: { ...IMAGE_MODEL_DEFAULTS, channels: [16, 32] }, train: { ...IMAGE_TRAIN_DEFAULTS, steps: 2000 } },
  default: { size: 16, model: { ...IMAGE_MODEL_DEFAULTS, channels: [16, 32] }, train: { ...IMAGE_TRAIN_DEFAULTS, steps: 4000, evalEvery: 1000 } },
};

const TAGGER_PRESETS: Record<Preset, { size: number; channels: readonly number[]; train: TrainConfig }> = {
  tiny: { size: 16, channels: [8, 16], train: { ...IMAGE_TRAIN_DEFAULTS, steps: 100, learningRate: 3e-3, evalEvery: 50, evalBatches: 1 } },
  small: { size: 16, channels: [16, 32], train: { ...IMAGE_TRAIN_DEFAULTS, steps: 600, learningRate: 3e-3, evalEvery: 200 } },
  default: { size: 32, channels: TAGGER_SETTINGS_DEFAULTS.channels, train: { ...IMAGE_TRAIN_DEFAULTS, steps: 1000, learningRate: 3e-3, evalEvery: 250 } },
};

const SPEECH_PRESETS: Record<Preset, { model: SpeechModelSettings; train: TrainConfig }> = {
  tiny: { model: { ...SPEECH_DEFAULTS, channels: [4, 8], hidden: 16, contextLayers: 1 }, train: { ...SPEECH_TRAIN_DEFAULTS, steps: 100, batchSize: 8, warmupSteps: 10, evalEvery: 50, evalBatches: 1 } },
  small: { model: { ...SPEECH_DEFAULTS, channels: [16, 32], hidden: 64 }, train: { ...SPEECH_TRAIN_DEFAULTS, steps: 1000 } },
  default: { model: { ...SPEECH_DEFAULTS }, train: { ...SPEECH_TRAIN_DEFAULTS } },
};

interface Current {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly record: ModelRecord;
}
let current: Current | undefined;
const datasets = new Map<string, Promise<Dataset | ImageDataset | SpeechDataset>>();

function textData(spec: string, file?: { name: string; bytes: Uint8Array }): Promise<Dataset> {
  const key = file ? `file:${file.name}:${file.bytes.length}` : spec;
  if (!datasets.has(key)) datasets.set(key, loadTextDatasetInBrowser(file ?? spec));
  return datasets.get(key) as Promise<Dataset>;
}

function imageData(spec: string, size: number): Promise<ImageDataset> {
  const key = `${spec}@${size}`;
  if (!datasets.has(key)) datasets.set(key, loadImageDatasetInBrowser(spec, size));
  return datasets.get(key) as Promise<ImageDataset>;
}

/** A folder of recordings the user chose, read as the CLI reads one from disk (the same name and fingerprint). */
function speechData(folder: ChosenFolder | undefined): Promise<SpeechDataset> {
  if (!folder) throw new EngramError('choose a folder of recordings in Data: transcripts.tsv (file.wav<TAB>text[<TAB>speaker]) and its WAV files');
  const key = `folder:${folder.name}:${folder.files.length}:${folder.files.reduce((n, f) => n + f.bytes.length, 0)}`;
  if (!datasets.has(key)) {
    const byName = new Map(folder.files.map((f) => [f.name, f.bytes]));
    datasets.set(key, Promise.resolve().then(() => speechFolderFromFiles(folder.name, folder.name, (name) => byName.get(name))));
  }
  return datasets.get(key) as Promise<SpeechDataset>;
}

function summariseSpeech(d: SpeechDataset): DatasetSummary {
  return {
    name: d.name, version: `${d.version}, ${d.speakers.length} speakers, ${Math.round(d.seconds)} s of audio`, examples: d.examples.length, duplicates: d.examples.length - new Set(d.examples.map((e) => e.hash)).size, fingerprint: d.fingerprint,
    preview: d.examples.slice(0, 5).map((e) => ({ input: `${e.source} (${e.speaker})`, output: e.text })),
  };
}

function summariseText(d: Dataset): DatasetSummary {
  return { name: d.name, version: d.version, examples: d.examples.length, duplicates: d.duplicateCount, fingerprint: d.fingerprint, preview: d.examples.slice(0, 5).map((e) => ({ input: e.input, output: e.output })) };
}

function summariseImages(d: ImageDataset): DatasetSummary {
  const step = Math.max(1, Math.floor(d.examples.length / 10));
  return {
    name: d.name, version: d.version, examples: d.examples.length, duplicates: d.duplicateCount, fingerprint: d.fingerprint,
    preview: Array.from({ length: 10 }, (_, i) => d.examples[i * step]).filter(Boolean).map((e) => ({ input: e.tags.join(', '), output: '', image: imageDataUri(e.image.pixels, d.size) })),
  };
}

function summariseModel(name: string, bytes: Uint8Array, record: ModelRecord): ModelSummary {
  return {
    name, kind: record.kind, task: record.task, fileBytes: bytes.length, datasetBytes: record.provenance.dataset.bytes,
    parameters: [...record.params.values()].reduce((n, a) => n + a.data.length, 0),
    modelConfig: record.modelConfig, trainConfig: record.trainConfig as unknown as Record<string, unknown>, provenance: record.provenance as unknown as Record<string, unknown>,
    tags: (record.vocabulary as { tags?: string[] } | undefined)?.tags,
  };
}

/** Opens a weights file as the CLI does: a corrupt or foreign file gets the CLI's message. */
function open(name: string, bytes: Uint8Array): ModelSummary {
  const record = decodeModelFile(bytes, name);
  checkModelRecord(record, name);
  current = { name, bytes, record };
  return summariseModel(name, bytes, record);
}

/** Pauses while the page says so; true when it says stop. */
function controlled(control: Int32Array): () => boolean {
  return () => {
    while (Atomics.load(control, CONTROL.paused) === 1 && Atomics.load(control, CONTROL.stop) === 0) Atomics.wait(control, CONTROL.paused, 1, 250);
    return Atomics.load(control, CONTROL.stop) === 1;
  };
}

/** The model file the run left: the kept weights, or after an early stop the checkpoint without its optimizer state. */
function finalBytes(storage: MemoryStorage): Uint8Array {
  const model = storage.files.get('model.safetensors');
  if (model) return model;
  const checkpoint = storage.files.get('model.ckpt.safetensors');
  if (!checkpoint) throw new EngramError('training stopped before its first step');
  return encodeModelFile({ ...decodeModelFile(checkpoint, 'checkpoint'), trainState: undefined });
}

async function train(id: number, r: Extract<Request, { type: 'train' }>): Promise<TrainResultMessage> {
  const progress = (p: Progress) => post({ id, type: 'progress', progress: p });
  const storage = new MemoryStorage();
  const control = new Int32Array(r.control);
  const started = performance.now();
  let lastPost = 0;
  let rate = 0;
  const onStep = (s: { step: number; steps: number; loss: number; itemsPerSecond: number }, unit: string) => {
    rate = s.itemsPerSecond;
    const now = performance.now();
    if (now - lastPost > 150 || s.step === s.steps) {
      lastPost = now;
      progress({ kind: 'step', step: s.step, steps: s.steps, loss: s.loss, itemsPerSecond: s.itemsPerSecond, unit });
    }
  };
  const configFor = (train: TrainConfig): TrainConfig => {
    const steps = r.steps ?? train.steps;
    return { ...train, steps, seed: r.seed ?? train.seed, evalEvery: Math.min(train.evalEvery, steps) };
  };
  /** Reports an evaluation, then samples from the weights kept so far, if there are any yet. */
  const evaluated = (sample?: (record: ModelRecord, step: number) => Progress) => (e: EvalRecord) => {
    progress({ kind: 'eval', step: e.step, trainLoss: e.trainLoss, heldOutLoss: e.heldOutLoss });
    const bytes = storage.files.get('model.safetensors');
    if (bytes && sample) progress(sample(decodeModelFile(bytes, 'model'), e.step));
  };
  const common = { out: 'model.safetensors', split: SPLIT_DEFAULTS, storage, stopRequested: controlled(control) };
  let stopped = false;
  try {
    if (r.task === 'text') {
      const preset = TEXT_PRESETS[r.preset];
      await trainTextModel({
        ...common, dataset: await textData(r.spec, r.file), model: preset.model, train: configFor(preset.train), onStep: (s) => onStep(s, 'tok/s'),
        onEval: evaluated((record, step) => {
          const loaded = textModelFromRecord(record, 'model');
          const texts = MADE_UP_WORDS.slice(0, 3).map((w) => `${w}: ${generateText(loaded, w, { temperature: 0.7, topK: 0, topP: 1, seed: 0, samples: 1, maxTokens: 80 })[0]}`);
          loaded.model.dispose();
          return { kind: 'samples', step, texts };
        }),
      });
    } else if (r.task === 'speech') {
      const preset = SPEECH_PRESETS[r.preset];
      const dataset = await speechData(r.folder);
      const listen = splitSpeech(standardisedOver(dataset, preset.model.standardiseOver), SPEECH_SPLIT_DEFAULTS).heldOut.slice(0, 4);
      await trainSpeechModel({
        ...common, split: SPEECH_SPLIT_DEFAULTS, dataset, model: preset.model, train: configFor(preset.train), onStep: (s) => onStep(s, 'utt/s'),
        onEval: evaluated((record, step) => {
          const loaded = speechModelFromRecord(record, 'model');
          const heard = transcribeFeatures(loaded.model, listen, { temperature: 0, seed: 0 });
          loaded.model.dispose();
          return { kind: 'samples', step, texts: listen.map((e, i) => `${e.source}: said "${e.text}", heard "${heard[i]}"`) };
        }),
      });
    } else if (r.task === 'tagger') {
      const preset = TAGGER_PRESETS[r.preset];
      await trainTagger({
        ...common, dataset: await imageData(r.spec, preset.size), settings: { ...TAGGER_SETTINGS_DEFAULTS, channels: preset.channels }, train: configFor(preset.train),
        onStep: (s) => onStep(s, 'img/s'), onEval: evaluated(),
      });
    } else {
      const preset = IMAGE_PRESETS[r.preset];
      await trainImageModel({
        ...common, dataset: await imageData(r.spec, preset.size), model: preset.model, train: configFor(preset.train), onStep: (s) => onStep(s, 'img/s'),
        onEval: evaluated((record, step) => {
          const loaded = imageModelFromRecord(record, 'model');
          const images = loaded.vocabulary.tags.slice(0, 10).map((t) => imageDataUri(generateImages(loaded, [t], { samples: 1, steps: 20, temperature: 0, guidance: 2, seed: 0 })[0], preset.size));
          loaded.model.dispose();
          return { kind: 'samples', step, images };
        }),
      });
    }
  } catch (error) {
    if (!(error instanceof TrainingStopped)) throw error;
    stopped = true;
  }
  const bytes = finalBytes(storage);
  const model = open(`${{ text: 'text', image: 'digits', tagger: 'digit-tagger', speech: 'speech' }[r.task]}-${r.preset}.safetensors`, bytes);
  return { model, bytes, stopped, seconds: (performance.now() - started) / 1000, itemsPerSecond: rate };
}

function sampleText(r: Extract<Request, { type: 'sample-text' }>): string[] {
  if (!current) throw new EngramError('no model yet: train one or open a weights file');
  const loaded = textModelFromRecord(current.record, current.name);
  try {
    return generateText(loaded, r.prompt, { temperature: r.temperature, topK: r.topK, topP: r.topP, seed: r.seed, samples: r.samples, maxTokens: r.maxTokens });
  } finally {
    loaded.model.dispose();
  }
}

function sampleImages(r: Extract<Request, { type: 'sample-image' }>): string {
  if (!current) throw new EngramError('no model yet: train one or open a weights file');
  const loaded = imageModelFromRecord(current.record, current.name);
  try {
    const size = loaded.model.config.imageSize;
    const images = generateImages(loaded, parseTags(r.tags), { samples: r.samples, steps: r.steps, temperature: r.temperature, guidance: r.guidance, seed: r.seed });
    return imageDataUri(tileImages(images, size, { columns: Math.ceil(Math.sqrt(images.length)), scale: Math.max(1, Math.round(64 / size)), gap: 2 }));
  } finally {
    loaded.model.dispose();
  }
}

/** The same audit and report as `engram audit`, with settings sized for a page. */
/** The 24 most copy-like generations of an image audit, each with what the page shows when it is clicked. */
function copyHunt(loaded: ReturnType<typeof imageModelFromRecord>, dataset: ImageDataset, report: Awaited<ReturnType<typeof runImageAudit>>): HuntItem[] {
  const size = loaded.model.config.imageSize;
  const train = dataset.examples.filter((e) => !isHeldOut(e.hash, current!.record.provenance.split));
  const uri = (pixels: Float32Array) => imageDataUri(pixels, size);
  const top = [...report.generations].sort((a, b) => a.ratio - b.ratio).slice(0, 24);
  const nearestLosses = meanOverSteps(denoisingLosses(loaded.model, loaded.vocabulary, top.map((g) => train[g.nearest[0].index]), report.settings.lossSteps, report.settings.seed));
  return top.map((g, i) => {
    const placed = placeLoss(nearestLosses[i], report.membership.memberLosses, report.membership.heldOutLosses, true);
    return {
      generation: uri(g.pixels), label: `${report.conditions[g.condition].tags.slice(0, 3).join(', ')} at temperature ${g.temperature}`,
      nearest: g.nearest.map((n) => ({ src: uri(train[n.index].image.pixels), index: n.index, tiledL2: n.tiledL2 })),
      robust: { src: uri(train[g.robust.index].image.pixels), index: g.robust.index, distance: g.robust.distance },
      ratio: g.ratio, flagged: g.nearCopy || g.robust.distance < report.robustCopies.threshold,
      membership: { loss: placed.loss, pValue: placed.pValue, answer: placed.answer },
    };
  });
}

async function audit(id: number, file?: { name: string; bytes: Uint8Array }, folder?: ChosenFolder): Promise<{ verdict: string; html: string; hunt?: HuntItem[] }> {
  if (!current) throw new EngramError('no model yet: train one or open a weights file');
  const progress = (stage: string, done: number, total: number) => post({ id, type: 'progress', progress: { kind: 'stage', stage, done, total } });
  const { record, name, bytes } = current;
  const trainedOn = record.provenance.dataset.name;
  if (record.task === TEXT_TASK) {
    if (trainedOn.startsWith('file:') && !file) throw new EngramError(`${name} was trained on ${trainedOn.slice(5)}; drop that file in Data so the audit can rebuild the split`);
    const loaded = textModelFromRecord(record, name);
    try {
      const report = await runTextAudit({
        ...loaded, file: name, fileBytes: bytes.length, dataset: await textData(trainedOn, file), progress,
        settings: { ...TEXT_AUDIT_DEFAULTS, examples: 1000, extractionExamples: 100, prefixLengths: [8, 16], suffixLength: 16, temperatures: [0, 1], samples: 10, maxTokens: 100, canaryCandidates: 100 },
      });
      return { verdict: report.verdict, html: renderTextAuditHtml(report) };
    } finally {
      loaded.model.dispose();
    }
  }
  if (record.task === IMAGE_TASK) {
    const loaded = imageModelFromRecord(record, name);
    try {
      const size = loaded.model.config.imageSize;
      const dataset = await imageData(trainedOn, size);
      const inside = new Set(dataset.examples.map((e) => e.hash));
      const outsiders = trainedOn === 'mnist' ? [] : (await imageData('mnist', size)).examples.filter((e) => !inside.has(e.hash));
      const settings = { ...IMAGE_AUDIT_DEFAULTS, samples: 2, temperatures: [0, 1], steps: 20, baselineImages: 300, examples: 300, lossSteps: defaultLossSteps(loaded.model.config.timesteps) };
      const report = await runImageAudit({ ...loaded, file: name, dataset, outsiders, settings, progress });
      return { verdict: report.verdict, html: renderImageAuditHtml(report), hunt: copyHunt(loaded, dataset, report) };
    } finally {
      loaded.model.dispose();
    }
  }
  if (record.task === SPEECH_TASK) {
    if (trainedOn !== `folder:${folder?.name}`) throw new EngramError(`${name} was trained on ${trainedOn}; choose that folder in Data so the audit can rebuild the split (or run engram audit ${name} --data DIR)`);
    const loaded = speechModelFromRecord(record, name);
    try {
      progress('transcribing training and held-out utterances', 0, 1);
      const report = runSpeechAudit({ model: loaded.model, record, file: name, dataset: await speechData(folder), examples: 200, seed: 0, canaryCandidates: 100 });
      return { verdict: report.verdict, html: renderSpeechAuditHtml(report) };
    } finally {
      loaded.model.dispose();
    }
  }
  throw new EngramError(`the studio audits text and image models; ${name} is a ${record.kind} model (use engram audit for it)`);
}

// `--lm wordnet`'s language model, built once (2-3 s) from WordNet as the studio serves it; tried again if that failed.
let wordnetSpelling: Promise<LanguageModelFusion> | undefined;
function wordnetLanguageModel(): Promise<LanguageModelFusion> {
  return (wordnetSpelling ??= loadTextDatasetInBrowser('wordnet').then((d) => languageModelFrom(lemmasOf(d), 'wordnet')).catch((error: unknown) => {
    wordnetSpelling = undefined;
    throw error;
  }));
}

/** `engram transcribe MODEL FILE.wav... [--lexicon] [--lm wordnet] [--adapt-voice]` in the page: the same WAV decoding, features and decoding. */
async function transcribeFiles(r: Extract<Request, { type: 'transcribe' }>): Promise<string[]> {
  if (current?.record.task !== SPEECH_TASK) throw new EngramError('the current model is not a speech model: open one (engram train speech writes it)');
  const lexicon = r.lexicon.trim() ? parseLexicon(r.lexicon, 'the word list') : undefined;
  if (lexicon && r.temperature > 0) throw new EngramError('a word list searches for the most probable transcript; set the temperature to 0');
  if (r.wordnetSpelling && r.temperature > 0) throw new EngramError("spelling like WordNet's words searches for the most probable transcript; set the temperature to 0");
  // The model asked about, not whichever is current once WordNet has been read.
  const { record, name } = current;
  const languageModel = r.wordnetSpelling ? await wordnetLanguageModel() : undefined;
  const waves = r.files.map((f) => decodeWav(f.bytes, f.name));
  const loaded = speechModelFromRecord(record, name);
  try {
    return transcribe(loaded, waves, { temperature: r.temperature, seed: r.seed, lexicon, languageModel, adaptVoice: r.adaptVoice }).map((text, i) => `${r.files[i].name}\t${text}`);
  } finally {
    loaded.model.dispose();
  }
}

/** "Is my work in there?" for the current model: the same as `engram audit MODEL --query FILE`. */
async function query(r: Extract<Request, { type: 'query' }>): Promise<{ answers: string[]; html: string }> {
  if (!current) throw new EngramError('no model yet: train one or open a weights file');
  const { record, name } = current;
  const trainedOn = record.provenance.dataset.name;
  if (record.task === TEXT_TASK) {
    const queries = parseLines(r.text ?? '');
    if (queries.length === 0) throw new EngramError('type or paste a line of text to ask about (input<TAB>output, or just the text)');
    if (trainedOn.startsWith('file:') && !r.file) throw new EngramError(`${name} was trained on ${trainedOn.slice(5)}; drop that file in Data first`);
    const loaded = textModelFromRecord(record, name);
    try {
      const items = runTextQuery({ ...loaded, dataset: await textData(trainedOn, r.file), queries, settings: QUERY_DEFAULTS });
      return { answers: items.map((q) => `${q.query.input || q.query.output.slice(0, 40)}: ${q.answer}`), html: renderTextQueryHtml(name, items) };
    } finally {
      loaded.model.dispose();
    }
  }
  if (record.task === IMAGE_TASK) {
    if (!r.image) throw new EngramError('choose an image to ask about');
    const loaded = imageModelFromRecord(record, name);
    try {
      const size = loaded.model.config.imageSize;
      const pixels = resize({ width: r.image.width, height: r.image.height, pixels: r.image.pixels }, size).pixels;
      const lossSteps = defaultLossSteps(loaded.model.config.timesteps);
      const items = runImageQuery({ ...loaded, file: name, dataset: await imageData(trainedOn, size), queries: [{ source: r.image.name, pixels }], lossSteps, settings: { ...QUERY_DEFAULTS, examples: 300 } });
      return { answers: items.map((q) => `${q.source}: ${q.answer}`), html: renderImageQueryHtml(name, size, items) };
    } finally {
      loaded.model.dispose();
    }
  }
  throw new EngramError(`the studio asks text and image models; ${name} is a ${record.kind} model`);
}

async function handle(id: number, r: Request): Promise<{ result: unknown; transfer?: Transferable[] }> {
  switch (r.type) {
    case 'init': {
      const engine = await initEngine();
      const result: InitResult = { backend: backendName(), crossOriginIsolated: (self as unknown as { crossOriginIsolated: boolean }).crossOriginIsolated, threads: engine.pool.threads, webgpu: 'gpu' in navigator };
      return { result };
    }
    case 'dataset':
      if (r.task === 'speech') return { result: summariseSpeech(await speechData(r.folder)) };
      return { result: r.task === 'text' ? summariseText(await textData(r.spec, r.file)) : summariseImages(await imageData(r.spec, r.imageSize ?? 16)) };
    case 'train': {
      const result = await train(id, r);
      return { result };
    }
    case 'open':
      return { result: open(r.name, r.bytes) };
    case 'sample-text':
      return { result: sampleText(r) };
    case 'sample-image':
      return { result: sampleImages(r) };
    case 'audit':
      return { result: await audit(id, r.file, r.folder) };
    case 'query':
      return { result: await query(r) };
    case 'transcribe':
      return { result: await transcribeFiles(r) };
    case 'tag': {
      if (current?.record.task !== TAGGER_TASK) throw new EngramError('the current model is not a tagger: train one (Kind: tagger) or open one');
      const loaded = taggerFromRecord(current.record, current.name);
      try {
        return { result: tagImage(loaded, resize({ width: r.image.width, height: r.image.height, pixels: r.image.pixels }, loaded.model.config.imageSize), 5) };
      } finally {
        loaded.model.dispose();
      }
    }
  }
}

self.onmessage = async (event: MessageEvent<{ id: number; request: Request }>) => {
  const { id, request } = event.data;
  try {
    const { result } = await handle(id, request);
    post({ id, type: 'done', result });
  } catch (error) {
    // The CLI's one-line messages; anything else is a bug, shown with its message rather than a stack.
    post({ id, type: 'error', message: error instanceof Error ? error.message : String(error) });
  }
};
