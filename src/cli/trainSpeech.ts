// engram train speech: a CTC speech recogniser on a folder of WAV files with transcripts.tsv (engram's
// synthetic speech from npm run speech:data, or your own) or on fsdd:PATH, through the same trainer, weights
// file and training UI as the other tasks.
import { ConfigError } from '../errors.js';
import { checkRange, validateTrainConfig } from '../train/config.js';
import { loadSpeechDataset, type SpeechSplitSpec } from '../data/speech.js';
import { SPEECH_DEFAULTS, SPEECH_SPLIT_DEFAULTS, SPEECH_TRAIN_DEFAULTS, trainSpeechModel, type SpeechModelSettings } from '../tasks/speech.js';
import { FileStorage } from '../weights/storage.js';
import { configFlags, kebab, overrideConfig, parseCommand } from './flags.js';
import { formatDuration } from './progress.js';
import { logPathFor, withTrainingUi } from './trainingUi.js';
import { checkTrainOutput } from './outputs.js';

export const TRAIN_SPEECH_HELP = `usage: engram train speech --data DIR|fsdd:PATH [--split-by utterance|speaker] [--held-out-speakers a,b] [flags]

Trains a speech recogniser (log-mel frames -> 3x3 convolutions -> temporal convolutions -> CTC over characters)
that writes any word. --data: a folder with transcripts.tsv (file.wav<TAB>text[<TAB>speaker]; WAV of any rate,
mono or stereo), or fsdd:PATH (Free Spoken Digit Dataset files {digit}_{speaker}_{take}.wav).
  --split-by speaker   hold out whole speakers (voices), so held-out accuracy is on voices never heard
  --held-out-speakers a,b  hold out these speakers by name (leave-one-speaker-out)
  --channels ${SPEECH_DEFAULTS.channels.join(',')}     channels of the two downsampling blocks; --hidden ${SPEECH_DEFAULTS.hidden}
  --context-layers ${SPEECH_DEFAULTS.contextLayers}  residual temporal convolutions (each sees 80 ms more context)
  --no-global-context  the temporal convolutions do not see the utterance's mean (on by default)
  --voice-warp ${SPEECH_DEFAULTS.voiceWarp}     training only: warp each utterance's formants by up to this fraction (0.1: +-10%)
  --standardise ${SPEECH_DEFAULTS.standardiseOver}  standardise features over each speaker's utterances (speaker) or each utterance alone
  --close-trims ${SPEECH_DEFAULTS.closeTrims}     training only: the share of utterances trimmed close at the start (cut up to 15-40 dB under their loudest frame)
  --masks ${SPEECH_DEFAULTS.masks}  --dropout ${SPEECH_DEFAULTS.dropout}   training only: SpecAugment masks (bands and stretches) per utterance; dropout rate
train:  ${Object.entries(SPEECH_TRAIN_DEFAULTS).map(([k, v]) => `--${kebab(k)} ${v}`).join('  ')}
split:  --split-seed ${SPEECH_SPLIT_DEFAULTS.splitSeed}  --held-out-fraction ${SPEECH_SPLIT_DEFAULTS.heldOutFraction}
--force replaces an earlier run's model and checkpoint at --out (refused without it).`;

export async function trainSpeechCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommand(argv, {
    data: { type: 'string' }, out: { type: 'string' }, channels: { type: 'string' }, hidden: { type: 'string' }, 'context-layers': { type: 'string' }, 'no-global-context': { type: 'boolean' }, 'voice-warp': { type: 'string' }, 'close-trims': { type: 'string' }, masks: { type: 'string' }, dropout: { type: 'string' }, standardise: { type: 'string' }, force: { type: 'boolean' },
    'split-by': { type: 'string' }, 'held-out-speakers': { type: 'string' }, 'split-seed': { type: 'string' }, 'held-out-fraction': { type: 'string' },
    ...configFlags(SPEECH_TRAIN_DEFAULTS),
  });
  if (values.help) return console.log(TRAIN_SPEECH_HELP);
  if (positionals.length > 0) throw new ConfigError(`unexpected argument ${positionals[0]}; see engram train speech --help`);
  if (!values.data) throw new ConfigError('engram train speech needs --data DIR (with transcripts.tsv) or --data fsdd:PATH');
  const out = (values.out as string | undefined) ?? 'speech.safetensors';
  const channels = values.channels ? String(values.channels).split(',').map(Number) : [...SPEECH_DEFAULTS.channels];
  if (channels.length !== 2 || channels.some((c) => !Number.isInteger(c) || c < 1 || c > 128)) throw new ConfigError(`--channels takes two whole numbers in [1, 128], got ${values.channels}`);
  const hidden = values.hidden === undefined ? SPEECH_DEFAULTS.hidden : Number(values.hidden);
  if (!Number.isInteger(hidden) || hidden < 4 || hidden > 160) throw new ConfigError(`--hidden must be a whole number in [4, 160], got ${values.hidden}`);
  const contextLayers = values['context-layers'] === undefined ? SPEECH_DEFAULTS.contextLayers : Number(values['context-layers']);
  if (!Number.isInteger(contextLayers) || contextLayers < 0 || contextLayers > 12) throw new ConfigError(`--context-layers must be a whole number in [0, 12], got ${values['context-layers']}`);
  const voiceWarp = values['voice-warp'] === undefined ? SPEECH_DEFAULTS.voiceWarp : Number(values['voice-warp']);
  checkRange('voice-warp', voiceWarp, { min: 0, max: 0.3 });
  const closeTrims = values['close-trims'] === undefined ? SPEECH_DEFAULTS.closeTrims : Number(values['close-trims']);
  checkRange('close-trims', closeTrims, { min: 0, max: 1 });
  const masks = values.masks === undefined ? SPEECH_DEFAULTS.masks : Number(values.masks);
  checkRange('masks', masks, { min: 0, max: 4, integer: true });
  const dropout = values.dropout === undefined ? SPEECH_DEFAULTS.dropout : Number(values.dropout);
  checkRange('dropout', dropout, { min: 0, max: 0.9 });
  const standardiseOver = (values.standardise as string | undefined) ?? SPEECH_DEFAULTS.standardiseOver;
  if (standardiseOver !== 'speaker' && standardiseOver !== 'utterance') throw new ConfigError(`--standardise must be speaker or utterance, got ${standardiseOver}`);
  const model: SpeechModelSettings = { channels: [channels[0], channels[1]], hidden, contextLayers, globalContext: !values['no-global-context'], voiceWarp, closeTrims, standardiseOver, masks, dropout };
  const train = overrideConfig(SPEECH_TRAIN_DEFAULTS, values).config;
  validateTrainConfig(train);
  const by = (values['split-by'] as string | undefined) ?? 'utterance';
  if (by !== 'utterance' && by !== 'speaker') throw new ConfigError(`--split-by must be utterance or speaker, got ${by}`);
  const split: SpeechSplitSpec = {
    splitSeed: values['split-seed'] === undefined ? 0 : Number(values['split-seed']),
    heldOutFraction: values['held-out-fraction'] === undefined ? SPEECH_SPLIT_DEFAULTS.heldOutFraction : Number(values['held-out-fraction']),
    by, heldOutSpeakers: values['held-out-speakers'] ? String(values['held-out-speakers']).split(',') : undefined,
  };
  const dataset = loadSpeechDataset(String(values.data));
  console.log(`dataset ${dataset.name}: ${dataset.examples.length} utterances, ${(dataset.seconds / 60).toFixed(1)} min of audio, speakers ${dataset.speakers.slice(0, 12).join(', ')}${dataset.speakers.length > 12 ? ', ...' : ''}`);
  checkTrainOutput(out, { inputs: [String(values.data)], resume: false, force: Boolean(values.force) });
  const outcome = await withTrainingUi(out, train.steps, 'utt', false, (hooks) => trainSpeechModel({ dataset, out, model, train, split, storage: new FileStorage(), ...hooks }));
  const e = outcome.lastEval;
  console.log(`trained ${outcome.state.step} steps in ${formatDuration(e.elapsedSeconds)} at ${e.itemsPerSecond.toFixed(1)} utterances/s; CTC loss per character train ${e.trainLoss.toFixed(3)}, held-out ${e.heldOutLoss.toFixed(3)}` +
    (outcome.unfit ? `; ${outcome.unfit} utterances too short for their transcripts were left out` : ''));
  console.log(`wrote ${out}: ${outcome.parameterCount.toLocaleString('en-US')} parameters, ${(outcome.modelBytes / 1e6).toFixed(2)} MB; log ${logPathFor(out)}`);
}
