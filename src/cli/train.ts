// engram train text: flags -> configs -> tasks/text -> a weights file, with a progress bar, a JSONL log of
// every evaluation, and Ctrl-C saving a checkpoint.
import { trainSpeechCommand } from './trainSpeech.js';
import { ConfigError } from '../errors.js';
import { loadTextDataset } from '../data/index.js';
import { GPT_DEFAULTS } from '../models/gptConfig.js';
import { TRAIN_DEFAULTS, validateTrainConfig } from '../train/config.js';
import { validateGptConfig } from '../models/gpt.js';
import { readResumeSettings, SPLIT_DEFAULTS, trainTextModel, type TextTrainOutcome } from '../tasks/text.js';
import { FileStorage } from '../weights/storage.js';
import { configFlags, kebab, numberFlag, overrideConfig, parseCommand } from './flags.js';
import { CANARY_REPEATS, validateCanarySpec, type CanarySpec } from '../data/canaries.js';
import { formatDuration, peakMemory } from './progress.js';
import { logPathFor, withTrainingUi } from './trainingUi.js';
import { checkTrainOutput } from './outputs.js';
import { checkGptTrainingFits } from './limits.js';
import { trainTaggerCommand } from './trainTagger.js';
import { trainImageCommand } from './trainImage.js';

export const TRAIN_HELP = `usage: engram train text [--data FILE|wordnet|wordnet:PART] [--steps N] [--out model.safetensors] [flags]

Trains a character-level transformer on (input, output) pairs and writes one safetensors weights file.
  --data SPEC           wordnet (default), wordnet:adv (one part of speech: noun verb adj adv), or a UTF-8
                        text file: one example per line; "input<TAB>output" lines are pairs
  --out FILE            weights file (default model.safetensors); a checkpoint goes beside it as
                        FILE.ckpt.safetensors and a log of every evaluation as FILE.log.jsonl
  --resume              continue from the checkpoint beside --out (same data and settings)
  --force               replace an earlier run's model and checkpoint at --out (refused without it)
model:  ${Object.entries(GPT_DEFAULTS).map(([k, v]) => `--${kebab(k)} ${v}`).join('  ')}
train:  ${Object.entries(TRAIN_DEFAULTS).map(([k, v]) => `--${kebab(k)} ${v}`).join('  ')}
split:  --split-seed ${SPLIT_DEFAULTS.splitSeed}  --held-out-fraction ${SPLIT_DEFAULTS.heldOutFraction}
canaries (Carlini et al. 2019): --canaries N (or N,REPEATS...) inserts N random secrets ("the code for locker 003 is 048 213 977") per
        repeat count; --canary-repeats ${CANARY_REPEATS.join(',')} (0 = never inserted, the reference); --canary-seed 0 rebuilds
        them at audit time (the weights file keeps only their hashes)
Ctrl-C saves a checkpoint and exits; run the same command with --resume to continue.
Other tasks: engram train image --help (tags -> image), engram train tagger --help (image -> tags),
engram train speech --help (speech -> text).`;

export async function trainCommand(argv: string[]): Promise<void> {
  if (argv[0] === 'tagger') return trainTaggerCommand(argv.slice(1));
  if (argv[0] === 'image') return trainImageCommand(argv.slice(1));
  if (argv[0] === 'speech') return trainSpeechCommand(argv.slice(1));
  const { values, positionals } = parseCommand(argv, {
    data: { type: 'string' }, out: { type: 'string' }, resume: { type: 'boolean' }, force: { type: 'boolean' },
    canaries: { type: 'string' }, 'canary-repeats': { type: 'string' }, 'canary-seed': { type: 'string' },
    ...configFlags(GPT_DEFAULTS), ...configFlags(TRAIN_DEFAULTS), ...configFlags(SPLIT_DEFAULTS),
  });
  if (values.help) return console.log(TRAIN_HELP);
  if (positionals[0] !== 'text' || positionals.length > 1) {
    throw new ConfigError(`engram train needs a task: "engram train text", "engram train image", "engram train tagger" or "engram train speech" (got ${positionals.length ? positionals.join(' ') : 'none'}); see --help`);
  }
  const out = (values.out as string | undefined) ?? 'model.safetensors';
  const storage = new FileStorage();
  const base = values.resume ? await readResumeSettings(storage, out) : undefined;
  if (values.resume && !base) throw new ConfigError(`--resume: no checkpoint beside ${out}; train without --resume first`);
  const model = overrideConfig(base?.model ?? GPT_DEFAULTS, values).config;
  const train = overrideConfig(base?.train ?? TRAIN_DEFAULTS, values).config;
  const split = overrideConfig(base?.split ?? SPLIT_DEFAULTS, values).config;
  const canaries = canarySpec(values, base?.canaries);
  validateTrainConfig(train); // before loading data: a bad flag should fail fast
  validateGptConfig({ ...model, vocabSize: 1 });
  checkGptTrainingFits(model, train.batchSize);
  const dataset = loadTextDataset((values.data as string | undefined) ?? 'wordnet');
  console.error(`dataset ${dataset.name}: ${dataset.examples.length.toLocaleString('en-US')} examples, ` +
    `${(dataset.bytes / 1e6).toFixed(2)} MB, ${dataset.duplicateCount} exact duplicates`);

  // Before any training: what the run would write (a missing input was reported by the loader above).
  checkTrainOutput(out, { inputs: values.data ? [String(values.data)] : [], resume: Boolean(values.resume), force: Boolean(values.force) });
  const outcome = await withTrainingUi(out, train.steps, 'tok', Boolean(values.resume), (hooks) =>
    trainTextModel({ dataset, out, model, train, split, storage, resume: Boolean(values.resume), canaries, ...hooks }));
  printSummary(outcome, out, dataset.bytes, logPathFor(out));
}

/** --canaries N[,repeats...] [--canary-repeats 0,1,4,16] [--canary-seed S]; on --resume the checkpoint's. */
function canarySpec(values: Record<string, string | boolean | undefined>, resumed?: { count: number; repeats: readonly number[] }): CanarySpec | undefined {
  // "--canaries 4" or, in one flag, "--canaries 4,0,1,4,16" (count, then repeat counts).
  const [countText, ...inlineRepeats] = values.canaries !== undefined ? String(values.canaries).split(',') : [];
  const count = countText !== undefined ? numberFlag({ canaries: countText }, 'canaries', 0) : resumed?.count;
  if (count === undefined) return undefined;
  const repeats = inlineRepeats.length > 0 ? inlineRepeats.map(Number)
    : values['canary-repeats'] !== undefined ? String(values['canary-repeats']).split(',').map(Number) : resumed?.repeats ?? CANARY_REPEATS;
  const spec = { count, repeats, seed: numberFlag(values, 'canary-seed', 0) };
  validateCanarySpec(spec);
  return spec;
}

function printSummary(o: TextTrainOutcome, out: string, datasetBytes: number, log: string): void {
  const e = o.lastEval;
  console.log(`trained ${o.state.step} steps in ${formatDuration(e.elapsedSeconds)} at ${Math.round(e.itemsPerSecond).toLocaleString('en-US')} tokens/s; peak memory ${peakMemory()}`);
  console.log(`loss (nats/char): train ${e.trainLoss.toFixed(3)}, held-out ${e.heldOutLoss.toFixed(3)}; best held-out ${o.bestEval.heldOutLoss.toFixed(3)} at step ${o.bestEval.step}`);
  console.log(`wrote ${out}: ${o.parameterCount.toLocaleString('en-US')} parameters, ${(o.modelBytes / 1e6).toFixed(2)} MB ` +
    `(the dataset is ${(datasetBytes / 1e6).toFixed(2)} MB: ${(o.modelBytes / datasetBytes).toFixed(2)}x its size); log ${log}`);
}
