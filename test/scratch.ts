// A folder for a test's files that does not outlive the test (no engine set-up here, unlike helpers.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A fresh folder under the system's temp folder for one test's files, removed when the test file's process
 * exits (a speech test's data alone is 23 MB); ENGRAM_KEEP_TEST_FILES=1 keeps it to look at.
 */
export function scratchDir(name: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `engram-${name}-`));
  if (!process.env.ENGRAM_KEEP_TEST_FILES) process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
