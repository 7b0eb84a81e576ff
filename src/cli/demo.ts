// npm run demo: the main job on the embedded default data. Trains a small GPT on WordNet (word -> gloss)
// for a few minutes, then asks it to define words that do not exist, at three temperatures.
import { generateText, loadTextModel } from '../tasks/text.js';
import { FileStorage } from '../weights/storage.js';
import { parseCommand } from './flags.js';
import { auditCommand } from './audit.js';
import { inspectCommand } from './inspect.js';
import { trainCommand } from './train.js';

/** Sized to finish in under 3 minutes on 2 cores (see README for the measured figures). */
export const DEMO_TRAIN_FLAGS = [
  '--steps', '260', '--batch-size', '32', '--block-size', '64', '--n-layer', '3', '--n-head', '4', '--n-embd', '64',
  '--dropout', '0', '--learning-rate', '5e-3', '--min-learning-rate', '5e-4', '--warmup-steps', '30', '--eval-every', '50', '--eval-batches', '4',
];
export const MADE_UP_WORDS = ['glorpish', 'frindle', 'snackrifice', 'blorft', 'quibbleton'];

export const DEMO_HELP = `usage: engram demo [--out runs/demo/model.safetensors] [--steps N]

Trains a small model on WordNet 3.1 (word -> gloss; ${DEMO_TRAIN_FLAGS.join(' ')}),
then defines made-up words (${MADE_UP_WORDS.join(', ')}) at temperatures 0, 0.7 and 1.2,
and ends by auditing the model (audit/report.html beside it).`;

export async function demoCommand(argv: string[]): Promise<void> {
  const { values } = parseCommand(argv, { out: { type: 'string' }, steps: { type: 'string' } });
  if (values.help) return console.log(DEMO_HELP);
  const out = (values.out as string | undefined) ?? 'runs/demo/model.safetensors';
  const flags = [...DEMO_TRAIN_FLAGS];
  if (values.steps) flags[1] = values.steps as string;
  await trainCommand(['text', '--data', 'wordnet', '--out', out, ...flags]);

  const loaded = await loadTextModel(new FileStorage(), out);
  for (const temperature of [0, 0.7, 1.2]) {
    console.log(`\n== temperature ${temperature}${temperature === 0 ? ' (greedy)' : ''}`);
    for (const word of MADE_UP_WORDS) {
      const [gloss] = generateText(loaded, word, { temperature, topK: 0, topP: 1, seed: 1, samples: 1, maxTokens: 120 });
      console.log(`${word}: ${gloss}`);
    }
  }
  loaded.model.dispose();
  console.log('');
  await inspectCommand([out]);
  console.log('\n== audit: did it learn or did it copy?');
  await auditCommand([out, '--examples', '200', '--samples', '20']);
}
