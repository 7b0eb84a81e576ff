// The GPT's architecture as a typed config with defaults; CLI flags override it and the weights file keeps it.
export interface GptConfig {
  /** Tokens in the vocabulary (set from the tokenizer, not a flag). */
  readonly vocabSize: number;
  /** Longest context the model attends over. */
  readonly blockSize: number;
  readonly nLayer: number;
  readonly nHead: number;
  /** Width of the residual stream. */
  readonly nEmbd: number;
  readonly dropout: number;
}

export const GPT_DEFAULTS: Omit<GptConfig, 'vocabSize'> = {
  blockSize: 128,
  nLayer: 4,
  nHead: 4,
  nEmbd: 128,
  dropout: 0.1,
};
