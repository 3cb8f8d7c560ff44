/**
 * SGD with momentum and coupled weight decay, in PyTorch's convention (`torch.optim.SGD`, dampening 0, no
 * Nesterov): g ← g + wd·w;  v ← μ·v + g;  w ← w − lr·v. The velocity starts at zero, so the first step is
 * w ← w − lr·(g + wd·w), as in PyTorch. Weight decay applies to every trainable variable (PyTorch's default).
 *
 * The learning rate is an argument of {@link MomentumSgd.step}, so a schedule needs no optimizer state; the
 * velocities are the whole state, exposed for checkpoints.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { momentumSgdUpdate } from "../backends/kernels/fused_sgd.ts";
import { hasSgdInPlace, momentumSgdInPlace } from "../backends/kernels/webgpu_sgd_in_place.ts";

/** Hyper-parameters of {@link MomentumSgd}. */
export interface SgdOptions {
  momentum: number;
  weightDecay: number;
}

/**
 * Momentum SGD over a fixed list of variables: on webgpu updated in place, up to 16 variables a dispatch
 * (lib/backends/kernels/webgpu_sgd_in_place.ts), or with two fused kernels per variable when that kernel is not
 * registered (lib/backends/kernels/fused_sgd.ts); elsewhere as tf ops.
 *
 * @example
 * const sgd = new MomentumSgd(vars, { momentum: 0.9, weightDecay: 1e-4 });
 * const { grads } = tf.variableGrads(lossFn, vars);
 * sgd.step(grads, 0.1);
 * tf.dispose(grads);
 */
export class MomentumSgd {
  readonly variables: readonly tf.Variable[];
  readonly options: SgdOptions;
  readonly #velocity: tf.Variable[];

  constructor(variables: readonly tf.Variable[], options: SgdOptions) {
    const names = new Set(variables.map((v) => v.name));
    if (names.size !== variables.length) throw new Error("MomentumSgd: variable names must be unique");
    this.variables = variables;
    this.options = options;
    // (each velocity the sole owner of its zeros, so that it can be updated in place)
    this.#velocity = variables.map((v) => {
      const zeros = tf.zerosLike(v);
      const velocity = tf.variable(zeros, false, `${v.name}/velocity`);
      zeros.dispose();
      return velocity;
    });
  }

  /**
   * One update with learning rate `lr` (a number, or a float32 scalar tensor, e.g. a step-graph input);
   * `grads` is keyed by variable name (as `tf.variableGrads` returns).
   */
  step(grads: tf.NamedTensorMap, lr: number | tf.Scalar): void {
    const { momentum, weightDecay } = this.options;
    const gs = this.variables.map((w) => {
      const g = grads[w.name];
      if (g === undefined) throw new Error(`MomentumSgd: no gradient for variable '${w.name}'`);
      return g;
    });
    if (hasSgdInPlace()) {
      momentumSgdInPlace(this.variables, this.#velocity, gs, { lr, momentum, weightDecay });
      return;
    }
    tf.tidy(() => {
      this.variables.forEach((w, i) => {
        const [v, wNew] = momentumSgdUpdate(w, this.#velocity[i], gs[i], { lr, momentum, weightDecay });
        this.#velocity[i].assign(v);
        w.assign(wNew);
      });
    });
  }

  /** The velocities, in the order of {@link variables} (live variables: copy before disposing anything). */
  velocities(): readonly tf.Variable[] {
    return this.#velocity;
  }

  /** Replaces the velocities (e.g. from a checkpoint); shapes must match the variables. */
  setVelocities(values: readonly tf.Tensor[]): void {
    if (values.length !== this.#velocity.length) {
      throw new Error(
        `MomentumSgd: ${values.length} velocities given for ${this.#velocity.length} variables`,
      );
    }
    values.forEach((t, i) => {
      if (!tf.util.arraysEqual(t.shape, this.#velocity[i].shape)) {
        throw new Error(
          `MomentumSgd: velocity of '${this.variables[i].name}' has shape [${t.shape}], ` +
            `expected [${this.#velocity[i].shape}]`,
        );
      }
      this.#velocity[i].assign(t);
    });
  }

  /** Frees the velocity variables. */
  dispose(): void {
    tf.dispose(this.#velocity);
  }
}
