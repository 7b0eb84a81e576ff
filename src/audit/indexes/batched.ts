// What an index is built from: items read a batch at a time, so a training set need not be in memory at once.
export interface Batched<T> {
  readonly count: number;
  /** Items [start, end). */
  batch(start: number, end: number): T[];
}

/** Items already in memory, or a batched source as it is. */
export function batchedOf<T>(items: readonly T[] | Batched<T>): Batched<T> {
  if (!Array.isArray(items)) return items as Batched<T>;
  const list = items as readonly T[];
  return { count: list.length, batch: (start, end) => list.slice(start, end) };
}
