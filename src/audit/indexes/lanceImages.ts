// Nearest training images through LanceDB, an embedded vector database that keeps its tables on disk (or on
// object storage: s3://, gs://, az:// locations), for training sets too large to search in memory. Every
// answer is re-ranked exactly: the index proposes candidates by L2 over the pixels, engram computes the
// exact distance of each candidate (tiled L2 from more candidates than L2, as it ranks differently); the audit
// states the index's recall@1 against exact search, measured on its own queries.
import * as lancedb from '@lancedb/lancedb';
import { ConfigError } from '../../errors.js';
import { imageDistance, type Distance, type NeighbourSearch, type Neighbours } from '../imageNeighbours.js';
import { batchedOf, type Batched } from './batched.js';

/** Below this many images the table is scanned exactly; above it an IVF-PQ index proposes candidates. */
export const ANN_THRESHOLD = 50_000;
/**
 * Candidates proposed by L2 and re-ranked exactly. Tiled L2 ranks differently from L2: on MNIST at 16 px the
 * tiled-L2 nearest of 200 held-out digits was among the 64 L2-nearest for 95.5% of them, the 256 for 99.5%,
 * the 512 for 100%; on shifted, noised copies of digits (bench/indexes.ts) 512 found 98% and 1,024 100% at
 * 10,000 and 100,000 images; at 1,000,000, 1,024 found 97% (the misses 2-5% farther than the true nearest),
 * 4,096 99% (measured). `engram audit --index-candidates` raises it.
 */
const L2_CANDIDATES = 64;
export const TILED_CANDIDATES = 1024;
/**
 * IVF partitions probed, and PQ candidates re-ranked by exact L2 inside LanceDB per result wanted. On 100,000
 * shifted, noised digits (316 partitions) 32 probes found the tiled-L2 nearest of 98 of 100 real digits, 64 all
 * 100 (measured).
 */
const NPROBES = 64;
const REFINE_FACTOR = 4;
const ADD_BATCH = 10_000;

export interface LanceImageIndex extends NeighbourSearch {
  readonly location: string;
  readonly table: string;
  /** Seconds spent building (0 when an existing table was reused). */
  readonly buildSeconds: number;
  readonly ann: string;
}

/**
 * Opens the table `name` under `location`, building it from `images` (by index) when it is missing or holds
 * another number of images. `name` should say what the images are (dataset fingerprint, split, size), so a
 * stale table is never searched.
 */
export async function openLanceImageIndex(location: string, name: string, images: readonly Float32Array[] | Batched<Float32Array>, size: number, progress?: (done: number, total: number) => void, tiledCandidates = TILED_CANDIDATES): Promise<LanceImageIndex> {
  const source = batchedOf(images);
  if (source.count === 0) throw new ConfigError('an image index needs at least one training image');
  const db = await lancedb.connect(location);
  let buildSeconds = 0;
  let table = (await db.tableNames()).includes(name) ? await db.openTable(name) : undefined;
  if (!table || (await table.countRows()) !== source.count) {
    const started = performance.now();
    table = undefined;
    for (let start = 0; start < source.count; start += ADD_BATCH) {
      const rows = source.batch(start, Math.min(source.count, start + ADD_BATCH)).map((vector, i) => ({ id: start + i, vector: Array.from(vector) }));
      if (!table) table = await db.createTable(name, rows, { mode: 'overwrite' });
      else await table.add(rows);
      progress?.(Math.min(source.count, start + ADD_BATCH), source.count);
    }
    if (source.count >= ANN_THRESHOLD) {
      const dims = size * size * 3;
      await table!.createIndex('vector', { config: lancedb.Index.ivfPq({ numPartitions: Math.round(Math.sqrt(source.count)), numSubVectors: subVectors(dims), distanceType: 'l2' }) });
    }
    buildSeconds = (performance.now() - started) / 1000;
  }
  const opened = table!;
  const ann = source.count >= ANN_THRESHOLD ? `IVF-PQ (${Math.round(Math.sqrt(source.count))} partitions), exact re-rank` : 'none: exact scan';
  return {
    engine: 'lancedb', location, table: name, count: source.count, buildSeconds, ann,
    nearest: (queries, distance, k) => nearest(opened, queries, size, distance, Math.min(k, source.count), source.count >= ANN_THRESHOLD, tiledCandidates),
    images: async (indices) => {
      if (indices.length === 0) return [];
      const rows = await opened.query().where(`id IN (${indices.join(',')})`).toArray();
      const byId = new Map(rows.map((r) => [Number(r.id), vectorOf(r)]));
      return indices.map((i) => byId.get(i)!);
    },
  };
}

/** Sub-vectors for product quantisation: a divisor of the dimension near dims / 16. */
function subVectors(dims: number): number {
  for (let n = Math.max(1, Math.round(dims / 16)); n > 1; n--) if (dims % n === 0) return n;
  return 1;
}

function vectorOf(row: Record<string, unknown>): Float32Array {
  const v = row.vector as { toArray?: () => Float32Array } | number[];
  return Float32Array.from('toArray' in v && typeof v.toArray === 'function' ? v.toArray() : (v as number[]));
}

async function nearest(table: lancedb.Table, queries: readonly Float32Array[], size: number, distance: Distance, k: number, ann: boolean, tiledCandidates: number): Promise<Neighbours> {
  const indices: number[][] = [];
  const distances: number[][] = [];
  const candidates = distance === 'l2' ? Math.max(L2_CANDIDATES, 4 * k) : Math.max(tiledCandidates, 8 * k);
  for (const q of queries) {
    let search = table.query().nearestTo(Array.from(q)).distanceType('l2').select(['id', 'vector', '_distance']).limit(candidates);
    if (ann) search = search.nprobes(NPROBES).refineFactor(REFINE_FACTOR);
    const scored = candidatesOf(await search.toArrow(), q.length).map((c) => ({ id: c.id, d: imageDistance(q, c.vector, size, distance) }));
    scored.sort((a, b) => a.d - b.d || a.id - b.id);
    indices.push(scored.slice(0, k).map((s) => s.id));
    distances.push(scored.slice(0, k).map((s) => s.d));
  }
  return { indices, distances };
}

/** Rows of an Arrow result as (id, vector) without a copy per value: the vectors are views of Arrow's buffers. */
function candidatesOf(result: Awaited<ReturnType<lancedb.VectorQuery['toArrow']>>, dims: number): { id: number; vector: Float32Array }[] {
  const out: { id: number; vector: Float32Array }[] = [];
  for (const batch of result.batches) {
    const ids = batch.getChild('id')!;
    const vectors = batch.getChild('vector')!.data[0];
    const values = vectors.children[0].values as Float32Array;
    for (let i = 0; i < batch.numRows; i++) out.push({ id: Number(ids.get(i)), vector: values.subarray((vectors.offset + i) * dims, (vectors.offset + i + 1) * dims) });
  }
  return out;
}
