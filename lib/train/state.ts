/**
 * The complete state of a training run at an epoch boundary, as plain typed arrays: every model weight
 * (trainable and batch-norm moving statistics), the optimizer velocities, the number of finished epochs and
 * the history so far. Restoring it and training on gives the same weights as never having stopped, because
 * every epoch's randomness is derived from (seed, epoch) alone (see batches.ts).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import type { MomentumSgd } from "./sgd.ts";

/** One saved tensor. */
export interface NamedArray {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** Per-epoch record of a training run (also the rows of curves.json). */
export interface EpochRecord {
  /** 1-based epoch number. */
  epoch: number;
  lr: number;
  /** Mean over the epoch's batches of CE − α·μ_SI. */
  loss: number;
  /** Mean minibatch cross-entropy. */
  ce: number;
  /** Mean minibatch μ_SI (training mode, augmented batches). */
  train_mean_si: number;
  /** Accuracy on the augmented training batches, in training mode. */
  acc: number;
  /** Validation accuracy, loss and μ_SI (inference mode); null without a validation split. */
  val_acc: number | null;
  val_loss: number | null;
  val_mean_si: number | null;
  /** Images per second of the epoch's training: each batch's preparation (augmentation, a method's examples) and
   * step; the validation pass excluded. */
  images_per_sec: number;
}

/** Everything needed to continue a run after `epochsDone` epochs. */
export interface TrainState {
  epochsDone: number;
  weights: NamedArray[];
  velocities: NamedArray[];
  history: EpochRecord[];
  /** Seconds and images of training steps so far (for throughput over resumed runs). */
  trainSeconds: number;
  trainImages: number;
}

// Original (unsuffixed) names: tfjs-layers appends _1, _2 … to variable names when a model is built twice in
// one process, but the layer/weight names of our models are fixed.
function weightNames(model: tfl.LayersModel): string[] {
  return model.weights.map((w) => w.originalName);
}

/** Names of the trainable weights, in the order of `model.trainableWeights` (= the optimizer's variables). */
function trainableNames(model: tfl.LayersModel): string[] {
  return model.trainableWeights.map((w) => w.originalName);
}

async function toArrays(names: string[], tensors: readonly tf.Tensor[]): Promise<NamedArray[]> {
  return await Promise.all(tensors.map(async (t, i) => ({
    name: names[i],
    shape: [...t.shape],
    data: new Float32Array(await t.data()),
  })));
}

/**
 * Reads the current weights and velocities into a {@link TrainState}. `sgd` must optimise
 * `model.trainableWeights` in that order.
 */
export async function captureState(
  model: tfl.LayersModel,
  sgd: MomentumSgd,
  progress: Omit<TrainState, "weights" | "velocities">,
): Promise<TrainState> {
  const values = model.getWeights();
  const weights = await toArrays(weightNames(model), values);
  const velocities = await toArrays(trainableNames(model), sgd.velocities());
  return { ...progress, history: progress.history.map((r) => ({ ...r })), weights, velocities };
}

function checkNames(kind: string, saved: NamedArray[], expected: string[]): void {
  const got = saved.map((s) => s.name);
  if (got.length !== expected.length || got.some((n, i) => n !== expected[i])) {
    throw new Error(
      `checkpoint ${kind} do not match the model: saved [${got.join(", ")}], model has [${
        expected.join(", ")
      }]`,
    );
  }
}

/** Puts a {@link TrainState}'s weights and velocities back into `model` and `sgd`. */
export function restoreState(model: tfl.LayersModel, sgd: MomentumSgd, state: TrainState): void {
  checkNames("weights", state.weights, weightNames(model));
  checkNames("velocities", state.velocities, trainableNames(model));
  const weights = state.weights.map((w) => tf.tensor(w.data, w.shape, "float32"));
  const velocities = state.velocities.map((w) => tf.tensor(w.data, w.shape, "float32"));
  try {
    model.setWeights(weights);
    sgd.setVelocities(velocities);
  } finally {
    tf.dispose([...weights, ...velocities]);
  }
}
