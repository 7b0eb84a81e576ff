import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadTextDataset, makeDataset, parseLines, splitDataset, isHeldOut } from '../src/data/index.js';
import { parseSynsetLine } from '../src/data/wordnet.js';
import { DatasetError } from '../src/errors.js';
import { wordnetAdverbs } from './helpers.js';
import { scratchDir } from './scratch.js';

test('a WordNet data line becomes (words -> gloss), with adjective markers and underscores removed', () => {
  const line = '00002312 00 a 02 abaxial 0 dorsal(a) 4 002 ;c 06047178 n 0000 | facing away from the axis; "the abaxial surface"  ';
  assert.deepEqual(parseSynsetLine(line), { input: 'abaxial, dorsal', output: 'facing away from the axis; "the abaxial surface"' });
  assert.equal(parseSynsetLine('  1 This software and database is being provided'), undefined);
});

test('all of WordNet loads: ~118k synsets with a stable fingerprint', () => {
  const all = loadTextDataset('wordnet');
  assert.ok(all.examples.length > 117_000, `${all.examples.length} synsets`);
  assert.ok(all.bytes > 9e6);
  assert.equal(loadTextDataset('wordnet').fingerprint, all.fingerprint);
});

test('the split is a pure function of hash and seed; duplicates stay on one side', () => {
  const d = wordnetAdverbs();
  const a = splitDataset(d, { splitSeed: 7, heldOutFraction: 0.1 });
  const b = splitDataset(d, { splitSeed: 7, heldOutFraction: 0.1 });
  assert.deepEqual(a.heldOut.map((e) => e.hash), b.heldOut.map((e) => e.hash));
  const fraction = a.heldOut.length / d.examples.length;
  assert.ok(fraction > 0.08 && fraction < 0.12, `held-out fraction ${fraction}`);
  const c = splitDataset(d, { splitSeed: 8, heldOutFraction: 0.1 });
  assert.notDeepEqual(a.heldOut.map((e) => e.hash), c.heldOut.map((e) => e.hash));
  const dup = makeDataset('dups', '1', [{ input: 'x', output: 'y' }, { input: 'x', output: 'y' }, { input: 'z', output: 'y' }]);
  assert.equal(dup.duplicateCount, 1);
  assert.equal(isHeldOut(dup.examples[0].hash, { splitSeed: 3, heldOutFraction: 0.5 }), isHeldOut(dup.examples[1].hash, { splitSeed: 3, heldOutFraction: 0.5 }));
});

test('text files: tab-separated pairs or plain lines; bad files give DatasetError', () => {
  assert.deepEqual(parseLines('cat\ta small feline\r\n\nplain line\n'), [{ input: 'cat', output: 'a small feline' }, { input: '', output: 'plain line' }]);
  const dir = scratchDir('data');
  const file = (name: string, content: string | Buffer) => {
    writeFileSync(path.join(dir, name), content);
    return path.join(dir, name);
  };
  assert.equal(loadTextDataset(file('ok.txt', 'a\tb\nc\td\n')).examples.length, 2);
  for (const [bad, why] of [
    [path.join(dir, 'missing.txt'), /cannot read/],
    [file('empty.txt', ''), /empty/],
    [file('blank.txt', '\n  \n'), /no non-empty lines/],
    [file('binary.bin', Buffer.from([0x50, 0x4b, 0x00, 0x01])), /binary/],
    [file('latin1.txt', Buffer.from([0x63, 0x61, 0x66, 0xe9])), /UTF-8/],
    [dir, /directory/],
  ] as const) {
    assert.throws(() => loadTextDataset(bad), (e: unknown) => e instanceof DatasetError && why.test(e.message), String(bad));
  }
});
