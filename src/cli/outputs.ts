// Before any work: what a command is about to write must not destroy something the user did not ask to
// replace, and the place must be writable. Checked up front so that a refusal costs nothing, and a
// read-only directory is found before an hour of training rather than at its first checkpoint.
import { closeSync, existsSync, mkdirSync, openSync, readSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import { checkpointPathFor } from '../tasks/runTraining.js';
import { logPathFor } from './trainingUi.js';

/** The same file, whatever the spelling (relative, ./, symlinks). */
function samePath(a: string, b: string): boolean {
  const canonical = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  return canonical(a) === canonical(b);
}

function firstBytes(file: string, n: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(n);
    return buffer.subarray(0, readSync(fd, buffer, 0, n, 0));
  } finally {
    closeSync(fd);
  }
}

/** True for a safetensors file whose metadata names engram (without reading more than its header). */
export function isEngramFile(file: string): boolean {
  try {
    const head = firstBytes(file, 8);
    if (head.length < 8) return false;
    const headerLength = Number(head.readBigUInt64LE(0));
    if (headerLength > 1 << 24) return false;
    return firstBytes(file, 8 + headerLength).subarray(8).toString('utf8').includes('"engram.format"');
  } catch {
    return false;
  }
}

/** Refuses an --out that is a directory (or names one), and one of the inputs. */
function checkNotInputOrDirectory(out: string, inputs: readonly string[], what: string): void {
  if (out.endsWith('/') || out.endsWith(path.sep) || (existsSync(out) && statSync(out).isDirectory())) {
    throw new ConfigError(`--out ${out} is a directory; give a file name, such as ${path.join(out, what)}`);
  }
  for (const input of inputs) {
    if (existsSync(input) && samePath(out, input)) throw new ConfigError(`--out ${out} is the input ${input}; refusing to overwrite it`);
  }
}

/** Creates the directory if needed and writes and removes a probe file, so a read-only place fails now. */
export function checkWritable(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    const probe = path.join(dir, `.engram-probe-${process.pid}`);
    writeFileSync(probe, '');
    rmSync(probe);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EROFS' ? 'read-only file system' : code === 'ENOTDIR' ? 'a file stands where a directory should be' : (err as Error).message;
    throw new ConfigError(`cannot write to ${dir}: ${why}`);
  }
}

/**
 * `engram train --out FILE`: the model, its checkpoint and its log must not be an input, and an existing
 * model or checkpoint there is continued (--resume) or replaced (--force), never silently overwritten.
 */
export function checkTrainOutput(out: string, o: { inputs: readonly string[]; resume: boolean; force: boolean }): void {
  const written = [out, checkpointPathFor(out), logPathFor(out)];
  for (const file of written) checkNotInputOrDirectory(file, o.inputs, 'model.safetensors');
  if (!o.resume && !o.force) {
    for (const file of [out, checkpointPathFor(out)]) {
      if (!existsSync(file)) continue;
      if (isEngramFile(file)) throw new ConfigError(`${file} holds an earlier run; continue it with --resume, or replace it with --force`);
      throw new ConfigError(`${file} exists and is not an engram model; refusing to overwrite it (another --out, or --force)`);
    }
  }
  checkWritable(path.dirname(path.resolve(out)));
}

/** A single output file of another kind (a PNG grid): not an input, and not an existing file of another kind. */
export function checkOutputFile(out: string, o: { inputs: readonly string[]; force: boolean; looksRight: (head: Buffer) => boolean; kind: string }): void {
  checkNotInputOrDirectory(out, o.inputs, `out.${o.kind.toLowerCase()}`);
  if (!o.force && existsSync(out) && !o.looksRight(firstBytes(out, 16))) {
    throw new ConfigError(`${out} exists and is not a ${o.kind} file; refusing to overwrite it (another --out, or --force)`);
  }
  checkWritable(path.dirname(path.resolve(out)));
}

/** An output directory (audit reports): a directory or nothing yet, and writable. */
export function checkOutputDirectory(dir: string, inputs: readonly string[]): void {
  for (const input of inputs) if (existsSync(input) && samePath(dir, input)) throw new ConfigError(`--out ${dir} is the input ${input}`);
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new ConfigError(`--out ${dir} is a file; the audit writes a directory (audit.json, report.html)`);
  checkWritable(dir);
}

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
