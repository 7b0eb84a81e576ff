// engram train tagger: an image -> tags CNN on MNIST, Twemoji or a folder of images, through the same
// trainer, weights file and training UI as the text model.
import { ConfigError } from '../errors.js';
import { TRAIN_DEFAULTS, validateTrainConfig } from '../train/config.js';
import { SPLIT_DEFAULTS } from '../tasks/text.js';
import { TAGGER_SETTINGS_DEFAULTS, TAGGER_TASK, trainTagger } from '../tasks/tagger.js';
import { FileStorage } from '../weights/storage.js';
import { configFlags, numberFlag, overrideConfig, parseCommand } from './flags.js';
import { formatDuration } from './progress.js';
import { withTrainingUi } from './trainingUi.js';
import { checkTrainOutput } from './outputs.js';
import { checkImageTrainingFits } from './limits.js';
import { channelsFlag, IMAGE_DATA_FLAGS, IMAGE_DATA_HELP, imageSizeFlag, loadImageDataFromFlags, runBase } from './imageData.js';

const TAGGER_TRAIN_DEFAULTS = { ...TRAIN_DEFAULTS, steps: 500, batchSize: 32, learningRate: 3e-3, warmupSteps: 20, evalEvery: 100, evalBatches: 4, weightDecay: 0 };

export const TRAIN_TAGGER_HELP = `usage: engram train tagger [--data mnist|emoji|emoji+skin-tones|DIR] [--steps N] [--out tagger.safetensors] [flags]

Trains a CNN that tags images: one label per image for MNIST digits (softmax), several for emoji (sigmoids).
${IMAGE_DATA_HELP}
  --channels 32,64,128 output channels of the convolution blocks (one halving of the image each)
  --min-tag-count N    tags seen fewer times in training are dropped (default ${TAGGER_SETTINGS_DEFAULTS.minTagCount})
train:  ${Object.entries(TAGGER_TRAIN_DEFAULTS).map(([k, v]) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} ${v}`).join('  ')}`;

export async function trainTaggerCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommand(argv, {
    ...IMAGE_DATA_FLAGS, out: { type: 'string' }, channels: { type: 'string' }, 'min-tag-count': { type: 'string' }, force: { type: 'boolean' },
    ...configFlags(TRAIN_DEFAULTS), ...configFlags(SPLIT_DEFAULTS),
  });
  if (values.help) return console.log(TRAIN_TAGGER_HELP);
  if (positionals.length > 0) throw new ConfigError(`unexpected argument ${positionals[0]}; see engram train tagger --help`);
  const out = (values.out as string | undefined) ?? 'tagger.safetensors';
  const base = await runBase(values, out, TAGGER_TASK, TAGGER_SETTINGS_DEFAULTS, TAGGER_TRAIN_DEFAULTS);
  const train = overrideConfig(base.train, values).config;
  const split = overrideConfig(base.split, values).config;
  validateTrainConfig(train);
  const channels = channelsFlag(values, base.settings.channels);
  const size = imageSizeFlag(values, 2 ** channels.length, `the model halves it ${channels.length} times`, base.imageSize);
  checkImageTrainingFits(size, channels, train.batchSize);
  const dataset = loadImageDataFromFlags(values, size, base.data);
  const settings = { channels, minTagCount: numberFlag(values, 'min-tag-count', base.settings.minTagCount) };
  // Before any training: what the run would write (a missing input was reported by the loader above).
  checkTrainOutput(out, { inputs: values.data ? [String(values.data)] : [], resume: Boolean(values.resume), force: Boolean(values.force) });
  const outcome = await withTrainingUi(out, train.steps, 'img', Boolean(values.resume), (hooks) => trainTagger({
    dataset, out, train, split, storage: new FileStorage(), settings, resume: Boolean(values.resume), ...hooks,
  }));
  const e = outcome.lastEval;
  console.log(`trained ${outcome.state.step} steps in ${formatDuration(e.elapsedSeconds)} at ${Math.round(e.itemsPerSecond)} images/s; ` +
    `loss train ${e.trainLoss.toFixed(3)}, held-out ${e.heldOutLoss.toFixed(3)}; ${outcome.vocabulary.size} tags (${outcome.multiLabel ? 'multi-label' : 'single-label'})`);
  console.log(`wrote ${out}: ${outcome.parameterCount.toLocaleString('en-US')} parameters, ${(outcome.modelBytes / 1e6).toFixed(2)} MB`);
}
