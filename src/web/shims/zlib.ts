// node:zlib for the browser bundle: gzip and raw deflate by fflate (synchronous, as the audit needs them).
// There is no Brotli encoder here; the capacity measure then reports Brotli as not measured.
import { deflateSync, gzipSync as fflateGzip } from 'fflate';

const level = (options?: { level?: number }) => Math.max(0, Math.min(9, options?.level ?? 6)) as 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;

export const gzipSync = (data: Uint8Array, options?: { level?: number }) => fflateGzip(data, { level: level(options) });
export const deflateRawSync = (data: Uint8Array, options?: { level?: number }) => deflateSync(data, { level: level(options) });
export const constants = { BROTLI_PARAM_QUALITY: 1, BROTLI_PARAM_SIZE_HINT: 5 };
export function brotliCompressSync(): Uint8Array {
  throw new Error('no Brotli encoder in the browser build');
}
