// engram train image: a tags -> image diffusion model on MNIST, Twemoji or a folder of images, through the
// same trainer, weights file and training UI as the other tasks.
import { ConfigError } from '../errors.js';
import { TRAIN_DEFAULTS, validateTrainConfig } from '../train/config.js';
import { SPLIT_DEFAULTS } from '../tasks/text.js';
import { IMAGE_MODEL_DEFAULTS, IMAGE_TASK, IMAGE_TRAIN_DEFAULTS, trainImageModel, type ImageModelSettings } from '../tasks/image.js';
import { FileStorage } from '../weights/storage.js';
import { configFlags, kebab, overrideConfig, parseCommand } from './flags.js';
import { formatDuration } from './progress.js';
import { logPathFor, withTrainingUi } from './trainingUi.js';
import { checkTrainOutput } from './outputs.js';
import { checkImageTrainingFits } from './limits.js';
import { channelsFlag, IMAGE_DATA_FLAGS, IMAGE_DATA_HELP, imageSizeFlag, loadImageDataFromFlags, runBase } from './imageData.js';

const { channels: _c, ...SCALAR_MODEL_DEFAULTS } = IMAGE_MODEL_DEFAULTS;

export const TRAIN_IMAGE_HELP = `usage: engram train image [--data mnist|emoji|emoji+skin-tones|DIR] [--steps N] [--out image.safetensors] [flags]

Trains a small conditional diffusion model (a UNet) that draws an image for a set of tags; tags are dropped
${Math.round(100 * IMAGE_MODEL_DEFAULTS.tagDropout)}% of the time so sampling can use classifier-free guidance.
${IMAGE_DATA_HELP}
  --channels ${IMAGE_MODEL_DEFAULTS.channels.join(',')}      UNet channels at full and half resolution
model:  ${Object.entries(SCALAR_MODEL_DEFAULTS).map(([k, v]) => `--${kebab(k)} ${v}`).join('  ')}
train:  ${Object.entries(IMAGE_TRAIN_DEFAULTS).map(([k, v]) => `--${kebab(k)} ${v}`).join('  ')}
Digits in about 2 minutes on 2 cores: engram train image --data mnist --image-size 16 --channels 16,32 --steps 4000
(a judge tagger calls 86-90% of its digits right at guidance 2, 94% at guidance 4).
--force replaces an earlier run's model and checkpoint at --out (refused without it).`;

export async function trainImageCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommand(argv, {
    ...IMAGE_DATA_FLAGS, out: { type: 'string' }, channels: { type: 'string' }, force: { type: 'boolean' },
    ...configFlags(SCALAR_MODEL_DEFAULTS), ...configFlags(TRAIN_DEFAULTS), ...configFlags(SPLIT_DEFAULTS),
  });
  if (values.help) return console.log(TRAIN_IMAGE_HELP);
  if (positionals.length > 0) throw new ConfigError(`unexpected argument ${positionals[0]}; see engram train image --help`);
  const out = (values.out as string | undefined) ?? 'image.safetensors';
  const base = await runBase(values, out, IMAGE_TASK, IMAGE_MODEL_DEFAULTS, IMAGE_TRAIN_DEFAULTS);
  const { channels: baseChannels, ...baseScalars } = base.settings;
  const channels = channelsFlag(values, baseChannels);
  if (channels.length !== 2) throw new ConfigError(`--channels takes two numbers (full and half resolution), got ${values.channels}`);
  const model: ImageModelSettings = { ...overrideConfig(baseScalars, values).config, channels: [channels[0], channels[1]] };
  const train = overrideConfig(base.train, values).config;
  const split = overrideConfig(base.split, values).config;
  validateTrainConfig(train);
  if (!(model.tagDropout >= 0 && model.tagDropout < 1)) throw new ConfigError(`--tag-dropout must be in [0, 1), got ${model.tagDropout}`);
  if (model.prediction !== 'v' && model.prediction !== 'eps') throw new ConfigError(`--prediction must be v or eps, got ${model.prediction}`);
  if (model.schedule !== 'cosine' && model.schedule !== 'linear') throw new ConfigError(`--schedule must be cosine or linear, got ${model.schedule}`);
  if (!Number.isInteger(model.timesteps) || model.timesteps < 2) throw new ConfigError(`--timesteps must be an integer >= 2`);
  if (!Number.isInteger(model.embedDim) || model.embedDim < 2 || model.embedDim % 2 !== 0) throw new ConfigError(`--embed-dim must be an even integer >= 2`);
  const size = imageSizeFlag(values, 4, 'the audit cuts images into 4 x 4 tiles', base.imageSize);
  checkImageTrainingFits(size, model.channels, train.batchSize);
  const dataset = loadImageDataFromFlags(values, size, base.data);
  // Before any training: what the run would write (a missing input was reported by the loader above).
  checkTrainOutput(out, { inputs: values.data ? [String(values.data)] : [], resume: Boolean(values.resume), force: Boolean(values.force) });
  const storage = new FileStorage();
  const outcome = await withTrainingUi(out, train.steps, 'img', Boolean(values.resume), (hooks) =>
    trainImageModel({ dataset, out, model, train, split, storage, resume: Boolean(values.resume), ...hooks }));
  const e = outcome.lastEval;
  console.log(`trained ${outcome.state.step} steps in ${formatDuration(e.elapsedSeconds)} at ${Math.round(e.itemsPerSecond)} images/s; ` +
    `denoising loss train ${e.trainLoss.toFixed(4)}, held-out ${e.heldOutLoss.toFixed(4)}; ${outcome.vocabulary.size} tags`);
  const dataBytes = dataset.examples.length * size * size * 3;
  console.log(`wrote ${out}: ${outcome.parameterCount.toLocaleString('en-US')} parameters, ${(outcome.modelBytes / 1e6).toFixed(2)} MB ` +
    `(the images are ${(dataBytes / 1e6).toFixed(2)} MB at 8 bits: ${(outcome.modelBytes / dataBytes).toFixed(2)}x); log ${logPathFor(out)}`);
}
