// A suffix array over the training text, for "what is the longest piece of this generated text that occurs
// verbatim in the training set?" in O(|query| log n) per query instead of a scan of the whole set.
// Built by prefix doubling (Manber & Myers 1993) with radix sorting: O(n log n), ~seconds for 10 MB.

export class SuffixArray {
  readonly order: Int32Array; // order[r] = start of the r-th smallest suffix

  constructor(readonly codes: Uint16Array | Uint32Array) {
    this.order = build(codes);
  }

  /** Builds over a string's UTF-16 code units (fine for matching: equal strings have equal units). */
  static fromText(text: string): SuffixArray {
    const codes = new Uint16Array(text.length);
    for (let i = 0; i < text.length; i++) codes[i] = text.charCodeAt(i);
    return new SuffixArray(codes);
  }

  /** Length of the common prefix of the suffix at `start` and query[from..]. */
  private common(start: number, query: Uint16Array, from: number): number {
    let n = 0;
    while (start + n < this.codes.length && from + n < query.length && this.codes[start + n] === query[from + n]) n++;
    return n;
  }

  /** Longest prefix of query[from..] that occurs in the text: its length and one place it occurs. */
  longestPrefixMatch(query: Uint16Array, from: number): { length: number; at: number } {
    // Binary search for where query[from..] would sort; the longest match is a neighbour of that place.
    let lo = 0;
    let hi = this.order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const start = this.order[mid];
      const n = this.common(start, query, from);
      const textEnded = start + n >= this.codes.length;
      const queryEnded = from + n >= query.length;
      const suffixSmaller = !queryEnded && (textEnded || this.codes[start + n] < query[from + n]);
      if (suffixSmaller) lo = mid + 1;
      else hi = mid;
    }
    let best = { length: 0, at: -1 };
    for (const r of [lo - 1, lo]) {
      if (r < 0 || r >= this.order.length) continue;
      const n = this.common(this.order[r], query, from);
      if (n > best.length) best = { length: n, at: this.order[r] };
    }
    return best;
  }

  /** For each position of the query, the longest match starting there (matching statistics). */
  matchLengths(query: string): { lengths: Int32Array; at: Int32Array } {
    const units = new Uint16Array(query.length);
    for (let i = 0; i < query.length; i++) units[i] = query.charCodeAt(i);
    const lengths = new Int32Array(query.length);
    const at = new Int32Array(query.length);
    for (let i = 0; i < units.length; i++) {
      const m = this.longestPrefixMatch(units, i);
      lengths[i] = m.length;
      at[i] = m.at;
    }
    return { lengths, at };
  }
}

function build(codes: Uint16Array | Uint32Array): Int32Array {
  const n = codes.length;
  const order = new Int32Array(n);
  if (n === 0) return order;
  let rank = new Int32Array(n);
  let next = new Int32Array(n);
  const spare = new Int32Array(n);
  // Round 0: sort by the first unit (counting sort over the alphabet).
  // Keys are always an Int32Array so the sort stays monomorphic (mixing array types made it ~10x slower).
  const first = Int32Array.from(codes);
  let maxCode = 0;
  for (let i = 0; i < n; i++) if (first[i] > maxCode) maxCode = first[i];
  for (let i = 0; i < n; i++) spare[i] = i;
  countingSortByKey(spare, first, maxCode + 1, order);
  let classes = 0;
  for (let r = 0; r < n; r++) {
    if (r > 0 && first[order[r]] !== first[order[r - 1]]) classes++;
    rank[order[r]] = classes;
  }
  for (let k = 1; classes < n - 1; k *= 2) {
    // Sort by (rank[i], rank[i + k]): suffixes with no second half first, then by the previous order.
    let p = 0;
    for (let i = n - k; i < n; i++) spare[p++] = i;
    for (let r = 0; r < n; r++) if (order[r] >= k) spare[p++] = order[r] - k;
    countingSortByKey(spare, rank, classes + 1, order);
    classes = 0;
    next[order[0]] = 0;
    for (let r = 1; r < n; r++) {
      const a = order[r - 1];
      const b = order[r];
      if (rank[a] !== rank[b] || (a + k < n ? rank[a + k] : -1) !== (b + k < n ? rank[b + k] : -1)) classes++;
      next[b] = classes;
    }
    [rank, next] = [next, rank];
  }
  return order;
}

/** Stable counting sort of `items` by keys[item] in [0, range); writes into `out`. */
function countingSortByKey(items: Int32Array, keys: Int32Array, range: number, out: Int32Array): void {
  const counts = new Int32Array(range + 1);
  for (let j = 0; j < items.length; j++) counts[keys[items[j]] + 1]++;
  for (let c = 1; c <= range; c++) counts[c] += counts[c - 1];
  for (let j = 0; j < items.length; j++) {
    const item = items[j];
    out[counts[keys[item]]++] = item;
  }
}
