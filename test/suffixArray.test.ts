import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../src/engine/index.js';
import { SuffixArray } from '../src/audit/suffixArray.js';

test('suffix order equals a naive sort, on random and repetitive strings', () => {
  const rng = new Rng(1);
  const strings = ['banana', 'mississippi', 'aaaaaaaaaa', 'abababab', 'x', ''];
  for (let t = 0; t < 100; t++) strings.push(Array.from({ length: 1 + rng.int(50) }, () => 'abc'[rng.int(3)]).join(''));
  for (const s of strings) {
    const naive = [...s].map((_, i) => i).sort((a, b) => (s.slice(a) < s.slice(b) ? -1 : 1));
    assert.deepEqual([...SuffixArray.fromText(s).order], naive, s);
  }
});

test('longest verbatim match at every position equals a brute-force search', () => {
  const rng = new Rng(2);
  for (let t = 0; t < 100; t++) {
    const text = Array.from({ length: 5 + rng.int(60) }, () => 'abcd'[rng.int(4)]).join('');
    const query = Array.from({ length: 1 + rng.int(12) }, () => 'abcde'[rng.int(5)]).join('');
    const { lengths, at } = SuffixArray.fromText(text).matchLengths(query);
    for (let i = 0; i < query.length; i++) {
      let L = 0;
      while (i + L < query.length && text.includes(query.slice(i, i + L + 1))) L++;
      assert.equal(lengths[i], L, `${text} / ${query} at ${i}`);
      if (L > 0) assert.equal(text.slice(at[i], at[i] + L), query.slice(i, i + L));
    }
  }
});
