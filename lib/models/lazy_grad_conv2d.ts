/**
 * `LazyGradConv2D`: the tfjs-layers Conv2D layer, computing a bias-free, linear, channels-last convolution with
 * the plain `conv2d` op instead of `fused.conv2d`.
 *
 * Why: `fused.conv2d` (which the stock layer always calls) has a custom gradient that computes the input and the
 * filter gradient together, whichever is asked for. An attack, the gradient measurements and PGD training's
 * example generation ask only for ∇ₓ, yet each of their steps paid for every layer's filter gradient too (a
 * third of a PGD step on the cnn, wasm). The `conv2d` op's gradient computes each input's gradient only when
 * the tape needs it. The kernels and their arguments are the same either way — the forward `Conv2D` is the
 * `FusedConv2D` kernel without bias or activation, and both gradients call `Conv2DBackpropInput` and
 * `Conv2DBackpropFilter` alike — so the values are the same bit for bit (tests/lib/models/lazy_grad_conv2d_test.ts).
 *
 * The class is registered with `tf.serialization` under the stock name "Conv2D": models it builds save exactly
 * the stock configuration, and every saved Conv2D loads as this class once this module is imported. Layers with
 * a bias, an activation, channels-first data or another rank run the stock code.
 *
 * @example
 * ```ts
 * const layer = new LazyGradConv2D({ filters: 16, kernelSize: 3, padding: "same", useBias: false });
 * ```
 */
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";

/** Constructor arguments: those of `tfl.layers.conv2d`. */
export type LazyGradConv2DArgs = Parameters<typeof tfl.layers.conv2d>[0];
type StockConv2D = ReturnType<typeof tfl.layers.conv2d>;

// tfjs-layers does not export the class itself, only its factory.
const StockConv2DClass = tfl.layers.conv2d({ filters: 1, kernelSize: 1 }).constructor as
  & (new (args: LazyGradConv2DArgs) => StockConv2D)
  & tf.serialization.SerializableConstructor<StockConv2D>;

/** The protected state of the stock layer that the plain path reads. */
interface ConvState {
  rank: number;
  strides: [number, number];
  padding: string;
  dataFormat: string;
  dilationRate: [number, number];
  activation: { getClassName(): string };
  kernel: tfl.LayerVariable;
  bias: tfl.LayerVariable | null;
}

/** Conv2D whose gradient computes only the gradients the tape asks for (see the module doc). */
export class LazyGradConv2D extends StockConv2DClass {
  /** The stock name: saved configurations stay the stock layer's. */
  static override className = "Conv2D";

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    const s = this as unknown as ConvState;
    const plain = s.rank === 2 && s.bias == null && s.dataFormat === "channelsLast" &&
      s.activation.getClassName() === "linear" && s.padding !== "causal";
    if (!plain) return super.call(inputs, kwargs);
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const kernel = s.kernel.read() as tf.Tensor4D;
      return tf.conv2d(x, kernel, s.strides, s.padding === "same" ? "same" : "valid", "NHWC", s.dilationRate);
    });
  }
}
tf.serialization.registerClass(LazyGradConv2D);
