// image -> tags: a small CNN (3x3 convolutions with ReLU, 2x2 average pooling after each, global average
// pooling, one linear head). Multi-label (independent sigmoids, for emoji tags) or single-label (softmax,
// for digits). Trained by the same trainer as the GPT through TrainableModel.
import { ops, tensor, tidy, type Tensor, type Variable } from '../engine/index.js';
import { ConfigError } from '../errors.js';
import { heInitParams, type LossOptions, type Params, type TrainableModel } from './model.js';

export interface TaggerConfig {
  readonly imageSize: number;
  /** Output channels of each convolution block; the image halves after each. */
  readonly channels: readonly number[];
  readonly numTags: number;
  /** True: any number of tags per image (sigmoid); false: exactly one (softmax). */
  readonly multiLabel: boolean;
}

export const TAGGER_DEFAULTS: Omit<TaggerConfig, 'numTags' | 'multiLabel'> = { imageSize: 32, channels: [32, 64, 128] };

/** Images and their target tags. */
export interface ImageBatch {
  readonly batchSize: number;
  readonly pixels: Float32Array; // [batch * size * size * 3]
  readonly targets: Float32Array; // [batch * numTags], multi-hot or one-hot
}

export function taggerParamShapes(c: TaggerConfig): [string, number[]][] {
  const shapes: [string, number[]][] = [];
  let cIn = 3;
  c.channels.forEach((cOut, i) => {
    shapes.push([`conv${i}.weight`, [9 * cIn, cOut]], [`conv${i}.bias`, [cOut]]);
    cIn = cOut;
  });
  shapes.push(['head.weight', [cIn, c.numTags]], ['head.bias', [c.numTags]]);
  return shapes;
}

export class Tagger implements TrainableModel<ImageBatch> {
  readonly kind = 'tagger';

  constructor(readonly config: TaggerConfig, readonly params: Params) {
    if (config.imageSize % 2 ** config.channels.length !== 0) {
      throw new ConfigError(`image size ${config.imageSize} must be divisible by 2^${config.channels.length} (one halving per block)`);
    }
  }

  static init(config: TaggerConfig, seed: number): Tagger {
    return new Tagger(config, heInitParams(taggerParamShapes(config), seed, (name) => name.endsWith('.weight')));
  }

  private p(name: string): Variable {
    return this.params.get(name)!;
  }

  /** Tag logits [batch, numTags]. */
  logits(pixels: Float32Array, batchSize: number): Tensor {
    const s = this.config.imageSize;
    return tidy(() => {
      let x = tensor(pixels, [batchSize, s, s, 3]);
      this.config.channels.forEach((_, i) => {
        const conv = ops.add(ops.conv3x3(x, this.p(`conv${i}.weight`)), this.p(`conv${i}.bias`));
        x = ops.avgPool2(ops.relu(conv));
      });
      const pooled = ops.mean(x, [1, 2]); // global average pool: [B, C]
      return ops.add(ops.matMul(pooled, this.p('head.weight')), this.p('head.bias'));
    });
  }

  /** Per-image loss [batch]: binary cross-entropy summed over tags, or softmax cross-entropy. */
  exampleLosses(batch: ImageBatch): Tensor {
    return tidy(() => {
      const z = this.logits(batch.pixels, batch.batchSize);
      const y = tensor(batch.targets, [batch.batchSize, this.config.numTags]);
      if (!this.config.multiLabel) return ops.neg(ops.sum(ops.mul(ops.logSoftmax(z), y), -1));
      // Stable BCE with logits: max(z, 0) - z y + log(1 + exp(-|z|)).
      const bce = ops.add(ops.sub(ops.relu(z), ops.mul(z, y)), ops.log1p(ops.exp(ops.neg(ops.abs(z)))));
      return ops.sum(bce, -1);
    });
  }

  loss(batch: ImageBatch, _options: LossOptions): Tensor {
    return tidy(() => ops.mean(this.exampleLosses(batch)));
  }

  /** Tag probabilities [batch * numTags]. */
  predict(pixels: Float32Array, batchSize: number): Float32Array {
    return tidy(() => {
      const z = this.logits(pixels, batchSize);
      return (this.config.multiLabel ? ops.sigmoid(z) : ops.softmax(z)).toArray();
    });
  }

  dispose(): void {
    for (const p of this.params.values()) p.dispose();
  }
}
