// engram transcribe MODEL a.wav [b.wav ...]: one line per file, file<TAB>transcript.
import { readFileSync } from 'node:fs';
import { ConfigError, DatasetError } from '../errors.js';
import { decodeWav } from '../data/audio.js';
import { parseLexicon, type Lexicon } from '../sample/ctcBeam.js';
import { transcribe, speechModelFromRecord } from '../tasks/speech.js';
import { loadModelFile } from '../weights/modelFile.js';
import { FileStorage } from '../weights/storage.js';
import { numberFlag, parseCommand } from './flags.js';
import { checkRange } from '../train/config.js';

export const TRANSCRIBE_HELP = `usage: engram transcribe MODEL FILE.wav... [--temperature T] [--seed S] [--beam N] [--lexicon FILE] [--separate-voices]

Writes what a speech model hears in each WAV file (any sample rate, mono or stereo): file<TAB>transcript.
Files given together are heard as one voice when the model standardises its features over a speaker (the
default since this setting): give it several recordings of one person, or --separate-voices.
  --temperature T   0 = the most likely symbol per frame (default); above 0, a path sampled from the model
  --seed S          same seed, same sampled transcripts (default 0)
  --beam N          prefix beam search with N beams: the most probable transcript over all frame paths
                    (temperature 0 only)
  --lexicon FILE    write only words listed in FILE (separated by spaces or new lines), by beam search
                    (16 beams unless --beam says); the model still scores letters, the list says which
                    spellings count, as a recogniser's dictionary does
  --separate-voices each file is a voice of its own (standardised by itself)`;

export async function transcribeCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommand(argv, { temperature: { type: 'string' }, seed: { type: 'string' }, beam: { type: 'string' }, lexicon: { type: 'string' }, 'separate-voices': { type: 'boolean' } });
  if (values.help) return console.log(TRANSCRIBE_HELP);
  if (positionals.length < 2) throw new ConfigError('engram transcribe needs a model and at least one WAV file');
  const [file, ...wavs] = positionals;
  const temperature = numberFlag(values, 'temperature', 0);
  checkRange('temperature', temperature, { min: 0, max: 100 });
  const seed = numberFlag(values, 'seed', 0);
  checkRange('seed', seed, { min: 0, max: 2 ** 32 - 1, integer: true });
  const beam = numberFlag(values, 'beam', 0);
  checkRange('beam', beam, { min: 0, max: 1000, integer: true });
  if ((beam > 0 || values.lexicon) && temperature > 0) throw new ConfigError(`--${beam > 0 ? 'beam' : 'lexicon'} searches for the most probable transcript; it does not combine with --temperature above 0`);
  const lexicon = values.lexicon ? readLexicon(String(values.lexicon)) : undefined;
  const loaded = speechModelFromRecord(await loadModelFile(new FileStorage(), file), file);
  const waves = wavs.map((w) => decodeWav(readInput(w), w));
  transcribe(loaded, waves, { temperature, seed, beam, lexicon, separately: Boolean(values['separate-voices']) }).forEach((text, i) => console.log(`${wavs[i]}\t${text}`));
  loaded.model.dispose();
}

function readInput(file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new DatasetError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

function readLexicon(file: string): Lexicon {
  return parseLexicon(new TextDecoder().decode(readInput(file)), file);
}
