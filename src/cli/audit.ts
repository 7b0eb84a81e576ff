// engram audit MODEL: did the model learn patterns or copy its training data? Writes audit.json (every
// number with its interval and the settings) and report.html (verdict, charts, worst cases).
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, DatasetError } from '../errors.js';
import { loadTextDataset, type Example } from '../data/index.js';
import { readTextFile } from '../data/textFile.js';
import { decodeImage, resize } from '../data/imageFile.js';
import { QUERY_DEFAULTS, runImageQuery, runTextQuery } from '../audit/query.js';
import { renderImageQueryHtml, renderTextQueryHtml } from '../report/queryHtml.js';
import { runTextAudit, TEXT_AUDIT_DEFAULTS, type TextAuditSettings } from '../audit/textAudit.js';
import { renderTextAuditHtml } from '../report/html.js';
import { textModelFromRecord, TEXT_TASK } from '../tasks/text.js';
import { taggerFromRecord, TAGGER_TASK } from '../tasks/tagger.js';
import { runTaggerAudit } from '../audit/taggerAudit.js';
import { renderTaggerAuditHtml } from '../report/taggerHtml.js';
import { loadImageDataset, loadOutsideImages } from '../data/images.js';
import type { ImageDataset } from '../data/imageDataset.js';
import { trainedImagesSpec } from './imageData.js';
import { imageModelFromRecord, IMAGE_TASK } from '../tasks/image.js';
import { defaultLossSteps, IMAGE_AUDIT_DEFAULTS, runImageAudit, type ImageAuditSettings } from '../audit/imageAudit.js';
import { renderImageAuditHtml } from '../report/imageHtml.js';
import { decodeModelFile, type ModelRecord } from '../weights/modelFile.js';
import { FileStorage } from '../weights/storage.js';
import { kebab, numberFlag, parseCommand } from './flags.js';
import { ProgressBar } from './progress.js';
import { checkOutputDirectory } from './outputs.js';
import { checkRange } from '../train/config.js';
import { SPEECH_TASK, speechModelFromRecord } from '../tasks/speech.js';
import { loadSpeechDataset } from '../data/speech.js';
import { runSpeechAudit } from '../audit/speechAudit.js';
import { renderSpeechAuditHtml } from '../report/speechHtml.js';
import type { ReferenceOptions } from '../audit/referenceAudit.js';

export const AUDIT_HELP = `usage: engram audit MODEL [--data SPEC] [--out DIR] [--seed S] [flags for the model's kind]

Measures what a model remembers of its training data, each figure beside the same figure on held-out
examples. Rebuilds the train/held-out split from the weights file's provenance and refuses a dataset whose
fingerprint does not match. Writes audit.json (every number, its interval, the settings) and report.html.
  --data SPEC          the training dataset (default: the one named in the weights file, if built in)
  --out DIR            where audit.json and report.html go (default: audit/ beside MODEL)
  --query FILE         "is my work in there?": instead of the full audit, place FILE (text: one example per
                       line, input<TAB>output or a plain line; image models: a PNG or JPEG) among held-out
                       and training examples by its loss (a p-value, and the test's power at 5% false
                       alarms), say whether it is in the training split, and show what is closest to it;
                       writes query.json and query.html
  --reference-models [K]  also run LiRA (online and offline) and RMIA with K reference models (default K 8),
                       each trained like MODEL on a random half of the audited examples plus the rest of
                       its training set; cached in DIR/reference-models/ and reused by the next audit
Text models: capacity (bits in the weights vs bits in the data), verbatim extraction (Carlini et al. 2022),
membership inference by loss, zlib and lowercase ratios, Min-K% and Min-K%++ (ROC, AUC, TPR at 0.1% and
1% FPR where the held-out count resolves them), regurgitation in free generation
(longest verbatim run shared with the training set, via a suffix array), canary exposure.
  --examples N         examples per side for membership inference: all held-out ones, up to N (default ${TEXT_AUDIT_DEFAULTS.examples})
  --extraction-examples N  examples per side for verbatim extraction (default ${TEXT_AUDIT_DEFAULTS.extractionExamples})
  --prefix-lengths L   prompt lengths k for extraction (default ${TEXT_AUDIT_DEFAULTS.prefixLengths.join(',')})
  --suffix-length N    characters that must match exactly (default ${TEXT_AUDIT_DEFAULTS.suffixLength})
  --temperatures T     free-generation temperatures (default ${TEXT_AUDIT_DEFAULTS.temperatures.join(',')})
  --samples G          texts generated per temperature (default ${TEXT_AUDIT_DEFAULTS.samples})
  --max-tokens M       longest generated text (default ${TEXT_AUDIT_DEFAULTS.maxTokens})
  --canary-seed S      for models trained with --canaries: the seed used in training (default ${TEXT_AUDIT_DEFAULTS.canarySeed})
  --canary-candidates M  random secrets scored per canary for its exposure (default ${TEXT_AUDIT_DEFAULTS.canaryCandidates})
  --index DIR          look up verbatim matches in a DuckDB 16-gram index (DIR/text.duckdb; built on first use,
                       reused after) instead of a suffix array in memory: exact for matches of 16+ characters
Image models: images generated per condition and temperature, each matched to its nearest training images
(normalised L2, tiled L2, Carlini's ratio rule) beside real images never trained on as the baseline; the
verdict says "cannot tell" unless the comparison would see 5 points more near-copies than the baseline; membership
inference on the denoising loss; sample grids and a gallery of generations beside their nearest training images.
  --conditions N       tag sets generated for (default ${IMAGE_AUDIT_DEFAULTS.conditions})
  --samples G          images per condition and temperature (default ${IMAGE_AUDIT_DEFAULTS.samples})
  --temperatures T     DDIM temperatures (default ${IMAGE_AUDIT_DEFAULTS.temperatures.join(',')})
  --steps S            DDIM steps (default ${IMAGE_AUDIT_DEFAULTS.steps}); --guidance W (default ${IMAGE_AUDIT_DEFAULTS.guidance})
  --baseline-images N  real images never trained on (held-out, then for mnist:N the rest of MNIST) matched
                       as the baseline (default ${IMAGE_AUDIT_DEFAULTS.baselineImages})
  --loss-steps T       timesteps of the denoising loss for membership inference (default ${IMAGE_AUDIT_DEFAULTS.lossSteps.join(',')})
  --examples N         images per side for membership inference (default ${IMAGE_AUDIT_DEFAULTS.examples})
  --index DIR          search nearest training images through a LanceDB table in DIR (a folder, or s3://...)
                       instead of in memory: built on first use, reused after; exact below 50,000 images,
                       IVF-PQ candidates with an exact re-rank above; the report states its recall@1
  --index-candidates N candidates re-ranked per tiled-L2 search (default 1,024; 4,096 reached 99% recall@1
                       on a million images, 97% with the default)
Speech models (--data as in training): character and word error rates on training and held-out speech,
membership inference on the CTC loss, the utterances it got wrong with audio players, and spoken
canaries when the data has a canaries.tsv (npm run speech:data plants them): exposure among
--canary-candidates random secrets, and whether noisy or cut-short recordings are written as the secret.
Taggers: membership inference on the per-image loss, and a gallery of the training images fit best.
  --examples N         images per side (default ${TEXT_AUDIT_DEFAULTS.examples})`;

interface WeightsFile {
  readonly file: string;
  readonly record: ModelRecord;
  readonly fileBytes: number;
  readonly fileSha256: string;
}

/** Reads and decodes the weights file once; size and sha256 go into the report. */
async function readWeightsFile(file: string): Promise<WeightsFile> {
  const bytes = await new FileStorage().read(file);
  return { file, record: decodeModelFile(bytes, file), fileBytes: bytes.length, fileSha256: createHash('sha256').update(bytes).digest('hex') };
}

function trainingImagesSpec(weights: WeightsFile, values: Record<string, string | boolean | undefined>): string {
  return trainedImagesSpec(weights.record, weights.file, values);
}

function trainingImages(weights: WeightsFile, values: Record<string, string | boolean | undefined>, size: number): ImageDataset {
  return loadImageDataset(trainingImagesSpec(weights, values), { size, onBadFile: 'skip' });
}

async function auditTagger(weights: WeightsFile, values: Record<string, string | boolean | undefined>): Promise<void> {
  const { file } = weights;
  const settings = { examples: numberFlag(values, 'examples', TEXT_AUDIT_DEFAULTS.examples), seed: numberFlag(values, 'seed', 0) };
  checkRange('examples', settings.examples, { min: 1, max: 1e7, integer: true });
  checkRange('seed', settings.seed, { min: 0, max: 2 ** 32 - 1, integer: true });
  const loaded = taggerFromRecord(weights.record, file);
  const dataset = trainingImages(weights, values, loaded.model.config.imageSize);
  const report = await runTaggerAudit({ ...loaded, file, fileSha256: weights.fileSha256, dataset, settings, references: referenceOptions(file, values), progress: progressBars() });
  loaded.model.dispose();
  writeReport(file, values, report, renderTaggerAuditHtml(report));
}

async function auditSpeech(weights: WeightsFile, values: Record<string, string | boolean | undefined>): Promise<void> {
  const { file, record } = weights;
  const trainedOn = record.provenance.dataset.name;
  if (!values.data) throw new DatasetError(`${file} was trained on ${trainedOn}; pass that data with --data so the audit can rebuild the split`);
  const examples = numberFlag(values, 'examples', 500);
  checkRange('examples', examples, { min: 1, max: 1e7, integer: true });
  const loaded = speechModelFromRecord(record, file);
  const canaryCandidates = numberFlag(values, 'canary-candidates', TEXT_AUDIT_DEFAULTS.canaryCandidates);
  checkRange('canary-candidates', canaryCandidates, { min: 10, max: 1e6, integer: true });
  const report = runSpeechAudit({ model: loaded.model, record, file, dataset: loadSpeechDataset(String(values.data)), examples, seed: numberFlag(values, 'seed', 0), canaryCandidates });
  loaded.model.dispose();
  writeReport(file, values, report, renderSpeechAuditHtml(report));
}

async function auditImageModel(weights: WeightsFile, values: Record<string, string | boolean | undefined>): Promise<void> {
  const { file } = weights;
  const loaded = imageModelFromRecord(weights.record, file);
  const dataset = trainingImages(weights, values, loaded.model.config.imageSize);
  const d = IMAGE_AUDIT_DEFAULTS;
  const list = (name: string, fallback: readonly number[]) => (values[name] !== undefined ? String(values[name]).split(',').map(Number) : fallback);
  const settings: ImageAuditSettings = {
    conditions: numberFlag(values, 'conditions', d.conditions), samples: numberFlag(values, 'samples', d.samples),
    temperatures: list('temperatures', d.temperatures), steps: numberFlag(values, 'steps', d.steps), guidance: numberFlag(values, 'guidance', d.guidance),
    baselineImages: numberFlag(values, 'baseline-images', d.baselineImages), examples: numberFlag(values, 'examples', d.examples),
    // The defaults are for 1,000 timesteps: a model with fewer gets the same noise levels, scaled.
    lossSteps: list('loss-steps', defaultLossSteps(loaded.model.config.timesteps)), seed: numberFlag(values, 'seed', d.seed),
  };
  for (const key of ['conditions', 'samples', 'steps', 'baselineImages', 'examples'] as const) {
    if (!Number.isInteger(settings[key]) || settings[key] < 1) throw new ConfigError(`--${kebab(key)} must be a positive integer, got ${settings[key]}`);
  }
  if (settings.temperatures.some((t) => !(t >= 0))) throw new ConfigError(`--temperatures must be numbers >= 0, got ${values.temperatures}`);
  const timesteps = loaded.model.config.timesteps;
  for (const t of settings.lossSteps) checkRange('loss-steps', t, { min: 0, max: timesteps - 1, integer: true });
  checkRange('steps', settings.steps, { min: 1, max: timesteps, integer: true });
  checkRange('seed', settings.seed, { min: 0, max: 2 ** 32 - 1, integer: true });
  const outsiders = loadOutsideImages(trainingImagesSpec(weights, values), dataset);
  const progress = progressBars();
  const index = values.index as string | undefined;
  const { splitSeed, heldOutFraction } = weights.record.provenance.split;
  const table = `images_${dataset.fingerprint}_${splitSeed}_${String(heldOutFraction).replace('.', '_')}_${dataset.size}`;
  const candidates = numberFlag(values, 'index-candidates', 1024);
  checkRange('index-candidates', candidates, { min: 1, max: 100_000, integer: true });
  const openSearch = index ? async (train: readonly Float32Array[], size: number) => (await import('../audit/indexes/lanceImages.js')).openLanceImageIndex(index, table, train, size, (done, total) => progress('building the image index', done, total), candidates) : undefined;
  const report = await runImageAudit({ ...loaded, file, fileSha256: weights.fileSha256, dataset, outsiders, settings, references: referenceOptions(file, values), openSearch, progress });
  loaded.model.dispose();
  writeReport(file, values, report, renderImageAuditHtml(report));
}

function reportDirectory(file: string, values: Record<string, string | boolean | undefined>): string {
  return (values.out as string | undefined) ?? path.join(path.dirname(file), 'audit');
}

/** --query: places the text or image in FILE among held-out and training examples (src/audit/query.ts). */
async function queryModel(weights: WeightsFile, values: Record<string, string | boolean | undefined>): Promise<void> {
  const { file, record } = weights;
  const queryFile = String(values.query);
  const settings = { ...QUERY_DEFAULTS, examples: numberFlag(values, 'examples', QUERY_DEFAULTS.examples), seed: numberFlag(values, 'seed', QUERY_DEFAULTS.seed) };
  checkRange('examples', settings.examples, { min: 1, max: 1e7, integer: true });
  const out = reportDirectory(file, values);
  let answers: { answer: string; label: string }[];
  let json: unknown;
  let html: string;
  if (record.task === TEXT_TASK) {
    const queries = readTextFile(queryFile).examples;
    const trainedOn = record.provenance.dataset.name;
    const dataSpec = (values.data as string | undefined) ?? (trainedOn.startsWith('wordnet') ? trainedOn : undefined);
    if (!dataSpec) throw new DatasetError(`${file} was trained on ${trainedOn}; pass that file with --data so the query can rebuild the split`);
    const loaded = textModelFromRecord(record, file);
    const items = runTextQuery({ ...loaded, dataset: loadTextDataset(dataSpec), queries, settings });
    loaded.model.dispose();
    answers = items.map((q) => ({ label: q.query.input || q.query.output.slice(0, 40), answer: q.answer }));
    json = items;
    html = renderTextQueryHtml(file, items);
  } else if (record.task === IMAGE_TASK) {
    const loaded = imageModelFromRecord(record, file);
    const size = loaded.model.config.imageSize;
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(queryFile);
    } catch (error) {
      throw new DatasetError(`cannot read ${queryFile}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
    const pixels = resize(decodeImage(bytes, queryFile), size).pixels;
    const lossSteps = defaultLossSteps(loaded.model.config.timesteps);
    const items = runImageQuery({ ...loaded, file, dataset: trainingImages(weights, values, size), queries: [{ source: queryFile, pixels }], lossSteps, settings });
    loaded.model.dispose();
    answers = items.map((q) => ({ label: q.source, answer: q.answer }));
    json = items;
    html = renderImageQueryHtml(file, size, items);
  } else {
    throw new ConfigError(`--query works on text and image models; ${file} is a ${record.kind} model for ${record.task}`);
  }
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'query.json'), JSON.stringify(json, (key, value) => (key === 'pixels' || key === 'generations' && Array.isArray(value) && value[0] instanceof Float32Array ? undefined : value), 2));
  writeFileSync(path.join(out, 'query.html'), html);
  for (const a of answers) console.log(`${a.label}: ${a.answer}`);
  console.log(`wrote ${path.join(out, 'query.json')} and ${path.join(out, 'query.html')}`);
}

/** Writes audit.json (without raw pixels) and report.html, and prints the verdict. */
function writeReport(file: string, values: Record<string, string | boolean | undefined>, report: { verdict: string }, html: string): void {
  const out = reportDirectory(file, values);
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'audit.json'), JSON.stringify(report, (key, value) => (key === 'pixels' || key === 'samples' || value instanceof Float32Array ? undefined : value), 2));
  writeFileSync(path.join(out, 'report.html'), html);
  console.log(report.verdict);
  console.log(`wrote ${path.join(out, 'audit.json')} and ${path.join(out, 'report.html')}`);
}

const UNITS: Record<string, string> = {
  'reference models': 'step', 'loss of members': 'ex', 'loss of held-out': 'ex', 'verbatim extraction': 'k', 'free generation': 'T', 'canary exposure': 'canary',
  generating: 'condition', 'denoising loss': 'img',
};

/** One progress bar per audit stage, with rate and ETA. */
function progressBars(): (stage: string, done: number, total: number) => void {
  const bars = new Map<string, ProgressBar>();
  return (stage, done, total) => {
    if (!bars.has(stage)) bars.set(stage, new ProgressBar(stage, total, UNITS[stage] ?? 'set'));
    bars.get(stage)!.update(done);
    if (done >= total) bars.get(stage)!.finish();
  };
}

/** `--reference-models` alone means 8 reference models: the flag's value is optional. */
export const DEFAULT_REFERENCE_MODELS = 8;
function withReferenceCount(argv: string[]): string[] {
  return argv.flatMap((arg, i) => (arg === '--reference-models' && !/^\d+$/.test(argv[i + 1] ?? '') ? [arg, String(DEFAULT_REFERENCE_MODELS)] : [arg]));
}

/** Where reference models are trained to and reused from, or undefined when none were asked for. */
function referenceOptions(file: string, values: Record<string, string | boolean | undefined>): ReferenceOptions | undefined {
  if (values['reference-models'] === undefined) return undefined;
  const count = numberFlag(values, 'reference-models', DEFAULT_REFERENCE_MODELS);
  checkRange('reference-models', count, { min: 1, max: 256, integer: true });
  return { count, storage: new FileStorage(), cacheDir: path.join(reportDirectory(file, values), 'reference-models') };
}

export async function auditCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommand(withReferenceCount(argv), {
    data: { type: 'string' }, out: { type: 'string' }, examples: { type: 'string' }, 'prefix-lengths': { type: 'string' },
    'suffix-length': { type: 'string' }, seed: { type: 'string' }, temperatures: { type: 'string' }, samples: { type: 'string' },
    'max-tokens': { type: 'string' }, 'canary-seed': { type: 'string' }, 'canary-candidates': { type: 'string' },
    'extraction-examples': { type: 'string' }, 'reference-models': { type: 'string' }, query: { type: 'string' },
    index: { type: 'string' }, 'index-candidates': { type: 'string' }, conditions: { type: 'string' }, steps: { type: 'string' }, guidance: { type: 'string' }, 'baseline-images': { type: 'string' }, 'loss-steps': { type: 'string' },
  });
  if (values.help) return console.log(AUDIT_HELP);
  if (positionals.length !== 1) throw new ConfigError('engram audit needs one weights file: engram audit MODEL');
  const file = positionals[0];
  checkOutputDirectory(reportDirectory(file, values), [file, ...(values.data ? [String(values.data)] : [])]);
  const weights = await readWeightsFile(file);
  const { record } = weights;
  if (values.query !== undefined) return queryModel(weights, values);
  if (record.task === TAGGER_TASK) return auditTagger(weights, values);
  if (record.task === SPEECH_TASK) return auditSpeech(weights, values);
  if (record.task === IMAGE_TASK) return auditImageModel(weights, values);
  if (record.task !== TEXT_TASK) throw new ConfigError(`engram audit supports text, image, tagger and speech models; ${file} is a ${record.kind} model for ${record.task}`);
  const trainedOn = record.provenance.dataset.name;
  const dataSpec = (values.data as string | undefined) ?? (trainedOn.startsWith('wordnet') ? trainedOn : undefined);
  if (!dataSpec) throw new DatasetError(`${file} was trained on ${trainedOn}; pass that file with --data so the audit can rebuild the split`);
  const settings: TextAuditSettings = {
    examples: numberFlag(values, 'examples', TEXT_AUDIT_DEFAULTS.examples),
    extractionExamples: numberFlag(values, 'extraction-examples', TEXT_AUDIT_DEFAULTS.extractionExamples),
    prefixLengths: values['prefix-lengths'] ? String(values['prefix-lengths']).split(',').map(Number) : TEXT_AUDIT_DEFAULTS.prefixLengths,
    suffixLength: numberFlag(values, 'suffix-length', TEXT_AUDIT_DEFAULTS.suffixLength),
    seed: numberFlag(values, 'seed', TEXT_AUDIT_DEFAULTS.seed),
    temperatures: values.temperatures ? String(values.temperatures).split(',').map(Number) : TEXT_AUDIT_DEFAULTS.temperatures,
    samples: numberFlag(values, 'samples', TEXT_AUDIT_DEFAULTS.samples),
    maxTokens: numberFlag(values, 'max-tokens', TEXT_AUDIT_DEFAULTS.maxTokens),
    canarySeed: numberFlag(values, 'canary-seed', TEXT_AUDIT_DEFAULTS.canarySeed),
    canaryCandidates: numberFlag(values, 'canary-candidates', TEXT_AUDIT_DEFAULTS.canaryCandidates),
  };
  const whole = (min: number, max: number) => ({ min, max, integer: true });
  const context = Number(record.modelConfig.blockSize);
  checkRange('examples', settings.examples, whole(1, 1e7));
  checkRange('extraction-examples', settings.extractionExamples, whole(1, 1e7));
  for (const k of settings.prefixLengths) checkRange('prefix-lengths', k, whole(1, context)); // the prompt must fit the context
  checkRange('suffix-length', settings.suffixLength, whole(1, 1e4));
  for (const t of settings.temperatures) checkRange('temperatures', t, { min: 0, max: 100 });
  checkRange('samples', settings.samples, whole(1, 1e5));
  checkRange('max-tokens', settings.maxTokens, whole(1, 1e6));
  checkRange('seed', settings.seed, whole(0, 2 ** 32 - 1));
  checkRange('canary-seed', settings.canarySeed, whole(0, 2 ** 32 - 1));
  checkRange('canary-candidates', settings.canaryCandidates, whole(2, 1e6));

  const dataset = loadTextDataset(dataSpec);
  const loaded = textModelFromRecord(record, file);
  const index = values.index as string | undefined;
  const { splitSeed, heldOutFraction } = record.provenance.split;
  let opened: { close(): void } | undefined;
  const openVerbatimIndex = index ? async (train: readonly Example[]) => {
    mkdirSync(index, { recursive: true });
    const name = `t_${dataset.fingerprint}_${splitSeed}_${String(heldOutFraction).replace('.', '_')}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
    const duck = await (await import('../audit/indexes/duckText.js')).openDuckTextIndex(path.join(index, 'text.duckdb'), name, train);
    opened = duck;
    return duck;
  } : undefined;
  const report = await runTextAudit({
    ...loaded, file, fileBytes: weights.fileBytes, fileSha256: weights.fileSha256, dataset, settings, references: referenceOptions(file, values), progress: progressBars(), openVerbatimIndex,
  });
  opened?.close();
  loaded.model.dispose();
  writeReport(file, values, report, renderTextAuditHtml(report));
}
