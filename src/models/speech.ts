// A speech recogniser with a CTC output (Graves et al. 2006): log-mel frames read as a one-channel image
// [time, 40 mel bins], 3x3 convolutions that halve time and frequency twice (40 ms per output frame), two
// more 3x3 convolutions there, then per output frame a hidden layer over the flattened bins and channels,
// residual temporal convolutions (3 frames each, a 1-pixel-wide image for the same 3x3 kernel; each widens
// the context by 80 ms), and logits over CTC's blank plus the characters. It writes any word, not one of a fixed list.
import { ops, tensor, tidy, type Tensor, type Variable } from '../engine/index.js';
import { ConfigError } from '../errors.js';
import { MEL_BINS } from '../codecs/logMel.js';
import { BLANK, CTC_VOCAB_SIZE } from '../codecs/ctcAlphabet.js';
import { heInitParams, type LossOptions, type Params, type TrainableModel } from './model.js';

export interface SpeechConfig {
  /** Channels of the two downsampling convolution blocks. */
  readonly channels: readonly [number, number];
  readonly hidden: number;
  /** Residual temporal convolutions over the hidden frames. */
  readonly contextLayers: number;
  readonly vocabSize: number;
}

export const SPEECH_DEFAULTS: Omit<SpeechConfig, 'vocabSize'> = { channels: [32, 64], hidden: 128, contextLayers: 2 };
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
    ...Array.from({ length: c.contextLayers }, (_, i): [string, number[]][] => [[`time${i}.weight`, [9 * c.hidden, c.hidden]], [`time${i}.bias`, [c.hidden]]]).flat(),
    ['head.weight', [c.hidden, c.vocabSize]], ['head.bias', [c.vocabSize]],
  ];
}

export class SpeechModel implements TrainableModel<SpeechBatch> {
  readonly kind = 'speech-ctc';

  constructor(readonly config: SpeechConfig, readonly params: Params) {
    if (config.vocabSize !== CTC_VOCAB_SIZE) throw new ConfigError(`a speech model writes ${CTC_VOCAB_SIZE} symbols, not ${config.vocabSize}`);
  }

  static init(config: SpeechConfig, seed: number): SpeechModel {
    // The residual temporal convolutions start as a no-op (zeros), so the model starts as a plain CNN.
    return new SpeechModel(config, heInitParams(speechParamShapes(config), seed, (name) => name.endsWith('.weight') && !name.startsWith('time')));
  }

  private p(name: string): Variable {
    return this.params.get(name)!;
  }

  private conv(x: Tensor, name: string): Tensor {
    return ops.relu(ops.add(ops.conv3x3(x, this.p(`${name}.weight`)), this.p(`${name}.bias`)));
  }

  /** Logits [batch * time / TIME_REDUCTION, vocab] for a batch of log-mel features. */
  logits(features: Float32Array, batch: number, time: number): Tensor {
    if (time % TIME_REDUCTION !== 0) throw new Error(`speech: ${time} frames is not a multiple of ${TIME_REDUCTION}`);
    const [, c1] = this.config.channels;
    const T = time / TIME_REDUCTION;
    return tidy(() => {
      let x = tensor(features, [batch, time, MEL_BINS, 1]);
      x = ops.avgPool2(this.conv(x, 'conv0'));
      x = ops.avgPool2(this.conv(x, 'conv1'));
      x = this.conv(this.conv(x, 'conv2'), 'conv3'); // [B, T, MEL_BINS / 4, c1]
      let h = ops.relu(ops.add(ops.matMul(ops.reshape(x, [batch * T, (MEL_BINS / TIME_REDUCTION) * c1]), this.p('frame.weight')), this.p('frame.bias')));
      for (let layer = 0; layer < this.config.contextLayers; layer++) {
        const name = `time${layer}`;
        const column = ops.reshape(h, [batch, T, 1, this.config.hidden]);
        const context = ops.relu(ops.add(ops.conv3x3(column, this.p(`${name}.weight`)), this.p(`${name}.bias`)));
        h = ops.add(h, ops.reshape(context, [batch * T, this.config.hidden]));
      }
      return ops.add(ops.matMul(h, this.p('head.weight')), this.p('head.bias'));
    });
  }

  /** CTC loss per example, per label (so long and short transcripts weigh alike): [batch]. */
  exampleLosses(batch: SpeechBatch): Tensor {
    return tidy(() => {
      const logits = this.logits(batch.features, batch.batchSize, batch.time);
      const losses = ops.ctcLoss(logits, batch.batchSize, batch.time / TIME_REDUCTION, batch.outputFrames, batch.labels, BLANK);
      return ops.mul(losses, tensor(batch.labels.map((l) => 1 / Math.max(1, l.length)), [batch.batchSize]));
    });
  }

  loss(batch: SpeechBatch, _options: LossOptions): Tensor {
    return tidy(() => ops.mean(this.exampleLosses(batch)));
  }

  dispose(): void {
    for (const p of this.params.values()) p.dispose();
  }
}
