import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from '../src/weights/safetensors.js';
import { WeightsFormatError } from '../src/errors.js';

const sample: NamedTensor[] = [
  { name: 'w', dtype: 'F32', shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 1e-30, -0, Math.PI]) },
  { name: 'ids', dtype: 'I32', shape: [3], data: Int32Array.from([7, -1, 2 ** 31 - 1]) },
  { name: 'empty', dtype: 'F32', shape: [0, 4], data: new Float32Array(0) },
];

/** Builds a file by hand, byte by byte, from the format's description. */
function handBuilt(header: string, data: number[]): Uint8Array {
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

test('write -> read -> write is byte-exact, and values survive bit for bit', () => {
  const bytes = encodeSafetensors(sample, { note: 'hello' });
  const file = decodeSafetensors(bytes);
  assert.deepEqual(file.metadata, { note: 'hello' });
  for (const t of sample) {
    const back = file.tensors.get(t.name)!;
    assert.deepEqual(back.shape, t.shape);
    assert.deepEqual(new Uint8Array(back.data.buffer), new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
  assert.deepEqual(encodeSafetensors([...file.tensors.values()], file.metadata), bytes);
  assert.equal(Object.is(file.tensors.get('w')!.data[4], -0), true);
});

test('a file built by hand from the spec reads correctly', () => {
  // 1.5 = 0x3FC00000 and -2 = 0xC0000000 as little-endian float32.
  const bytes = handBuilt('{"__metadata__":{"format":"pt"},"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', [0, 0, 0xc0, 0x3f, 0, 0, 0, 0xc0]);
  const file = decodeSafetensors(bytes);
  assert.deepEqual([...file.tensors.get('x')!.data], [1.5, -2]);
  assert.deepEqual(file.metadata, { format: 'pt' });
});

test('the header is padded to 8 bytes so tensor data is aligned', () => {
  const bytes = encodeSafetensors(sample);
  const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal(headerLength % 8, 0);
});

test('corrupt files are rejected with a WeightsFormatError that says why', () => {
  const good = encodeSafetensors(sample);
  const entry = (offsets: string, dtype = 'F32', shape = '[2]') => `{"a":{"dtype":"${dtype}","shape":${shape},"data_offsets":${offsets}}}`;
  const cases: [string, Uint8Array, RegExp][] = [
    ['empty', new Uint8Array(0), /only 0 bytes/],
    ['truncated data', good.subarray(0, good.length - 3), /past the data section|belong to no tensor/],
    ['truncated header', good.subarray(0, 20), /runs past the end/],
    ['huge header length', handBuilt('{}', []).map((b, i) => (i === 7 ? 0x7f : b)), /exceeds/],
    ['garbage header', handBuilt('not json', []), /not valid UTF-8 JSON/],
    ['header is an array', handBuilt('[1,2]', []), /not a JSON object/],
    ['unknown dtype', handBuilt(entry('[0,8]', 'F128'), new Array(8).fill(0)), /unsupported dtype/],
    ['shape/bytes mismatch', handBuilt(entry('[0,4]'), new Array(4).fill(0)), /needs 8/],
    ['offsets past the end', handBuilt(entry('[0,8]'), new Array(4).fill(0)), /past the data section/],
    ['reversed offsets', handBuilt(entry('[8,0]'), new Array(8).fill(0)), /invalid data_offsets/],
    ['negative shape', handBuilt(entry('[0,8]', 'F32', '[-2]'), new Array(8).fill(0)), /invalid shape/],
    ['overlap', handBuilt('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', new Array(8).fill(0)), /overlaps/],
    ['hidden bytes', handBuilt(entry('[0,8]'), new Array(12).fill(0)), /trailing bytes/],
    ['metadata not strings', handBuilt('{"__metadata__":{"n":1}}', []), /not a string/],
  ];
  for (const [name, bytes, why] of cases) {
    assert.throws(() => decodeSafetensors(bytes, 'f.safetensors'), (e: unknown) => e instanceof WeightsFormatError && why.test(e.message), name);
  }
});
