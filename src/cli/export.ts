// engram export MODEL --to pytorch DIR: a standalone PyTorch module for the model's family that loads the
// engram weights file itself and reproduces engram's outputs (export/pytorch/), beside a copy of the file.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../errors.js';
import { loadModelFile } from '../weights/modelFile.js';
import { FileStorage } from '../weights/storage.js';
import { parseCommand } from './flags.js';

export const EXPORT_HELP = `usage: engram export MODEL --to pytorch DIR

Writes DIR/gpt.py, a PyTorch module (torch and numpy only) that reads the engram weights file directly and
computes the same logits, and DIR/model.safetensors, a copy of MODEL. Then:
  python3 DIR/gpt.py DIR/model.safetensors --tokens 0,5,6,1     logits at every position, as JSON
  python3 DIR/gpt.py DIR/model.safetensors --nanogpt ckpt.pt    a checkpoint nanoGPT's GPT class loads
Text (GPT) models only for now.`;

const TEMPLATES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'export', 'pytorch');

export async function exportCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommand(argv, { to: { type: 'string' } });
  if (values.help) return console.log(EXPORT_HELP);
  if (positionals.length !== 2) throw new ConfigError('usage: engram export MODEL --to pytorch DIR');
  if (values.to !== 'pytorch') throw new ConfigError(`--to must be pytorch, got ${values.to ?? 'nothing'}`);
  const [file, dir] = positionals;
  const record = await loadModelFile(new FileStorage(), file);
  if (record.kind !== 'gpt') throw new ConfigError(`engram export writes PyTorch code for gpt models so far; ${file} is a ${record.kind} model`);
  if (existsSync(dir) && !existsSync(path.join(dir, 'gpt.py'))) throw new ConfigError(`${dir} exists and is not an earlier export; choose a new folder`);
  mkdirSync(dir, { recursive: true });
  copyFileSync(path.join(TEMPLATES, 'gpt.py'), path.join(dir, 'gpt.py'));
  copyFileSync(file, path.join(dir, 'model.safetensors'));
  console.log(`wrote ${path.join(dir, 'gpt.py')} and ${path.join(dir, 'model.safetensors')}; try: python3 ${path.join(dir, 'gpt.py')} ${path.join(dir, 'model.safetensors')} --tokens 0,1`);
}
