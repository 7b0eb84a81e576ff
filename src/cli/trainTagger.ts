// engram train tagger: an image -> tags CNN on MNIST, Twemoji or a folder of images, through the same
// trainer, weights file and training UI as the text model.
import { ConfigError } from '../errors.js';
import { loadImageDataset } from '../data/images.js';
import { TRAIN_DEFAULTS, validateTrainConfig } from '../train/config.js';
import { SPLIT_DEFAULTS } from '../tasks/text.js';
import { TAGGER_SETTINGS_DEFAULTS, trainTagger } from '../tasks/tagger.js';
import { FileStorage } from '../weights/storage.js';
import { configFlags, numberFlag, overrideConfig, parseCommand } from './flags.js';
import { formatDuration } from './progress.js';
import { withTrainingUi } from './trainingUi.js';

const TAGGER_TRAIN_DEFAULTS = { ...TRAIN_DEFAULTS, steps: 500, batchSize: 32, learningRate: 3e-3, warmupSteps: 20, evalEvery: 100, evalBatches: 4, weightDecay: 0 };

export const TRAIN_TAGGER_HELP = `usage: engram train tagger [--data mnist|emoji|emoji+skin-tones|DIR] [--steps N] [--out tagger.safetensors] [flags]

Trains a CNN that tags images: one label per image for MNIST digits (softmax), several for emoji (sigmoids).
  --data SPEC          mnist (default; mnist:N for N images per digit), emoji, emoji+skin-tones, or a folder
                       with tags.tsv ("file.png<TAB>tag, tag")
  --image-size N       images are resized to N x N (default 32; divisible by 2^blocks)
  --channels 32,64,128 output channels of the convolution blocks
  --min-tag-count N    tags seen fewer times in training are dropped (default ${TAGGER_SETTINGS_DEFAULTS.minTagCount})
  --skip-bad-files     in a folder, skip unreadable images (counted) instead of stopping
train:  ${Object.entries(TAGGER_TRAIN_DEFAULTS).map(([k, v]) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} ${v}`).join('  ')}`;

export async function trainTaggerCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommand(argv, {
    data: { type: 'string' }, out: { type: 'string' }, 'image-size': { type: 'string' }, channels: { type: 'string' },
    'min-tag-count': { type: 'string' }, 'skip-bad-files': { type: 'boolean' },
    ...configFlags(TRAIN_DEFAULTS), ...configFlags(SPLIT_DEFAULTS),
  });
  if (values.help) return console.log(TRAIN_TAGGER_HELP);
  if (positionals.length > 0) throw new ConfigError(`unexpected argument ${positionals[0]}; see engram train tagger --help`);
  const train = overrideConfig(TAGGER_TRAIN_DEFAULTS, values).config;
  const split = overrideConfig(SPLIT_DEFAULTS, values).config;
  validateTrainConfig(train);
  const size = numberFlag(values, 'image-size', 32);
  const channels = values.channels ? String(values.channels).split(',').map(Number) : TAGGER_SETTINGS_DEFAULTS.channels;
  if (channels.some((c) => !Number.isInteger(c) || c < 1)) throw new ConfigError(`--channels must be positive integers, got ${values.channels}`);
  if (!Number.isInteger(size) || size % 2 ** channels.length !== 0) throw new ConfigError(`--image-size ${size} must be divisible by 2^${channels.length} (one halving per block)`);
  const out = (values.out as string | undefined) ?? 'tagger.safetensors';
  const dataset = loadImageDataset((values.data as string | undefined) ?? 'mnist', { size, onBadFile: values['skip-bad-files'] ? 'skip' : 'stop' });
  const skipped = 'skipped' in dataset ? ` (${(dataset as { skipped: unknown[] }).skipped.length} unreadable files skipped)` : '';
  console.error(`dataset ${dataset.name}: ${dataset.examples.length} images at ${size}x${size}, ${dataset.nearDuplicateGroups} near-duplicate groups${skipped}`);
  const outcome = await withTrainingUi(out, train.steps, 'img', false, (hooks) => trainTagger({
    dataset, out, train, split, storage: new FileStorage(),
    settings: { channels, minTagCount: numberFlag(values, 'min-tag-count', TAGGER_SETTINGS_DEFAULTS.minTagCount) }, ...hooks,
  }));
  const e = outcome.lastEval;
  console.log(`trained ${outcome.state.step} steps in ${formatDuration(e.elapsedSeconds)} at ${Math.round(e.itemsPerSecond)} images/s; ` +
    `loss train ${e.trainLoss.toFixed(3)}, held-out ${e.heldOutLoss.toFixed(3)}; ${outcome.vocabulary.size} tags (${outcome.multiLabel ? 'multi-label' : 'single-label'})`);
  console.log(`wrote ${out}: ${outcome.parameterCount.toLocaleString('en-US')} parameters, ${(outcome.modelBytes / 1e6).toFixed(2)} MB`);
}
