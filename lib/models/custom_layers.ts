/**
 * Custom tfjs-layers layers used by the models. Importing this module registers them for (de)serialisation,
 * so `tf.loadLayersModel` can rebuild a saved model (lib/models/io.ts imports it).
 */
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";

type Shape = (number | null)[];
type LayerArgs = { name?: string; trainable?: boolean };

function singleInput(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(inputs) ? inputs[0] : inputs;
}

function singleShape(shape: Shape | Shape[]): Shape {
  return Array.isArray(shape[0]) ? shape[0] as Shape : shape as Shape;
}

/** Arguments of {@link InputNormalization}: per-channel mean and standard deviation of [0, 1] pixels. */
export interface InputNormalizationArgs extends LayerArgs {
  mean: number[];
  std: number[];
}

/**
 * `(x − mean) / std` per channel (last axis). Lives inside the model so that every model takes [0, 1] pixels
 * and attack budgets are in pixel units (docs/method.md §3). The statistics are config, not weights.
 */
export class InputNormalization extends tfl.layers.Layer {
  static className = "InputNormalization";
  readonly mean: number[];
  readonly std: number[];

  constructor(args: InputNormalizationArgs) {
    super(args);
    if (args.mean.length !== args.std.length || args.mean.length === 0) {
      throw new Error(
        `InputNormalization: mean (${args.mean.length}) and std (${args.std.length}) need one value per channel`,
      );
    }
    if (!args.std.every((s) => Number.isFinite(s) && s > 0)) {
      throw new Error(`InputNormalization: std must be positive and finite, got [${args.std}]`);
    }
    this.mean = [...args.mean];
    this.std = [...args.std];
  }

  override build(inputShape: Shape | Shape[]): void {
    const channels = singleShape(inputShape).at(-1);
    if (channels !== this.mean.length) {
      throw new Error(
        `InputNormalization '${this.name}': input has ${channels} channels but mean/std have ${this.mean.length}`,
      );
    }
    super.build(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.div(tf.sub(singleInput(inputs), tf.tensor1d(this.mean)), tf.tensor1d(this.std)));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), mean: this.mean, std: this.std };
  }
}

/** Arguments of {@link ZeroPadShortcut}. */
export interface ZeroPadShortcutArgs extends LayerArgs {
  outChannels: number;
}

/**
 * Parameter-free downsampling shortcut of the CIFAR ResNets (He et al. 2016, option A): keeps every second
 * row and column (`x[:, ::2, ::2, :]`) and zero-pads the channels equally on both sides up to `outChannels`.
 * Needs even height and width.
 */
export class ZeroPadShortcut extends tfl.layers.Layer {
  static className = "ZeroPadShortcut";
  readonly outChannels: number;

  constructor(args: ZeroPadShortcutArgs) {
    super(args);
    this.outChannels = args.outChannels;
  }

  override build(inputShape: Shape | Shape[]): void {
    const [, h, w, c] = singleShape(inputShape);
    if (h == null || w == null || h % 2 !== 0 || w % 2 !== 0) {
      throw new Error(`ZeroPadShortcut '${this.name}': needs even spatial size, got ${h}x${w}`);
    }
    if (c == null || (this.outChannels - c) % 2 !== 0 || this.outChannels < c) {
      throw new Error(
        `ZeroPadShortcut '${this.name}': cannot pad ${c} channels evenly to ${this.outChannels}`,
      );
    }
    super.build(inputShape);
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const [b, h, w] = singleShape(inputShape);
    return [b, h == null ? null : h / 2, w == null ? null : w / 2, this.outChannels];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = singleInput(inputs);
      const [b, h, w, c] = x.shape;
      // Reshape + slice instead of a strided slice: tfjs has gradients for Slice but not StridedSlice. Rank 4
      // only: the gradient of Slice is a Pad, and tfjs-backend-webgpu 4.22 pads rank-6 tensors with zeros.
      // Row pairs × (column pairs · channels): [b·h/2, 2, w/2, 2c]; the even row, even column is [:, 0, :, :c].
      const rows = tf.reshape(x, [b * h / 2, 2, w / 2, 2 * c]);
      const even = tf.reshape(tf.slice(rows, [0, 0, 0, 0], [b * h / 2, 1, w / 2, c]), [b, h / 2, w / 2, c]);
      const side = (this.outChannels - c) / 2;
      return tf.pad(even, [[0, 0], [0, 0], [0, 0], [side, side]]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), outChannels: this.outChannels };
  }
}

tf.serialization.registerClass(InputNormalization);
tf.serialization.registerClass(ZeroPadShortcut);
