// Where weights files live, behind a small interface: files in Node (written atomically), memory in tests,
// and later IndexedDB or a download in the browser.
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { WeightsFormatError } from '../errors.js';

export interface Storage {
  read(location: string): Promise<Uint8Array>;
  /** Replaces the whole content at once: a reader never sees half a file. */
  write(location: string, bytes: Uint8Array): Promise<void>;
  exists(location: string): Promise<boolean>;
}

export class FileStorage implements Storage {
  async read(file: string): Promise<Uint8Array> {
    try {
      return readFileSync(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code ?? String(err);
      throw new WeightsFormatError(`cannot read weights file ${file}: ${why}`);
    }
  }

  async write(file: string, bytes: Uint8Array): Promise<void> {
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    // Write beside the target, then rename: rename is atomic within a file system, so an interrupted
    // write leaves the old file intact rather than a truncated one.
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
