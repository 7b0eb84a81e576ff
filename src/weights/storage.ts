// Where weights files live, behind a small interface: files in Node (written atomically), memory in tests,
// and later IndexedDB or a download in the browser.
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { WeightsFormatError } from '../errors.js';

export interface Storage {
  read(location: string): Promise<Uint8Array>;
  /** Replaces the whole content at once: a reader never sees half a file. */
  write(location: string, bytes: Uint8Array): Promise<void>;
  exists(location: string): Promise<boolean>;
}

export class FileStorage implements Storage {
  /**
   * Reads a weights file: a regular file (not a FIFO or a device, which could block or never end), and
   * only the bytes its safetensors header says it has, so a huge or foreign file is refused after reading
   * 8 bytes rather than read whole.
   */
  async read(file: string): Promise<Uint8Array> {
    let fd: number;
    try {
      const kind = statSync(file);
      if (kind.isDirectory()) throw Object.assign(new Error(), { code: 'EISDIR' });
      if (!kind.isFile()) throw new WeightsFormatError(`cannot read weights file ${file}: not a regular file`);
      fd = openSync(file, 'r');
    } catch (err) {
      if (err instanceof WeightsFormatError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : code ?? String(err);
      throw new WeightsFormatError(`cannot read weights file ${file}: ${why}`);
    }
    try {
      return readDeclaredBytes(fd, file);
    } finally {
      closeSync(fd);
    }
  }

  async write(file: string, bytes: Uint8Array): Promise<void> {
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    // Write beside the target, then rename: rename is atomic within a file system, so an interrupted
    // write leaves the old file intact rather than a truncated one.
    removeStaleTemporaries(file);
    const temporary = `${file}.${process.pid}.tmp`;
    try {
      writeFileSync(temporary, bytes);
      renameSync(temporary, file);
    } catch (err) {
      rmSync(temporary, { force: true });
      throw err;
    }
  }

  async exists(file: string): Promise<boolean> {
    return existsSync(file);
  }
}

/** The largest header engram reads (its own headers are a few KB; vocabularies of many tags, a few MB). */
const MAX_HEADER_BYTES = 100 * 2 ** 20;

/** 8 + header + the data its offsets name; a file of another length is truncated or not a safetensors file. */
function readDeclaredBytes(fd: number, file: string): Uint8Array {
  const size = fstatSync(fd).size;
  const fail = (why: string): never => {
    throw new WeightsFormatError(`${file} is not a valid safetensors file: ${why}`);
  };
  if (size < 8) fail(`${size} bytes, less than the 8-byte header length`);
  const head = Buffer.alloc(8);
  readSync(fd, head, 0, 8, 0);
  const headerLength = Number(head.readBigUInt64LE(0));
  if (headerLength > MAX_HEADER_BYTES || 8 + headerLength > size) fail(`header length ${headerLength} does not fit a ${size}-byte file`);
  const bytes = Buffer.alloc(size);
  // The header first; the data only if the header's offsets account for the file's length.
  readSync(fd, bytes, 0, 8 + headerLength, 0);
  let dataEnd = 0;
  try {
    const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, { data_offsets?: [number, number] }>;
    for (const [name, entry] of Object.entries(header)) if (name !== '__metadata__') dataEnd = Math.max(dataEnd, Number(entry?.data_offsets?.[1] ?? 0));
  } catch {
    fail('header is not valid JSON');
  }
  if (8 + headerLength + dataEnd !== size) fail(`the header names ${dataEnd} bytes of data, the file has ${size - 8 - headerLength}${8 + headerLength + dataEnd > size ? ' (truncated?)' : ''}`);
  readSync(fd, bytes, 8 + headerLength, dataEnd, 8 + headerLength);
  return bytes;
}

/** Removes `${file}.PID.tmp` files left by writes whose process has died (killed mid-write). */
function removeStaleTemporaries(file: string): void {
  const dir = path.dirname(path.resolve(file));
  const prefix = `${path.basename(file)}.`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = name.startsWith(prefix) && name.endsWith('.tmp') ? Number(name.slice(prefix.length, -4)) : NaN;
    if (!Number.isInteger(pid) || pid === process.pid || isAlive(pid)) continue;
    rmSync(path.join(dir, name), { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class MemoryStorage implements Storage {
  readonly files = new Map<string, Uint8Array>();

  async read(location: string): Promise<Uint8Array> {
    const bytes = this.files.get(location);
    if (!bytes) throw new WeightsFormatError(`cannot read weights file ${location}: no such file`);
    return bytes.slice();
  }

  async write(location: string, bytes: Uint8Array): Promise<void> {
    this.files.set(location, bytes.slice());
  }

  async exists(location: string): Promise<boolean> {
    return this.files.has(location);
  }
}
