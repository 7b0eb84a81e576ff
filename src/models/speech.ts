// A speech recogniser with a CTC output (Graves et al. 2006): log-mel frames read as a one-channel image
// [time, 40 mel bins], 3x3 convolutions that halve time and frequency twice (40 ms per output frame), two
// more 3x3 convolutions there, then per output frame a hidden layer over the flattened bins and channels,
// residual temporal convolutions (3 frames each, a 1-pixel-wide image for the same 3x3 kernel; each widens
// the context by 80 ms) that also see the mean of their input over the utterance (global context, as in
// ContextNet, Han et al. 2020), and logits over CTC's blank plus the characters. It writes any word, not one
// of a fixed list.
import { deriveSeed, ops, tensor, tidy, type Tensor, type Variable } from '../engine/index.js';
import { ConfigError } from '../errors.js';
import { MEL_BINS } from '../codecs/logMel.js';
import type { Standardisation } from '../data/speech.js';
import { BLANK, CTC_VOCAB_SIZE } from '../codecs/ctcAlphabet.js';
import { heInitParams, type LossOptions, type Params, type TrainableModel } from './model.js';

export interface SpeechConfig {
  /** Channels of the two downsampling convolution blocks. */
  readonly channels: readonly [number, number];
  readonly hidden: number;
  /** Residual temporal convolutions over the hidden frames. */
  readonly contextLayers: number;
  /** Each temporal convolution also sees the mean of its input over the utterance (ContextNet's global context). */
  readonly globalContext: boolean;
  /**
   * Training only, as dropout is: the largest vocal tract warp drawn per utterance (0.1: formants moved by
   * up to 10% either way; 0: none). Kept in the config so a weights file says how it was trained.
   */
  readonly voiceWarp: number;
  /**
   * What the features are standardised over: each utterance, or every utterance of a speaker (then a
   * recording heard alone is its own speaker). Files from before this setting: 'utterance'.
   */
  readonly standardiseOver: Standardisation;
  /**
   * Training only, as the warp is: the share of utterances trimmed close at the start (cut up to the first
   * frame within 15-40 dB of the loudest, as some recordings are; a quiet first consonant goes). Files from before: 0.
   */
  readonly closeTrims: number;
  /** Training only: SpecAugment masks per utterance, this many frequency bands and this many stretches of time. */
  readonly masks: number;
  /** Training only: the rate at which the hidden frames and each temporal layer's output are dropped. */
  readonly dropout: number;
  readonly vocabSize: number;
}

export const SPEECH_DEFAULTS: Omit<SpeechConfig, 'vocabSize'> = { channels: [32, 64], hidden: 128, contextLayers: 2, globalContext: true, voiceWarp: 0.1, standardiseOver: 'speaker', closeTrims: 0.5, masks: 1, dropout: 0.2 };
/** Input frames per output frame. */
export const TIME_REDUCTION = 4;

export interface SpeechBatch {
  readonly batchSize: number;
  /** Input frames per example after padding (a multiple of TIME_REDUCTION). */
  readonly time: number;
  /** Log-mel features [batch, time, MEL_BINS], zero-padded. */
  readonly features: Float32Array;
  /** Valid output frames per example. */
  readonly outputFrames: Int32Array;
  readonly labels: readonly Int32Array[];
}

export function speechParamShapes(c: SpeechConfig): [string, number[]][] {
  const [c0, c1] = c.channels;
  const flat = (MEL_BINS / TIME_REDUCTION) * c1;
  return [
    ['conv0.weight', [9, c0]], ['conv0.bias', [c0]], ['conv1.weight', [9 * c0, c1]], ['conv1.bias', [c1]],
    ['conv2.weight', [9 * c1, c1]], ['conv2.bias', [c1]], ['conv3.weight', [9 * c1, c1]], ['conv3.bias', [c1]],
    ['frame.weight', [flat, c.hidden]], ['frame.bias', [c.hidden]],
    ...Array.from({ length: c.contextLayers }, (_, i): [string, number[]][] => [
      [`time${i}.weight`, [9 * c.hidden, c.hidden]], [`time${i}.bias`, [c.hidden]], ...(c.globalContext ? [[`time${i}.global`, [c.hidden, c.hidden]] as [string, number[]]] : []),
    ]).flat(),
    ['head.weight', [c.hidden, c.vocabSize]], ['head.bias', [c.vocabSize]],
  ];
}

export class SpeechModel implements TrainableModel<SpeechBatch> {
  readonly kind = 'speech-ctc';

  constructor(readonly config: SpeechConfig, readonly params: Params) {
    if (config.vocabSize !== CTC_VOCAB_SIZE) throw new ConfigError(`a speech model writes ${CTC_VOCAB_SIZE} symbols, not ${config.vocabSize}`);
  }

  static init(config: SpeechConfig, seed: number): SpeechModel {
    // Every weight starts random: a residual branch that ends in a ReLU would never leave zero (ReLU's gradient at 0 is 0).
    return new SpeechModel(config, heInitParams(speechParamShapes(config), seed, (name) => name.endsWith('.weight') || name.endsWith('.global')));
  }

  private p(name: string): Variable {
    return this.params.get(name)!;
  }

  private conv(x: Tensor, name: string): Tensor {
    return ops.relu(ops.add(ops.conv3x3(x, this.p(`${name}.weight`)), this.p(`${name}.bias`)));
  }

  /**
   * Logits [batch * time / TIME_REDUCTION, vocab] for a batch of log-mel features; `outputFrames` says how many
   * output frames of each example are speech rather than padding (all, when not given).
   */
  logits(features: Float32Array, batch: number, time: number, outputFrames?: Int32Array, options?: LossOptions): Tensor {
    if (time % TIME_REDUCTION !== 0) throw new Error(`speech: ${time} frames is not a multiple of ${TIME_REDUCTION}`);
    const [, c1] = this.config.channels;
    const T = time / TIME_REDUCTION;
    const rate = options?.training ? this.config.dropout : 0;
    const drop = (x: Tensor, site: string, layer = 0) => (rate > 0 ? ops.dropout(x, rate, deriveSeed(options!.seed, site, layer)) : x);
    return tidy(() => {
      // Padding is zeroed after every layer, as a convolution's own edge is, so a recording is heard the same
      // alone or batched with longer ones (otherwise activations computed on padding reach its last frames).
      const masks = new Map<number, Tensor>();
      const speech = (x: Tensor, scale: number) => {
        if (!outputFrames) return x;
        if (!masks.has(scale)) masks.set(scale, speechFrameMask(batch, T, outputFrames, scale));
        return ops.mul(x, masks.get(scale)!);
      };
      let x = tensor(features, [batch, time, MEL_BINS, 1]);
      x = ops.avgPool2(speech(this.conv(x, 'conv0'), 4));
      x = ops.avgPool2(speech(this.conv(x, 'conv1'), 2));
      x = speech(this.conv(speech(this.conv(x, 'conv2'), 1), 'conv3'), 1); // [B, T, MEL_BINS / 4, c1]
      let h = ops.relu(ops.add(ops.matMul(ops.reshape(x, [batch * T, (MEL_BINS / TIME_REDUCTION) * c1]), this.p('frame.weight')), this.p('frame.bias')));
      h = ops.reshape(speech(ops.reshape(drop(h, 'frame'), [batch, T, 1, this.config.hidden]), 1), [batch * T, this.config.hidden]);
      const H = this.config.hidden;
      const meanWeights = this.config.globalContext ? utteranceMeanWeights(batch, T, outputFrames) : undefined;
      for (let layer = 0; layer < this.config.contextLayers; layer++) {
        const name = `time${layer}`;
        let local = ops.reshape(ops.add(ops.conv3x3(ops.reshape(h, [batch, T, 1, H]), this.p(`${name}.weight`)), this.p(`${name}.bias`)), [batch, T, H]);
        if (meanWeights) {
          // Spelling a word takes more than 3 frames of sound: the utterance's mean tells every frame which word it is in.
          const utteranceMean = ops.sum(ops.mul(ops.reshape(h, [batch, T, H]), meanWeights), 1);
          local = ops.add(local, ops.reshape(ops.matMul(utteranceMean, this.p(`${name}.global`)), [batch, 1, H]));
        }
        h = ops.add(h, drop(ops.reshape(speech(ops.reshape(ops.relu(local), [batch, T, 1, H]), 1), [batch * T, H]), 'time', layer));
      }
      return ops.add(ops.matMul(h, this.p('head.weight')), this.p('head.bias'));
    });
  }

  /** CTC loss per example, per label (so long and short transcripts weigh alike): [batch]. */
  exampleLosses(batch: SpeechBatch, options?: LossOptions): Tensor {
    return tidy(() => {
      const logits = this.logits(batch.features, batch.batchSize, batch.time, batch.outputFrames, options);
      const losses = ops.ctcLoss(logits, batch.batchSize, batch.time / TIME_REDUCTION, batch.outputFrames, batch.labels, BLANK);
      return ops.mul(losses, tensor(batch.labels.map((l) => 1 / Math.max(1, l.length)), [batch.batchSize]));
    });
  }

  loss(batch: SpeechBatch, options: LossOptions): Tensor {
    return tidy(() => ops.mean(this.exampleLosses(batch, options)));
  }

  dispose(): void {
    for (const p of this.params.values()) p.dispose();
  }
}

/** [batch, T, 1]: 1 / frames for each example's speech frames, 0 for its padding, so a weighted sum is a mean. */
function utteranceMeanWeights(batch: number, T: number, outputFrames: Int32Array | undefined): Tensor {
  const weights = new Float32Array(batch * T);
  for (let b = 0; b < batch; b++) {
    const frames = Math.min(T, outputFrames?.[b] ?? T);
    weights.fill(1 / frames, b * T, b * T + frames);
  }
  return tensor(weights, [batch, T, 1]);
}

/** [batch, T * scale, 1, 1]: 1 on each example's speech frames at `scale` input frames per output frame, 0 on padding. */
function speechFrameMask(batch: number, T: number, outputFrames: Int32Array, scale: number): Tensor {
  const mask = new Float32Array(batch * T * scale);
  for (let b = 0; b < batch; b++) mask.fill(1, b * T * scale, b * T * scale + Math.min(T, outputFrames[b]) * scale);
  return tensor(mask, [batch, T * scale, 1, 1]);
}
