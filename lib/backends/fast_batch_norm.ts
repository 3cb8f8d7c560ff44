/**
 * `FastBatchNormalization`: the tfjs-layers BatchNormalization layer whose training path is one custom-gradient
 * op, instead of `moments()` + `FusedBatchNorm` + autodiff through the moments (about ten full-size passes).
 *
 * Forward (training): y = (x − mean)·γ·rstd + β with batch statistics.
 * Backward, with M elements per channel, xc = x − mean, S1 = Σ dy, S2 = Σ dy·xc:
 * dx = γ·rstd·(dy − S1/M − xc·rstd²·S2/M), dγ = rstd·S2, dβ = S1.
 *
 * Inference, the moving-statistics update and the saved config are the stock layer's. Only channels-last with
 * both γ and β is fused; any other configuration runs the stock layer code. The class is registered with
 * `tf.serialization` as "FastBatchNormalization", so saved models that use it load back with
 * `tfl.loadLayersModel` once this module is imported.
 */
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";

/** Constructor arguments: those of `tfl.layers.batchNormalization`. */
export type FastBatchNormalizationArgs = NonNullable<Parameters<typeof tfl.layers.batchNormalization>[0]>;
type StockBatchNormalization = ReturnType<typeof tfl.layers.batchNormalization>;

// tfjs-layers does not export the class itself, only its factory.
const StockBatchNormalizationClass = tfl.layers.batchNormalization().constructor as
  & (new (args?: FastBatchNormalizationArgs) => StockBatchNormalization)
  & tf.serialization.SerializableConstructor<StockBatchNormalization>;

/** The private state of the stock layer that the fused path reads and updates. */
interface BatchNormState {
  axis: number;
  momentum: number;
  epsilon: number;
  gamma: tfl.LayerVariable | null;
  beta: tfl.LayerVariable | null;
  movingMean: tfl.LayerVariable;
  movingVariance: tfl.LayerVariable;
}

/** Training-mode batch norm over all axes but the last, as one op; also returns the batch statistics. */
function fusedBatchNormTrain(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number) {
  const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
  const m = x.size / x.shape[x.rank - 1];
  const stats: tf.Tensor[] = [];
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xIn, g, b] = args as tf.Tensor[];
    const save = args[3] as tf.GradSaveFunc;
    const mean = tf.mean(xIn, axes);
    const xc = tf.sub(xIn, mean);
    const variance = tf.mean(tf.square(xc), axes);
    const rstd = tf.rsqrt(tf.add(variance, epsilon));
    save([xc, rstd, g]);
    stats.push(tf.keep(mean), tf.keep(variance));
    return {
      value: tf.add(tf.mul(xc, tf.mul(rstd, g)), b),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], [xcS, rstdS, gS]: tf.Tensor[]) => {
        const d = dy as tf.Tensor;
        const s1 = tf.sum(d, axes);
        const s2 = tf.sum(tf.mul(d, xcS), axes);
        const centred = tf.sub(d, tf.div(s1, m));
        const dx = tf.mul(
          tf.sub(centred, tf.mul(xcS, tf.mul(tf.square(rstdS), tf.div(s2, m)))),
          tf.mul(gS, rstdS),
        );
        return [dx, tf.mul(rstdS, s2), s1];
      },
    };
  });
  const y = op(x, gamma, beta);
  return { y, mean: stats[0], variance: stats[1] };
}

/**
 * Drop-in replacement for `tfl.layers.batchNormalization` with a fused training path.
 *
 * @example
 * const bn = new FastBatchNormalization({ momentum: 0.9, epsilon: 1e-5 });
 * const y = bn.apply(convOut) as tfl.SymbolicTensor;
 */
export class FastBatchNormalization extends StockBatchNormalizationClass {
  /** The class name in saved model topologies. */
  static override className = "FastBatchNormalization";

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    const s = this as unknown as BatchNormState;
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const channelsLast = s.axis === -1 || s.axis === x.rank - 1;
    if (!kwargs.training || !channelsLast || !s.gamma || !s.beta) return super.call(inputs, kwargs);
    const { gamma, beta } = s;
    return tf.tidy(() => {
      const { y, mean, variance } = fusedBatchNormTrain(x, gamma.read(), beta.read(), s.epsilon);
      for (const [variable, batchValue] of [[s.movingMean, mean], [s.movingVariance, variance]] as const) {
        const old = variable.read();
        variable.write(tf.sub(old, tf.mul(tf.sub(old, batchValue), 1 - s.momentum)));
      }
      tf.dispose([mean, variance]);
      return y;
    });
  }
}
tf.serialization.registerClass(FastBatchNormalization);
