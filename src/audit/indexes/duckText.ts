// Verbatim matches against a training text too large for a suffix array in memory: an n-gram index in DuckDB,
// an embedded analytical database that keeps its tables on disk. The training text (examples joined as the
// audit joins them) is stored in overlapping chunks; every position's 16-character window is hashed (DuckDB's
// 64-bit hash) into a table sorted by hash. A query text's windows are looked up in one join, and runs of
// consecutive matching windows at consecutive training positions give the longest match at each position,
// exactly for every match of 16 characters or more (the shortest length the audit's coverage counts);
// shorter matches are not seen.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { ConfigError } from '../../errors.js';
import type { Example } from '../../data/dataset.js';
import { exampleText, MATCH_THRESHOLDS, type VerbatimIndex } from '../regurgitation.js';
import { batchedOf, type Batched } from './batched.js';

/** Window length: the shortest match the index sees. */
export const GRAM = MATCH_THRESHOLDS[0];
/** Characters per stored chunk (each also holds the next GRAM - 1, so every window lies inside one chunk). */
const CHUNK = 1 << 16;

export interface DuckTextIndex extends VerbatimIndex {
  readonly location: string;
  readonly buildSeconds: number;
  readonly characters: number;
  close(): void;
}

/**
 * Opens the DuckDB file `location`, building tables for `name` (which should say what the text is: dataset
 * fingerprint and split) when they are missing.
 */
export async function openDuckTextIndex(location: string, name: string, train: readonly Example[] | Batched<Example>): Promise<DuckTextIndex> {
  if (!/^[a-z0-9_]+$/.test(name)) throw new ConfigError(`index name ${name} must be lowercase letters, digits and _`);
  const source = batchedOf(train);
  const instance = await DuckDBInstance.create(location);
  const db = await instance.connect();
  const tables = (await db.runAndReadAll(`SELECT table_name FROM information_schema.tables WHERE table_name = '${name}_grams'`)).getRows();
  let buildSeconds = 0;
  if (tables.length === 0) buildSeconds = await build(db, name, source);
  const characters = Number((await db.runAndReadAll(`SELECT max(stop) FROM ${name}_examples`)).getRows()[0][0]);
  return {
    engine: 'duckdb (16-gram index)', exactFrom: GRAM, location, buildSeconds, characters,
    matchLengths: (texts) => matchLengths(db, name, texts),
    exampleAt: async (position) => {
      const rows = (await db.runAndReadAll(`SELECT text FROM ${name}_examples WHERE start <= ${Math.floor(position)} AND stop > ${Math.floor(position)} LIMIT 1`)).getRows();
      return String(rows[0]?.[0] ?? '').trimEnd();
    },
    close: () => db.closeSync(),
  };
}

async function build(db: DuckDBConnection, name: string, source: Batched<Example>): Promise<number> {
  const started = performance.now();
  await db.run(`CREATE OR REPLACE TABLE ${name}_examples (start BIGINT, stop BIGINT, text VARCHAR)`);
  await db.run(`CREATE OR REPLACE TABLE ${name}_chunks (start BIGINT, text VARCHAR)`);
  const examples = await db.createAppender(`${name}_examples`);
  const chunks = await db.createAppender(`${name}_chunks`);
  let offset = 0;
  let pending = '';
  let pendingStart = 0;
  const flushChunks = (final: boolean) => {
    while (pending.length >= CHUNK + GRAM - 1 || (final && pending.length > 0)) {
      chunks.appendBigInt(BigInt(pendingStart));
      chunks.appendVarchar(pending.slice(0, CHUNK + GRAM - 1));
      chunks.endRow();
      pending = pending.slice(CHUNK);
      pendingStart += CHUNK;
      if (final && pending.length < GRAM) break;
    }
  };
  for (let start = 0; start < source.count; start += 10_000) {
    for (const e of source.batch(start, Math.min(source.count, start + 10_000))) {
      const text = exampleText(e);
      examples.appendBigInt(BigInt(offset));
      examples.appendBigInt(BigInt(offset + text.length));
      examples.appendVarchar(text);
      examples.endRow();
      offset += text.length;
      pending += text;
      flushChunks(false);
    }
  }
  flushChunks(true);
  examples.closeSync();
  chunks.closeSync();
  // Positions are 0-based in the joined text; DuckDB's substring is 1-based. Sorted by hash, so a lookup
  // reads only the row groups whose hash range can hold it.
  await db.run(`CREATE OR REPLACE TABLE ${name}_grams AS
    SELECT hash(substring(c.text, i, ${GRAM})) AS h, c.start + i - 1 AS pos
    FROM ${name}_chunks c, range(1, ${CHUNK} + 1) r(i)
    WHERE i + ${GRAM} - 1 <= length(c.text)
    ORDER BY h`);
  return (performance.now() - started) / 1000;
}

async function matchLengths(db: DuckDBConnection, name: string, texts: readonly string[]): Promise<{ lengths: Int32Array; at: Int32Array }[]> {
  // Every window of every query text in one table, then one join against the index.
  await db.run('CREATE OR REPLACE TEMP TABLE queries (q INTEGER, text VARCHAR)');
  const appender = await db.createAppender('queries');
  texts.forEach((text, q) => {
    appender.appendInteger(q);
    appender.appendVarchar(text);
    appender.endRow();
  });
  appender.closeSync();
  const rows = (await db.runAndReadAll(`
    WITH windows AS (
      SELECT q, i - 1 AS at, hash(substring(text, i, ${GRAM})) AS h FROM queries, range(1, length(text) - ${GRAM} + 2) r(i)
    )
    SELECT w.q, w.at, g.pos FROM windows w JOIN ${name}_grams g ON g.h = w.h`)).getRows();
  const hits = texts.map(() => new Map<number, Set<number>>());
  for (const [q, at, pos] of rows) {
    const byAt = hits[Number(q)];
    const set = byAt.get(Number(at)) ?? new Set<number>();
    set.add(Number(pos));
    byAt.set(Number(at), set);
  }
  return texts.map((text, q) => runs(text.length, hits[q]));
}

/**
 * From matching windows to match lengths: a window at query position i matching training position p, followed
 * by one at i + 1 matching p + 1, and so on for r windows, is a match of GRAM + r - 1 characters.
 */
function runs(length: number, hits: Map<number, Set<number>>): { lengths: Int32Array; at: Int32Array } {
  const lengths = new Int32Array(length);
  const at = new Int32Array(length);
  let next = new Map<number, number>(); // training position -> run length, for query position i + 1
  for (let i = length - 1; i >= 0; i--) {
    const current = new Map<number, number>();
    for (const p of hits.get(i) ?? []) {
      const run = 1 + (next.get(p + 1) ?? 0);
      current.set(p, run);
      if (GRAM + run - 1 > lengths[i]) {
        lengths[i] = GRAM + run - 1;
        at[i] = p;
      }
    }
    next = current;
  }
  return { lengths, at };
}
