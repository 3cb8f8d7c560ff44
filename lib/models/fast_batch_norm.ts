/**
 * `FastBatchNormalization`: the tfjs-layers BatchNormalization layer whose training path is one custom-gradient
 * op, instead of `moments()` + `FusedBatchNorm` + autodiff through the moments (about ten full-size passes).
 *
 * Forward (training): y = (x − mean)·γ·rstd + β with batch statistics.
 * Backward, with M elements per channel, xc = x − mean, S1 = Σ dy, S2 = Σ dy·xc:
 * dx = γ·rstd·(dy − S1/M − xc·rstd²·S2/M), dγ = rstd·S2, dβ = S1.
 *
 * When the active backend has our batch-norm kernels (webgpu, see webgpu_batch_norm.ts), the forward pass, the
 * backward pass and the moving-statistics update run as our dedicated kernels (on webgpu both moving statistics
 * are updated in place by one dispatch); elsewhere as tf ops.
 *
 * Inference, the moving-statistics formula and the saved config are the stock layer's. Only channels-last with
 * both γ and β is fused; any other configuration runs the stock layer code. The class is registered with
 * `tf.serialization` as "FastBatchNormalization", so saved models that use it load back with
 * `tfl.loadLayersModel` once this module is imported.
 */
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import {
  BN_APPLY,
  BN_GRAD_INPUT,
  BN_GRAD_REDUCE,
  BN_STATS,
  hasBatchNormKernels,
  MOVING_AVERAGE,
  MOVING_AVERAGES_IN_PLACE,
} from "../backends/kernels/webgpu_batch_norm.ts";
import { makeSoleOwners } from "../backends/webgpu/whole_program.ts";

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

const run = (name: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap = {}) =>
  tf.engine().runKernel(name, inputs, attrs) as tf.Tensor;
/** {@link run} for a kernel with several outputs. */
const runMany = (name: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap = {}) =>
  tf.engine().runKernel(name, inputs, attrs) as tf.Tensor[];

/** {@link fusedBatchNormTrain} on our dedicated kernels; the statistics come back as one [2, C] tensor. */
function kernelBatchNormTrain(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number) {
  let stats: tf.Tensor | null = null;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xIn, g, b] = args as tf.Tensor[];
    const save = args[3] as tf.GradSaveFunc;
    stats = tf.keep(run(BN_STATS, { x: xIn }));
    save([xIn, stats, g]);
    return {
      value: run(BN_APPLY, { x: xIn, stats, gamma: g, beta: b }, { epsilon }),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], [xS, statsS, gS]: tf.Tensor[]) => {
        const d = dy as tf.Tensor;
        const [dbeta, dgamma] = runMany(BN_GRAD_REDUCE, { dy: d, x: xS, stats: statsS }, { epsilon });
        const dx = run(BN_GRAD_INPUT, { dy: d, x: xS, stats: statsS, gamma: gS, dgamma, dbeta }, { epsilon });
        return [dx, dgamma, dbeta];
      },
    };
  });
  const y = op(x, gamma, beta);
  return { y, stats: stats! as tf.Tensor };
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
    if (hasBatchNormKernels()) {
      return tf.tidy(() => {
        const { y, stats } = kernelBatchNormTrain(x, gamma.read(), beta.read(), s.epsilon);
        if (tf.getKernel(MOVING_AVERAGES_IN_PLACE, tf.getBackend())) {
          const [mean, variance] = [s.movingMean.read(), s.movingVariance.read()] as tf.Variable[];
          makeSoleOwners([mean, variance]);
          tf.engine().runKernel(MOVING_AVERAGES_IN_PLACE, { mean, variance, stats }, {
            momentum: s.momentum,
          });
        } else {
          [s.movingMean, s.movingVariance].forEach((variable, row) => {
            variable.write(
              run(MOVING_AVERAGE, { old: variable.read(), stats }, { row, momentum: s.momentum }),
            );
          });
        }
        stats.dispose();
        return y;
      });
    }
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
