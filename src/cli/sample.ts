// engram sample MODEL: generate from a weights file. A text model continues --prompt with temperature, top-k,
// top-p and a seed; an image model draws -n images for --tags into one grid PNG, with a temperature (the
// noise DDIM injects), guidance, denoising steps and a seed.
import { writeFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import { encodePng, tileImages } from '../data/imageFile.js';
import { GENERATE_DEFAULTS } from '../sample/generateText.js';
import { SAMPLING_DEFAULTS } from '../sample/transforms.js';
import { IMAGE_SAMPLING_DEFAULTS } from '../sample/generateImages.js';
import { generateText, textModelFromRecord } from '../tasks/text.js';
import { generateImages, imageModelFromRecord, IMAGE_TASK, parseTags } from '../tasks/image.js';
import { loadModelFile, type ModelRecord } from '../weights/modelFile.js';
import { FileStorage } from '../weights/storage.js';
import { numberFlag, parseCommand } from './flags.js';
import { checkOutputFile, PNG_SIGNATURE } from './outputs.js';
import { checkGptSamplingFits, checkImageSamplingFits } from './limits.js';
import { checkRange } from '../train/config.js';

export const SAMPLE_HELP = `usage: engram sample MODEL [--prompt TEXT] [--temperature T] [--top-k K] [--top-p P] [--seed S] [-n N] [--max-tokens M]
       engram sample IMAGE_MODEL --tags "tag, tag" [-n N] [--out grid.png] [--temperature T] [--guidance W] [--steps S] [--seed S]

Text models generate outputs for the input TEXT (for WordNet models: a word; the output is its made-up gloss).
  --temperature T   0 = greedy and deterministic; default ${SAMPLING_DEFAULTS.temperature}
  --top-k K         sample among the K most likely characters only (0 = all; default 0)
  --top-p P         nucleus sampling: the most likely characters covering probability P (default 1 = all)
  --seed S          same seed, same samples (default ${GENERATE_DEFAULTS.seed})
  -n N              number of samples (default ${GENERATE_DEFAULTS.samples})
  --max-tokens M    longest output in characters (default ${GENERATE_DEFAULTS.maxTokens})
Image models draw N images for the tags (none: unconditional) and write them as one grid PNG.
  --tags "a, b"     comma-separated tags from the model's vocabulary (engram inspect lists them)
  --out FILE        the grid PNG (default samples.png)
  --temperature T   noise injected at each DDIM step: 0 = deterministic (default ${IMAGE_SAMPLING_DEFAULTS.temperature}), 1 = DDPM-like
  --guidance W      classifier-free guidance: 1 = plain conditioning, larger = closer to the tags (default ${IMAGE_SAMPLING_DEFAULTS.guidance})
  --steps S         denoising steps (default ${IMAGE_SAMPLING_DEFAULTS.steps})
  --scale K         each pixel drawn K x K in the grid (default: images at least 64 px)`;

type Values = Record<string, string | boolean | undefined>;

export async function sampleCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommand(argv, {
    prompt: { type: 'string' }, temperature: { type: 'string' }, 'top-k': { type: 'string' }, 'top-p': { type: 'string' },
    seed: { type: 'string' }, n: { type: 'string', short: 'n' }, 'max-tokens': { type: 'string' },
    tags: { type: 'string' }, out: { type: 'string' }, guidance: { type: 'string' }, steps: { type: 'string' }, scale: { type: 'string' },
    force: { type: 'boolean' },
  });
  if (values.help) return console.log(SAMPLE_HELP);
  if (positionals.length !== 1) throw new ConfigError('engram sample needs one weights file: engram sample MODEL --prompt TEXT (or --tags for an image model)');
  const record = await loadModelFile(new FileStorage(), positionals[0]);
  if (record.task === IMAGE_TASK) return sampleImageModel(record, positionals[0], values);
  refuse(values, ['tags', 'out', 'guidance', 'steps', 'scale', 'force'], 'image models');
  const samples = numberFlag(values, 'n', GENERATE_DEFAULTS.samples);
  const maxTokens = numberFlag(values, 'max-tokens', GENERATE_DEFAULTS.maxTokens);
  checkRange('-n', samples, { min: 1, max: 1e6, integer: true });
  checkRange('max-tokens', maxTokens, { min: 1, max: 1e7, integer: true });
  checkRange('seed', numberFlag(values, 'seed', GENERATE_DEFAULTS.seed), { min: 0, max: 2 ** 32 - 1, integer: true });
  const loaded = textModelFromRecord(record, positionals[0]);
  checkGptSamplingFits(loaded.model.config, samples);
  const prompt = (values.prompt as string | undefined) ?? '';
  const outputs = generateText(loaded, prompt, {
    temperature: numberFlag(values, 'temperature', SAMPLING_DEFAULTS.temperature),
    topK: numberFlag(values, 'top-k', SAMPLING_DEFAULTS.topK),
    topP: numberFlag(values, 'top-p', SAMPLING_DEFAULTS.topP),
    seed: numberFlag(values, 'seed', GENERATE_DEFAULTS.seed),
    samples,
    maxTokens,
  });
  for (const output of outputs) console.log(prompt ? `${prompt}: ${output}` : output);
  loaded.model.dispose();
}

function sampleImageModel(record: ModelRecord, file: string, values: Values): void {
  refuse(values, ['prompt', 'top-k', 'top-p', 'max-tokens'], 'text models');
  const out = (values.out as string | undefined) ?? 'samples.png';
  // An existing PNG is replaced (it is what this command writes); anything else, or the model itself, is not.
  checkOutputFile(out, { inputs: [file], force: Boolean(values.force), kind: 'PNG', looksRight: (head) => head.subarray(0, 8).equals(PNG_SIGNATURE) });
  const loaded = imageModelFromRecord(record, file);
  const tags = parseTags((values.tags as string | undefined) ?? '');
  const samples = numberFlag(values, 'n', IMAGE_SAMPLING_DEFAULTS.samples);
  checkRange('-n', samples, { min: 1, max: 1e6, integer: true });
  checkRange('seed', numberFlag(values, 'seed', IMAGE_SAMPLING_DEFAULTS.seed), { min: 0, max: 2 ** 32 - 1, integer: true });
  checkImageSamplingFits(loaded.model.config.imageSize, loaded.model.config.channels, samples);
  const images = generateImages(loaded, tags, {
    samples,
    steps: numberFlag(values, 'steps', IMAGE_SAMPLING_DEFAULTS.steps),
    temperature: numberFlag(values, 'temperature', IMAGE_SAMPLING_DEFAULTS.temperature),
    guidance: numberFlag(values, 'guidance', IMAGE_SAMPLING_DEFAULTS.guidance),
    seed: numberFlag(values, 'seed', IMAGE_SAMPLING_DEFAULTS.seed),
  });
  const size = loaded.model.config.imageSize;
  const grid = tileImages(images, size, { scale: numberFlag(values, 'scale', Math.max(1, Math.ceil(64 / size))) });
  try {
    writeFileSync(out, encodePng(grid));
  } catch (err) {
    throw new ConfigError(`cannot write ${out}: ${(err as Error).message}`);
  }
  console.log(`wrote ${out}: ${samples} images of ${size}x${size} for ${tags.length ? `"${tags.join(', ')}"` : 'no tags (unconditional)'}`);
  loaded.model.dispose();
}

/** Flags that belong to the other kind of model are errors, not silently ignored. */
function refuse(values: Values, flags: string[], owner: string): void {
  const given = flags.filter((f) => values[f] !== undefined);
  if (given.length > 0) throw new ConfigError(`${given.map((f) => `--${f}`).join(', ')} ${given.length === 1 ? 'applies' : 'apply'} only to ${owner}`);
}
