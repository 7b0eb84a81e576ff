// engram export MODEL --to pytorch DIR: a standalone PyTorch module for the model's family that loads the
// engram weights file itself and reproduces engram's outputs, train.py to go on training it with torchrun,
// and data.safetensors, the model's training and held-out data as engram built them (export/pytorch/).
import { copyFileSync, existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../errors.js';
import { loadTextDataset } from '../data/index.js';
import { loadImageDataset } from '../data/images.js';
import { imageTrainingArrays, textTrainingArrays } from '../tasks/trainingArrays.js';
import { loadModelFile, type ModelRecord } from '../weights/modelFile.js';
import { encodeSafetensors, type NamedTensor } from '../weights/safetensors.js';
import { FileStorage } from '../weights/storage.js';
import { numberFlag, parseCommand } from './flags.js';
import { trainedImagesSpec } from './imageData.js';

export const EXPORT_HELP = `usage: engram export MODEL --to pytorch DIR [--data SPEC] [--canary-seed S]

Writes into DIR (torch and numpy are all the Python it needs; Debian: apt-get install python3-torch):
  gpt.py, diffusion.py or tagger.py   the model's family as a PyTorch module that reads the engram file directly
  engram_io.py                        reading and writing engram weights files
  train.py                            continue (or --restart) training with PyTorch, one process or torchrun's
                                      DistributedDataParallel (gloo on CPU, nccl on GPUs), writing an engram file back
  model.safetensors                   a copy of MODEL
  data.safetensors                    the training and held-out sides of the model's split, as engram built them
Then:
  python3 DIR/gpt.py DIR/model.safetensors --tokens 0,5,6,1     logits at every position, as JSON
  python3 DIR/gpt.py DIR/model.safetensors --nanogpt ckpt.pt    a checkpoint nanoGPT's GPT class loads
  torchrun --nproc_per_node=2 DIR/train.py DIR/model.safetensors --out more.safetensors --steps 500
  engram sample more.safetensors ...; engram audit more.safetensors
Options:
  --data SPEC          the dataset the model was trained on (default: the built-in one its file names)
  --canary-seed S      for text models trained with --canaries: the seed used in training (default 0)`;

const TEMPLATES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'export', 'pytorch');
const FAMILY_MODULES: Record<string, string> = { gpt: 'gpt.py', diffusion: 'diffusion.py', tagger: 'tagger.py' };

export async function exportCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommand(argv, { to: { type: 'string' }, data: { type: 'string' }, 'canary-seed': { type: 'string' } });
  if (values.help) return console.log(EXPORT_HELP);
  if (positionals.length !== 2) throw new ConfigError('usage: engram export MODEL --to pytorch DIR');
  if (values.to !== 'pytorch') throw new ConfigError(`--to must be pytorch, got ${values.to ?? 'nothing'}`);
  const [file, dir] = positionals;
  const record = await loadModelFile(new FileStorage(), file);
  const module = FAMILY_MODULES[record.kind];
  if (!module) throw new ConfigError(`engram export writes PyTorch code for ${Object.keys(FAMILY_MODULES).join(', ')} models; ${file} is a ${record.kind} model`);
  if (existsSync(dir) && !existsSync(path.join(dir, 'engram_io.py')) && !existsSync(path.join(dir, 'gpt.py'))) throw new ConfigError(`${dir} exists and is not an earlier export; choose a new folder`);
  const data = trainingData(record, file, values);
  mkdirSync(dir, { recursive: true });
  for (const name of [module, 'engram_io.py', 'train.py']) copyFileSync(path.join(TEMPLATES, name), path.join(dir, name));
  copyFileSync(file, path.join(dir, 'model.safetensors'));
  const dataFile = path.join(dir, 'data.safetensors');
  writeFileSync(`${dataFile}.tmp`, encodeSafetensors(data, { 'engram.data': `${record.provenance.dataset.name}, split ${JSON.stringify(record.provenance.split)}` }));
  renameSync(`${dataFile}.tmp`, dataFile);
  const sizes = data.filter((t) => t.name.endsWith('tokens') || t.name.endsWith('pixels')).map((t) => `${t.name.replace(/_(tokens|pixels)$/, '')} ${t.shape[0].toLocaleString('en-US')}`);
  console.log(`wrote ${path.join(dir, module)}, train.py, engram_io.py, model.safetensors and data.safetensors (${sizes.join(', ')} ${record.kind === 'gpt' ? 'tokens' : 'images'})`);
  console.log(`try: python3 ${path.join(dir, 'train.py')} ${path.join(dir, 'model.safetensors')} --out more.safetensors --steps 100`);
}

function trainingData(record: ModelRecord, file: string, values: Record<string, string | boolean | undefined>): NamedTensor[] {
  if (record.kind === 'gpt') {
    const trainedOn = record.provenance.dataset.name;
    const spec = (values.data as string | undefined) ?? (trainedOn.startsWith('wordnet') ? trainedOn : undefined);
    if (!spec) throw new ConfigError(`${file} was trained on ${trainedOn}; pass that file with --data so the export can rebuild the split`);
    return textTrainingArrays(record, loadTextDataset(spec), numberFlag(values, 'canary-seed', 0));
  }
  const size = (record.modelConfig as { imageSize: number }).imageSize;
  return imageTrainingArrays(record, loadImageDataset(trainedImagesSpec(record, file, values), { size, onBadFile: 'skip' }));
}
