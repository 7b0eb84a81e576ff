// engram sample MODEL --prompt INPUT: generate outputs for an input with temperature, top-k, top-p and a seed.
import { ConfigError } from '../errors.js';
import { GENERATE_DEFAULTS } from '../sample/generateText.js';
import { SAMPLING_DEFAULTS } from '../sample/transforms.js';
import { generateText, loadTextModel } from '../tasks/text.js';
import { FileStorage } from '../weights/storage.js';
import { numberFlag, parseCommand } from './flags.js';

export const SAMPLE_HELP = `usage: engram sample MODEL [--prompt TEXT] [--temperature T] [--top-k K] [--top-p P] [--seed S] [-n N] [--max-tokens M]

Generates outputs for the input TEXT (for WordNet models: a word; the output is its made-up gloss).
  --temperature T   0 = greedy and deterministic; default ${SAMPLING_DEFAULTS.temperature}
  --top-k K         sample among the K most likely characters only (0 = all; default 0)
  --top-p P         nucleus sampling: the most likely characters covering probability P (default 1 = all)
  --seed S          same seed, same samples (default ${GENERATE_DEFAULTS.seed})
  -n N              number of samples (default ${GENERATE_DEFAULTS.samples})
  --max-tokens M    longest output in characters (default ${GENERATE_DEFAULTS.maxTokens})`;

export async function sampleCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommand(argv, {
    prompt: { type: 'string' }, temperature: { type: 'string' }, 'top-k': { type: 'string' }, 'top-p': { type: 'string' },
    seed: { type: 'string' }, n: { type: 'string', short: 'n' }, 'max-tokens': { type: 'string' },
  });
  if (values.help) return console.log(SAMPLE_HELP);
  if (positionals.length !== 1) throw new ConfigError('engram sample needs one weights file: engram sample MODEL --prompt TEXT');
  const loaded = await loadTextModel(new FileStorage(), positionals[0]);
  const prompt = (values.prompt as string | undefined) ?? '';
  const outputs = generateText(loaded, prompt, {
    temperature: numberFlag(values, 'temperature', SAMPLING_DEFAULTS.temperature),
    topK: numberFlag(values, 'top-k', SAMPLING_DEFAULTS.topK),
    topP: numberFlag(values, 'top-p', SAMPLING_DEFAULTS.topP),
    seed: numberFlag(values, 'seed', GENERATE_DEFAULTS.seed),
    samples: numberFlag(values, 'n', GENERATE_DEFAULTS.samples),
    maxTokens: numberFlag(values, 'max-tokens', GENERATE_DEFAULTS.maxTokens),
  });
  for (const output of outputs) console.log(prompt ? `${prompt}: ${output}` : output);
  loaded.model.dispose();
}
