// engram inspect MODEL: what a weights file says about itself (config, size, provenance), without loading a model.
import { statSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import { loadModelFile } from '../weights/modelFile.js';
import { checkModelRecord } from '../tasks/checkRecord.js';
import { FileStorage } from '../weights/storage.js';
import { parseCommand } from './flags.js';

export const INSPECT_HELP = `usage: engram inspect MODEL [--json]

Prints a weights file's model kind and config, parameter count, file size against the size of the
dataset it was trained on, and its provenance (dataset fingerprint, split, steps, losses).`;

const LOSS_UNITS: Record<string, string> = { text: ' nats/char', 'speech-to-text': ' nats/char (CTC)', 'image-to-tags': ' nats/image', 'tags-to-image': ' (mean squared denoising error)' };

export async function inspectCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommand(argv, { json: { type: 'boolean' } });
  if (values.help) return console.log(INSPECT_HELP);
  if (positionals.length !== 1) throw new ConfigError('engram inspect needs one weights file: engram inspect MODEL');
  const file = positionals[0];
  const record = await loadModelFile(new FileStorage(), file);
  checkModelRecord(record, file);
  const parameters = [...record.params.values()].reduce((n, a) => n + a.data.length, 0);
  const fileBytes = statSync(file).size;
  const p = record.provenance;
  const summary = {
    file, fileBytes, kind: record.kind, task: record.task, parameters,
    modelConfig: record.modelConfig, trainConfig: record.trainConfig, provenance: p,
    checkpoint: record.trainState ? { step: record.trainState.step, bestHeldOutLoss: record.trainState.bestHeldOutLoss } : undefined,
  };
  if (values.json) return console.log(JSON.stringify(summary, null, 2));
  const mb = (n: number) => `${(n / 1e6).toFixed(2)} MB`;
  // A checkpoint saved before the first evaluation has no losses yet (stored as null).
  const loss = (x: number | null) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(3) : '-');
  console.log(`${file}: ${record.kind} model for ${record.task}${record.trainState ? ` (checkpoint at step ${record.trainState.step})` : ''}`);
  console.log(`  config      ${JSON.stringify(record.modelConfig)}`);
  console.log(`  parameters  ${parameters.toLocaleString('en-US')} (float32, ${mb(parameters * 4)})`);
  console.log(`  file        ${mb(fileBytes)}; dataset ${p.dataset.name} is ${mb(p.dataset.bytes)}: the file is ${(fileBytes / p.dataset.bytes).toFixed(3)}x the data`);
  console.log(`  dataset     ${p.dataset.name} ${p.dataset.version}, ${p.dataset.examples.toLocaleString('en-US')} examples, ${p.dataset.duplicateCount} exact duplicates, fingerprint ${p.dataset.fingerprint.slice(0, 16)}`);
  console.log(`  split       seed ${p.split.splitSeed}, held-out fraction ${p.split.heldOutFraction}: ${p.split.trainExamples} train / ${p.split.heldOutExamples} held out`);
  const unit = LOSS_UNITS[record.task] ?? '';
  console.log(`  training    ${p.steps} steps; loss train ${loss(p.trainLoss)}, held-out ${loss(p.heldOutLoss)}${unit}; ${JSON.stringify(record.trainConfig)}`);
  const tags = (record.vocabulary as { tags?: string[] } | undefined)?.tags;
  if (tags) console.log(`  tags        ${tags.length}: ${tags.slice(0, 30).join(', ')}${tags.length > 30 ? ', ...' : ''}`);
  if (p.canaries) console.log(`  canaries    ${p.canaries.count} per repeat count ${p.canaries.repeats.join(', ')} (hashes only)`);
  console.log(`  engram      ${p.engramVersion}`);
  const w = p.trainedWith;
  if (w) console.log(`  continued   ${w.steps} steps in ${w.framework} on ${w.processes} ${w.device} process${w.processes === 1 ? '' : 'es'}, ${w.restart ? 'from a fresh initialisation' : `after ${w.continuedFromSteps} steps in engram`} (export/pytorch/train.py)`);
}
