import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CharTokenizer, EOS, SEP, UNK } from '../src/codecs/charTokenizer.js';
import { InputError } from '../src/errors.js';
import { wordnetSlice } from './helpers.js';

test('encode/decode round-trips every training example, including non-ASCII text', () => {
  const examples = [...wordnetSlice(200).examples, { input: 'café', output: 'naïve 日本 😀' }];
  const tok = CharTokenizer.fromExamples(examples);
  for (const e of examples) assert.equal(tok.decode(tok.encode(e.output)), e.output);
  assert.equal(tok.encode('😀').length, 1, 'an astral character is one token, not two UTF-16 halves');
});

test('the vocabulary is the same whatever the example order, and survives JSON', () => {
  const examples = wordnetSlice(100).examples;
  const a = CharTokenizer.fromExamples(examples);
  const b = CharTokenizer.fromExamples([...examples].reverse());
  assert.deepEqual(a.toJSON(), b.toJSON());
  const c = CharTokenizer.fromJSON(JSON.parse(JSON.stringify(a.toJSON())));
  assert.deepEqual(c.encode('quickly'), a.encode('quickly'));
});

test('unknown characters become <unk>; strict encoding names them', () => {
  const tok = CharTokenizer.fromExamples([{ input: 'ab', output: 'c' }]);
  assert.deepEqual(tok.encode('az'), [tok.encode('a')[0], UNK]);
  assert.deepEqual(tok.unknownChars('azzy'), ['z', 'y']);
  assert.throws(() => tok.encodePrompt('abz'), (e: unknown) => e instanceof InputError && /"z"/.test(e.message));
});

test('an example is <eos> input <sep> output, and the corpus ends with <eos>', () => {
  const tok = CharTokenizer.fromExamples([{ input: 'ab', output: 'c' }]);
  const [a, b, c] = tok.encode('abc');
  assert.deepEqual(tok.encodeExample({ input: 'ab', output: 'c' }), [EOS, a, b, SEP, c]);
  assert.deepEqual([...tok.encodeCorpus([{ input: 'a', output: 'c' }, { input: 'b', output: 'c' }])], [EOS, a, SEP, c, EOS, b, SEP, c, EOS]);
});
