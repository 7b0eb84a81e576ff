// engram transcribe MODEL a.wav [b.wav ...]: one line per file, file<TAB>transcript.
import { readFileSync } from 'node:fs';
import { ConfigError, DatasetError } from '../errors.js';
import { decodeWav } from '../data/audio.js';
import { languageModelFrom, LANGUAGE_MODEL_DEFAULTS, parseLexicon, type LanguageModelFusion, type Lexicon } from '../sample/ctcBeam.js';
import { wordnetLemmas } from '../data/wordnet.js';
import { transcribe, speechModelFromRecord } from '../tasks/speech.js';
import { loadModelFile } from '../weights/modelFile.js';
import { FileStorage } from '../weights/storage.js';
import { numberFlag, parseCommand } from './flags.js';
import { checkRange } from '../train/config.js';

export const TRANSCRIBE_HELP = `usage: engram transcribe MODEL FILE.wav... [--temperature T] [--seed S] [--beam N] [--lexicon FILE]
       [--lm wordnet|FILE] [--lm-weight W] [--lm-bonus B] [--separate-voices] [--adapt-voice] [--with MODEL2,...]

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
  --lm SOURCE       weigh spellings by a character 8-gram language model (Kneser-Ney) counted from SOURCE:
                    wordnet (WordNet's 147,478 words and phrases) or a text FILE (one text per line), by
                    beam search (16 beams unless --beam says); unlike a lexicon it forbids no spelling
  --lm-weight W     how much the language model counts against the sound (default 1)
  --lm-bonus B      added per letter written, so longer transcripts are not penalised for more factors
                    (default 2)
  --separate-voices each file is a voice of its own (standardised by itself)
  --adapt-voice     hear each voice through the vocal tract warp (0.86-1.14) whose transcripts the model
                    finds most probable (vocal tract length normalisation); costs 9 passes and decodings
  --with M2,M3      more speech models (e.g. the same training from other seeds) hear the files too; each
                    proposes its transcripts and each file gets the one all the models find most probable
                    together (summed log-probabilities; temperature 0 only)`;

export async function transcribeCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommand(argv, { temperature: { type: 'string' }, seed: { type: 'string' }, beam: { type: 'string' }, lexicon: { type: 'string' }, lm: { type: 'string' }, 'lm-weight': { type: 'string' }, 'lm-bonus': { type: 'string' }, 'separate-voices': { type: 'boolean' }, 'adapt-voice': { type: 'boolean' }, with: { type: 'string' } });
  if (values.help) return console.log(TRANSCRIBE_HELP);
  if (positionals.length < 2) throw new ConfigError('engram transcribe needs a model and at least one WAV file');
  const [file, ...wavs] = positionals;
  const temperature = numberFlag(values, 'temperature', 0);
  checkRange('temperature', temperature, { min: 0, max: 100 });
  const seed = numberFlag(values, 'seed', 0);
  checkRange('seed', seed, { min: 0, max: 2 ** 32 - 1, integer: true });
  const beam = numberFlag(values, 'beam', 0);
  checkRange('beam', beam, { min: 0, max: 1000, integer: true });
  const search = beam > 0 ? 'beam' : values.lexicon ? 'lexicon' : values.lm ? 'lm' : undefined;
  if (search && temperature > 0) throw new ConfigError(`--${search} searches for the most probable transcript; it does not combine with --temperature above 0`);
  const lexicon = values.lexicon ? readLexicon(String(values.lexicon)) : undefined;
  for (const setting of ['lm-weight', 'lm-bonus'] as const) if (values[setting] !== undefined && !values.lm) throw new ConfigError(`--${setting} weighs a language model; give one with --lm wordnet or --lm FILE`);
  const languageModel = values.lm ? readLanguageModel(String(values.lm), numberFlag(values, 'lm-weight', LANGUAGE_MODEL_DEFAULTS.weight), numberFlag(values, 'lm-bonus', LANGUAGE_MODEL_DEFAULTS.bonus)) : undefined;
  const others = values.with ? String(values.with).split(',').filter(Boolean) : [];
  if (others.length > 0 && temperature > 0) throw new ConfigError('--with chooses the transcript the models find most probable together; it does not combine with --temperature above 0');
  const [loaded, ...together] = await Promise.all([file, ...others].map(async (f) => speechModelFromRecord(await loadModelFile(new FileStorage(), f), f)));
  try {
    const waves = wavs.map((w) => decodeWav(readInput(w), w));
    transcribe(loaded, waves, { temperature, seed, beam, lexicon, languageModel, separately: Boolean(values['separate-voices']), adaptVoice: Boolean(values['adapt-voice']), together }).forEach((text, i) => console.log(`${wavs[i]}\t${text}`));
  } finally {
    for (const m of [loaded, ...together]) m.model.dispose();
  }
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

/** --lm: WordNet's words and phrases, or a text file's lines. */
function readLanguageModel(source: string, weight: number, bonus: number): LanguageModelFusion {
  checkRange('lm-weight', weight, { min: 0, max: 100 });
  checkRange('lm-bonus', bonus, { min: -100, max: 100 });
  const texts = source === 'wordnet' ? wordnetLemmas() : new TextDecoder().decode(readInput(source)).split('\n');
  return languageModelFrom(texts, source, { weight, bonus });
}
