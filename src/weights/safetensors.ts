// The safetensors format (huggingface/safetensors): 8-byte little-endian header length N, N bytes of JSON
// header {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}, then the raw
// little-endian tensor bytes. Offsets are relative to the end of the header. Reading checks everything a
// corrupt or hostile file could get wrong before any tensor is used.
import { WeightsFormatError } from '../errors.js';

export type DType = 'F32' | 'I32' | 'U8' | 'U16';
type TypedArray = Float32Array | Int32Array | Uint8Array | Uint16Array;

const BYTES_PER: Record<DType, number> = { F32: 4, I32: 4, U8: 1, U16: 2 };
/** Headers larger than this are refused (the reference implementation uses 100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;

export interface NamedTensor {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: TypedArray;
}

export interface SafetensorsFile {
  readonly tensors: Map<string, NamedTensor>;
  readonly metadata: Record<string, string>;
}

export function encodeSafetensors(tensors: readonly NamedTensor[], metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    const bytes = t.data.byteLength;
    const expected = t.shape.reduce((a, b) => a * b, 1) * BYTES_PER[t.dtype];
    if (bytes !== expected) throw new Error(`tensor ${t.name}: ${bytes} bytes do not match ${t.dtype}${JSON.stringify(t.shape)}`);
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let headerBytes = new TextEncoder().encode(JSON.stringify(header));
  // Pad the header with spaces to a multiple of 8 so tensor data is aligned (as the reference writer does).
  const padded = Math.ceil(headerBytes.length / 8) * 8;
  if (padded !== headerBytes.length) {
    const withPad = new Uint8Array(padded).fill(0x20);
    withPad.set(headerBytes);
    headerBytes = withPad;
  }
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const t of tensors) {
    // Typed arrays are little-endian on every platform Node and browsers run on.
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}

export function decodeSafetensors(bytes: Uint8Array, source = 'weights file'): SafetensorsFile {
  const fail = (why: string): never => {
    throw new WeightsFormatError(`${source} is not a valid safetensors file: ${why}`);
  };
  if (bytes.length < 8) fail(`only ${bytes.length} bytes long`);
  const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (headerLength > MAX_HEADER_BYTES) fail(`header length ${headerLength} exceeds ${MAX_HEADER_BYTES}`);
  if (8 + headerLength > bytes.length) fail(`header length ${headerLength} runs past the end of the file (${bytes.length} bytes; truncated?)`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)));
  } catch {
    return fail('header is not valid UTF-8 JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object');
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const metadata = readMetadata(header.__metadata__, fail);
  const tensors = new Map<string, NamedTensor>();
  const spans: [number, number, string][] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, begin, end } = readEntry(name, entry, fail);
    if (end > dataLength) fail(`tensor ${name} ends at byte ${end}, past the data section (${dataLength} bytes; truncated?)`);
    const count = shape.reduce((a, b) => a * b, 1);
    if (end - begin !== count * BYTES_PER[dtype]) fail(`tensor ${name} has ${end - begin} bytes but ${dtype}${JSON.stringify(shape)} needs ${count * BYTES_PER[dtype]}`);
    spans.push([begin, end, name]);
    tensors.set(name, { name, dtype, shape, data: view(bytes, dataStart + begin, count, dtype) });
  }
  checkSpans(spans, dataLength, fail);
  return { tensors, metadata };
}

function readMetadata(raw: unknown, fail: (why: string) => never): Record<string, string> {
  if (raw === undefined) return {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('__metadata__ is not an object');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw as object)) {
    if (typeof v !== 'string') fail(`__metadata__.${k} is not a string`);
    out[k] = v;
  }
  return out;
}

function readEntry(name: string, entry: unknown, fail: (why: string) => never) {
  const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  if (typeof e !== 'object' || e === null) fail(`entry ${name} is not an object`);
  if (typeof e.dtype !== 'string' || !(e.dtype in BYTES_PER)) fail(`tensor ${name} has unsupported dtype ${JSON.stringify(e.dtype)}`);
  const isIndex = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0;
  if (!Array.isArray(e.shape) || !e.shape.every(isIndex)) fail(`tensor ${name} has an invalid shape`);
  const offsets = e.data_offsets;
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isIndex) || offsets[0] > offsets[1]) {
    fail(`tensor ${name} has invalid data_offsets`);
  }
  return { dtype: e.dtype as DType, shape: e.shape as number[], begin: (offsets as number[])[0], end: (offsets as number[])[1] };
}

/** Tensors must not overlap, and together must cover the data section exactly (no hidden bytes). */
function checkSpans(spans: [number, number, string][], dataLength: number, fail: (why: string) => never): void {
  spans.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let covered = 0;
  for (const [begin, end, name] of spans) {
    if (begin < covered) fail(`tensor ${name} overlaps the tensor before it`);
    if (begin > covered) fail(`bytes ${covered}..${begin} of the data section belong to no tensor`);
    covered = end;
  }
  if (covered !== dataLength) fail(`data section has ${dataLength - covered} trailing bytes that belong to no tensor`);
}

/** Copies the bytes out, so the result is aligned and independent of the file buffer. */
function view(bytes: Uint8Array, start: number, count: number, dtype: DType): TypedArray {
  // Uint8Array.prototype.slice copies even for a Node Buffer, whose own slice() is a view into a shared pool.
  const copy = Uint8Array.prototype.slice.call(bytes, start, start + count * BYTES_PER[dtype]).buffer;
  switch (dtype) {
    case 'F32': return new Float32Array(copy);
    case 'I32': return new Int32Array(copy);
    case 'U16': return new Uint16Array(copy);
    case 'U8': return new Uint8Array(copy);
  }
}
