// Capacity: could the weights even hold the training set? Compares the bits in the weights with the bits in
// the data (raw, compressed, and the model's own code length), using the measured capacity of language
// models: about 2 bits per parameter (Allen-Zhu & Li 2024, "Physics of Language Models 3.3") to 3.6 bits
// per parameter (Morris et al. 2025, "How much do language models memorize?").
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { mean } from './stats.js';

export const BITS_PER_PARAMETER = { low: 2, high: 3.6 } as const;

export interface CapacityResult {
  readonly parameters: number;
  readonly weightsFileBits: number;
  readonly capacityBits: { readonly low: number; readonly high: number };
  readonly trainExamples: number;
  readonly trainBits: { readonly raw: number; readonly gzip: number; readonly brotli: number; readonly modelCodeLength: number };
  /** Capacity (high estimate) per training example. */
  readonly capacityBitsPerExample: number;
  /** Upper bound on the fraction of the training set the weights could store verbatim. */
  readonly maxVerbatimFraction: number;
}

/**
 * `trainText` is the training set as one string; `memberNatsPerToken` the per-example losses of a sample of
 * members; `scoredTokens` the number of output tokens in the whole training set (the code length covers outputs).
 */
export function capacity(args: { parameters: number; weightsFileBytes: number; trainText: string; trainExamples: number; memberNatsPerToken: readonly number[]; scoredTokens: number }): CapacityResult {
  const raw = new TextEncoder().encode(args.trainText);
  const gzipBits = gzipSync(raw, { level: 9 }).length * 8;
  const brotliBits = brotliBitsOf(raw);
  const modelCodeLength = (mean(args.memberNatsPerToken) * args.scoredTokens) / Math.LN2;
  const high = args.parameters * BITS_PER_PARAMETER.high;
  // The data's information content is at most its best code length; the weights can store at most `high`.
  const dataBits = Math.min(...[gzipBits, brotliBits, modelCodeLength].filter(Number.isFinite));
  return {
    parameters: args.parameters,
    weightsFileBits: args.weightsFileBytes * 8,
    capacityBits: { low: args.parameters * BITS_PER_PARAMETER.low, high },
    trainExamples: args.trainExamples,
    trainBits: { raw: raw.length * 8, gzip: gzipBits, brotli: brotliBits, modelCodeLength },
    capacityBitsPerExample: high / args.trainExamples,
    maxVerbatimFraction: Math.min(1, high / dataBits),
  };
}

/** Brotli's size in bits, or NaN where there is no Brotli encoder (the browser build). */
function brotliBitsOf(raw: Uint8Array): number {
  try {
    return brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 9, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length } }).length * 8;
  } catch {
    return NaN;
  }
}
