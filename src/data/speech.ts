// Speech datasets: (audio -> transcript) examples with speakers, content hashes and a fingerprint, as text and
// image datasets have. Sources: a folder of WAV files with transcripts.tsv (`file.wav<TAB>text[<TAB>speaker]`;
// engram's synthetic speech is written in this form by scripts/make-speech.mjs) and `fsdd:PATH`, the Free
// Spoken Digit Dataset's naming ({digit}_{speaker}_{take}.wav). Audio is read once, resampled to 16 kHz and
// turned into log-mel features here, so training never touches a file.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { hash32 } from '../engine/index.js';
import { DatasetError } from '../errors.js';
import { logMelEnergies, standardise } from '../codecs/logMel.js';
import { decodeWav, resample, SAMPLE_RATE } from './audio.js';

export interface SpeechExample {
  readonly text: string;
  readonly speaker: string;
  readonly source: string;
  readonly hash: string;
  /** 16 kHz mono samples (kept for the report's audio players and for re-scoring). */
  readonly samples: Float32Array;
  /** Log filter energies [frames * MEL_BINS], before standardisation. */
  readonly energies: Float32Array;
  /** Log-mel features [frames * MEL_BINS]: the energies standardised over the utterance (see standardisedOver). */
  readonly features: Float32Array;
  readonly frames: number;
}

export interface SpeechDataset {
  readonly name: string;
  readonly version: string;
  readonly examples: readonly SpeechExample[];
  readonly fingerprint: string;
  readonly speakers: readonly string[];
  readonly seconds: number;
  /** Spoken canaries listed in the folder's canaries.tsv: planted ones are also among the examples. */
  readonly canaries: readonly SpokenCanary[];
}

/**
 * A spoken canary (after Carlini et al. 2019, "The Secret Sharer"): a recording of a random secret planted
 * `repeats` times in the training audio (0: never planted, the reference). Made by the data-making step,
 * which lists them in canaries.tsv (`file.wav<TAB>secret<TAB>repeats`) and the planted copies in
 * transcripts.tsv under the speaker CANARY_SPEAKER.
 */
export interface SpokenCanary {
  readonly secret: string;
  readonly repeats: number;
  readonly example: SpeechExample;
}

/** The speaker of planted canaries; never held out, since a held-out canary would not be planted. */
export const CANARY_SPEAKER = 'canary';

const DIGITS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

/** Lowercase letters, apostrophes and single spaces: what the recogniser writes. */
export function normaliseTranscript(text: string): string {
  return text.toLowerCase().replace(/[^a-z' ]+/g, ' ').replace(/\s+/g, ' ').trim();
}

/**
 * The samples without leading and trailing silence: from the first to the last 10 ms stretch within 40 dB of
 * the loudest one. Recordings differ most in how much silence surrounds the word (synthetic speech keeps
 * a few hundred ms, the Free Spoken Digit Dataset is trimmed), which says nothing about the word.
 */
export function trimSilence(samples: Float32Array): Float32Array {
  const hop = SAMPLE_RATE / 100;
  const energies = Array.from({ length: Math.floor(samples.length / hop) }, (_, f) => {
    let e = 0;
    for (let i = f * hop; i < (f + 1) * hop; i++) e += samples[i] * samples[i];
    return e / hop;
  });
  const loudest = Math.max(...energies, 1e-12);
  const loud = (e: number) => e > loudest * 1e-4;
  const first = energies.findIndex(loud);
  const last = energies.length - 1 - [...energies].reverse().findIndex(loud);
  if (first < 0) return samples;
  return samples.subarray(Math.max(0, (first - 2) * hop), Math.min(samples.length, (last + 3) * hop));
}

export function speechExample(text: string, speaker: string, source: string, wav: Uint8Array): SpeechExample {
  const decoded = decodeWav(wav, source);
  const samples = trimSilence(resample(decoded, SAMPLE_RATE).samples);
  const { frames, energies } = logMelEnergies(samples);
  const [features] = standardise([{ frames, energies }]);
  // The hash is of the recording as decoded, before resampling and trimming, so it names the audio, not
  // how this version of engram processes it.
  const quantised = Int16Array.from(decoded.samples, (s) => Math.round(Math.max(-1, Math.min(1, s)) * 32767));
  const hash = createHash('sha256').update(text).update('\u001e').update(String(decoded.sampleRate)).update('\u001e').update(new Uint8Array(quantised.buffer)).digest('hex');
  return { text, speaker, source, hash, samples, energies, features, frames };
}

/** Which recordings share a voice: a speaker's, except that a planted canary and a recording without a named speaker are each their own. */
export function voiceOf(e: Pick<SpeechExample, 'speaker' | 'hash'>): string {
  return e.speaker === CANARY_SPEAKER || e.speaker === UNKNOWN_SPEAKER ? `recording:${e.hash}` : `speaker:${e.speaker}`;
}

/** Over what a model's features are standardised: each utterance alone, or all the utterances of its speaker. */
export type Standardisation = 'utterance' | 'speaker';

/** Speaker of recordings whose transcripts.tsv line names none. */
export const UNKNOWN_SPEAKER = 'unknown';

/**
 * The dataset with its features standardised as a model expects: over each utterance (as loaded), or over
 * all the utterances of each speaker (per-speaker CMVN, as Kaldi's recipes do; measured in the README, it
 * is what lets a digit recogniser hear a new real speaker). A planted canary and a recording without a
 * named speaker are each a voice of their own, standardised by themselves.
 */
export function standardisedOver(dataset: SpeechDataset, over: Standardisation): SpeechDataset {
  if (over === 'utterance') return dataset;
  const voices = new Map<string, Set<SpeechExample>>();
  for (const e of dataset.examples) (voices.get(voiceOf(e)) ?? voices.set(voiceOf(e), new Set()).get(voiceOf(e))!).add(e);
  const restandardised = new Map<SpeechExample, SpeechExample>();
  for (const group of voices.values()) {
    const members = [...group];
    standardise(members).forEach((features, i) => restandardised.set(members[i], { ...members[i], features }));
  }
  return { ...dataset, examples: dataset.examples.map((e) => restandardised.get(e)!) };
}

export function makeSpeechDataset(name: string, version: string, examples: readonly SpeechExample[], canaries: readonly SpokenCanary[] = []): SpeechDataset {
  if (examples.length === 0) throw new DatasetError(`speech dataset ${name} has no utterances`);
  const fingerprint = createHash('sha256');
  for (const e of examples) fingerprint.update(e.hash);
  return {
    name, version, examples, fingerprint: fingerprint.digest('hex'),
    speakers: [...new Set(examples.map((e) => e.speaker))].sort(),
    seconds: examples.reduce((s, e) => s + e.samples.length / SAMPLE_RATE, 0),
    canaries,
  };
}

function readBytes(file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new DatasetError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

/**
 * `fsdd:PATH` (PATH or PATH/recordings holds {digit}_{speaker}_{take}.wav), a folder with transcripts.tsv, or
 * several of them joined with commas (synthetic speech and real speakers trained together).
 */
export function loadSpeechDataset(spec: string): SpeechDataset {
  const parts = spec.split(',').filter((p) => p.length > 0);
  if (parts.length > 1) {
    const sets = parts.map(loadSpeechDataset);
    return makeSpeechDataset(sets.map((d) => d.name).join(','), sets.map((d) => d.version).join(','), sets.flatMap((d) => d.examples), sets.flatMap((d) => d.canaries));
  }
  if (spec.startsWith('fsdd:')) return loadFsdd(spec.slice(5));
  return loadSpeechFolder(spec);
}

function loadFsdd(dir: string): SpeechDataset {
  const folder = existsSync(path.join(dir, 'recordings')) ? path.join(dir, 'recordings') : dir;
  if (!existsSync(folder) || !statSync(folder).isDirectory()) throw new DatasetError(`fsdd: ${dir} is not a folder`);
  const files = readdirSync(folder).filter((f) => /^\d_[a-z]+_\d+\.wav$/.test(f)).sort();
  if (files.length === 0) throw new DatasetError(`fsdd: no files named {digit}_{speaker}_{take}.wav in ${folder}`);
  const examples = files.map((f) => {
    const [digit, speaker] = f.split('_');
    return speechExample(DIGITS[Number(digit)], speaker, f, readBytes(path.join(folder, f)));
  });
  return makeSpeechDataset(`fsdd:${path.basename(path.resolve(dir))}`, `files=${files.length}`, examples);
}

function loadSpeechFolder(dir: string): SpeechDataset {
  const root = path.resolve(dir);
  const realRoot = existsSync(root) ? realpathSync(root) : root;
  return speechFolderFromFiles(dir, path.basename(root), (name) => {
    const full = path.join(root, name);
    if (!existsSync(full)) return undefined;
    // A link out of the folder is refused as a path out of it is: the folder is what the user named.
    if (!realpathSync(full).startsWith(realRoot + path.sep)) throw new DatasetError(`${dir} lists ${name}, which is outside ${dir}; entries must name files inside the folder`);
    return readBytes(full);
  });
}

/** Reads a file of a folder by its name inside the folder ("a/b.wav"); undefined when there is none. */
export type FolderReader = (name: string) => Uint8Array | undefined;

/**
 * A folder of recordings read through `read`: from disk for the CLI, from the files a user chose in engram
 * studio. transcripts.tsv lists `file.wav<TAB>text[<TAB>speaker]`; canaries.tsv, when there is one, the
 * spoken canaries. `where` names the folder in messages; `name` is its last part.
 */
export function speechFolderFromFiles(where: string, name: string, read: FolderReader): SpeechDataset {
  const index = `${where}/transcripts.tsv`;
  const transcripts = read('transcripts.tsv');
  if (!transcripts) throw new DatasetError(`${where} has no transcripts.tsv (file.wav<TAB>text[<TAB>speaker] per line)`);
  const readListed = (file: string, at: string) => {
    if (file.startsWith('/') || file.split(/[\\/]/).includes('..')) throw new DatasetError(`${at}: lists ${file}, which is outside ${where}; entries must name files inside the folder`);
    const bytes = read(file);
    if (!bytes) throw new DatasetError(`${at}: cannot read ${file}: no such file in ${where}`);
    return bytes;
  };
  const examples: SpeechExample[] = [];
  const seen = new Map<string, SpeechExample>();
  for (const [n, line] of new TextDecoder().decode(transcripts).split(/\r?\n/).entries()) {
    if (line.trim() === '') continue;
    const [file, text, speaker] = line.split('\t');
    if (!file || text === undefined) throw new DatasetError(`${index}:${n + 1}: expected file.wav<TAB>text`);
    // A line repeated (a planted canary) is read and featurised once.
    const key = `${file}\t${text}\t${speaker}`;
    const example = seen.get(key) ?? speechExample(normaliseTranscript(text), speaker?.trim() || UNKNOWN_SPEAKER, file, readListed(file, `${index}:${n + 1}`));
    seen.set(key, example);
    examples.push(example);
  }
  return makeSpeechDataset(`folder:${name}`, `utterances=${examples.length}`, examples, readCanaries(where, read, readListed, examples));
}

/** canaries.tsv beside transcripts.tsv, checked against the planted copies there. */
function readCanaries(where: string, read: FolderReader, readListed: (file: string, at: string) => Uint8Array, examples: readonly SpeechExample[]): SpokenCanary[] {
  const index = `${where}/canaries.tsv`;
  const bytes = read('canaries.tsv');
  if (!bytes) return [];
  const rows = new TextDecoder().decode(bytes).split(/\r?\n/).filter((l) => l.trim() !== '');
  return rows.map((line, n) => {
    const [file, secret, repeatsText] = line.split('\t');
    const repeats = Number(repeatsText);
    if (!file || !secret || !Number.isInteger(repeats) || repeats < 0) throw new DatasetError(`${index}:${n + 1}: expected file.wav<TAB>secret<TAB>repeats`);
    const planted = examples.filter((e) => e.source === file && e.speaker === CANARY_SPEAKER);
    if (planted.length !== repeats) throw new DatasetError(`${index}:${n + 1}: ${file} is planted ${planted.length} times in transcripts.tsv, not ${repeats}`);
    const text = normaliseTranscript(secret);
    const example = planted.find((e) => e.text === text) ?? speechExample(text, CANARY_SPEAKER, file, readListed(file, `${index}:${n + 1}`));
    return { secret: text, repeats, example };
  });
}

export interface SpeechSplitSpec {
  readonly splitSeed: number;
  readonly heldOutFraction: number;
  /** Hold out whole speakers (voices) rather than utterances. */
  readonly by: 'utterance' | 'speaker';
  /** Speakers held out by name (leave-one-speaker-out); overrides the fraction for speakers. */
  readonly heldOutSpeakers?: readonly string[];
}

export function isSpeechHeldOut(e: Pick<SpeechExample, 'speaker' | 'hash'>, spec: SpeechSplitSpec): boolean {
  if (e.speaker === CANARY_SPEAKER) return false;
  if (spec.heldOutSpeakers?.length) return spec.heldOutSpeakers.includes(e.speaker);
  const key = spec.by === 'speaker' ? `speaker:${e.speaker}` : e.hash;
  return hash32(`${spec.splitSeed}:${key}`) / 4294967296 < spec.heldOutFraction;
}

export function splitSpeech(dataset: SpeechDataset, spec: SpeechSplitSpec): { train: SpeechExample[]; heldOut: SpeechExample[] } {
  const sides = { train: [] as SpeechExample[], heldOut: [] as SpeechExample[] };
  for (const e of dataset.examples) (isSpeechHeldOut(e, spec) ? sides.heldOut : sides.train).push(e);
  if (sides.train.length === 0 || sides.heldOut.length === 0) {
    throw new DatasetError(`the split leaves ${sides.train.length} utterances for training and ${sides.heldOut.length} held out; both need some (speakers: ${dataset.speakers.join(', ')})`);
  }
  return sides;
}
