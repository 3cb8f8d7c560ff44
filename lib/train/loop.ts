/**
 * The training loop: minibatch SGD with momentum on `L = CE − α·μ_SI` (docs/method.md §2), where μ_SI is the
 * differentiable class selectivity of the current minibatch over the model's selectivity layers, computed in
 * the same training-mode forward pass as the logits. Per epoch: seeded shuffle and augmentation, learning rate
 * from the schedule, then validation accuracy, loss and μ_SI in inference mode, then the `onEpoch` hook (the
 * stage writes its checkpoint there).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import type { PreparedSplit } from "../data/prepared.ts";
import { withSelectivityOutputs } from "../models/multi_output.ts";
import type { BuiltModel } from "../models/registry.ts";
import { deriveSeed, Rng } from "../random.ts";
import { regularizedLoss } from "../selectivity/minibatch.ts";
import type { LayerGrouping } from "../selectivity/si.ts";
import {
  type Augmentation,
  type Batch,
  batchIndices,
  batchTensors,
  epochOrder,
  makeBatch,
} from "../data/batches.ts";
import { evaluateSplit, NonFiniteOutputsError } from "./evaluate.ts";
import { GraphStepper, type GraphStepStats } from "./graph_steps.ts";
import { learningRateAt, type LrSchedule } from "./schedule.ts";
import { MomentumSgd } from "./sgd.ts";
import { applyMethod, type TrainMethod } from "./methods.ts";
import { captureState, type EpochRecord, restoreState, type TrainState } from "./state.ts";
import { WEBGPU_BACKEND } from "../backends/webgpu/name.ts";

/** Hyper-parameters of {@link trainModel}. */
export interface TrainConfig {
  epochs: number;
  batchSize: number;
  /** Base learning rate. */
  lr: number;
  schedule: LrSchedule;
  momentum: number;
  weightDecay: number;
  /** Regularizer strength: > 0 encourages selectivity, < 0 discourages it, 0 is plain CE. */
  alpha: number;
  /** Seeds shuffling and augmentation (model init is seeded when the model is built). */
  seed: number;
  augmentation: Augmentation;
  evalBatchSize: number;
  /** ε of the selectivity index. */
  siEpsilon: number;
  /** How selectivity layers are averaged, in the regularizer and in evaluation. */
  siGrouping: LayerGrouping;
  /**
   * Steps between reads of the loss from the device (default 1). Above 1, a GPU backend queues that many steps
   * without waiting; the divergence check then runs on each group of steps, so up to that many − 1 updates may
   * follow a diverged step before training stops (it still stops before any checkpoint or result is written).
   * With 1, a diverged step is caught before its update.
   */
  lossReadEvery?: number;
  /**
   * webgpu only: run steps through step graphs (lib/train/graph_steps.ts) — the same numbers, bit for bit,
   * without tfjs's per-kernel CPU cost. The loss is then read in groups of `lossReadEvery` steps while the
   * next group runs, so a diverged step is caught up to 2 × `lossReadEvery` − 1 updates late (still before
   * any checkpoint or result is written).
   */
  stepGraphs?: boolean;
  /** Robustness-training method applied to each minibatch (lib/train/methods.ts); default standard. */
  method?: TrainMethod;
}

/** Progress of one training step, for progress bars. */
export interface BatchProgress {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  loss: number;
}

/** Callbacks of {@link trainModel}. */
export interface TrainHooks {
  /** After each step. */
  onBatch?(progress: BatchProgress): void;
  /** After each epoch, with the full state (awaited; a thrown error stops training). */
  onEpoch?(state: TrainState, record: EpochRecord): Promise<void> | void;
}

/** Thrown when the loss or the minibatch selectivity becomes NaN or infinite. */
export class TrainingDivergedError extends Error {
  constructor(
    readonly epoch: number,
    readonly batch: number,
    readonly loss: number,
    readonly crossEntropy: number,
    readonly meanSI: number,
    config: TrainConfig,
  ) {
    super(
      `training diverged at epoch ${epoch}, batch ${batch}: loss ${loss} (cross-entropy ${crossEntropy}, ` +
        `minibatch mean SI ${meanSI}) with lr ${config.lr}, alpha ${config.alpha}, batch size ` +
        `${config.batchSize}. Try a lower learning rate (train.lr), a smaller |alpha|, or a larger batch ` +
        `(train.batch_size); check that the input data is sane (no NaN pixels).`,
    );
    this.name = "TrainingDivergedError";
  }
}

/** Thrown when the weights after an epoch give NaN or infinite outputs although every step's loss was finite. */
export class WeightsDivergedError extends Error {
  constructor(readonly epoch: number, cause: NonFiniteOutputsError, config: TrainConfig) {
    super(
      `training diverged in epoch ${epoch}: ${cause.message} (lr ${config.lr}, alpha ${config.alpha}, batch ` +
        `size ${config.batchSize}). The per-step loss check sees each loss before its update, so the last ` +
        `updates broke the weights unseen. Try a lower learning rate (train.lr), a smaller |alpha|, or a ` +
        `larger batch (train.batch_size).`,
    );
    this.name = "WeightsDivergedError";
  }
}

/** Throws {@link TrainingDivergedError} unless a step's loss, cross-entropy and μ_SI are finite. */
function assertFiniteTerms(
  terms: ArrayLike<number>,
  epoch: number,
  batch: number,
  config: TrainConfig,
): void {
  for (let i = 0; i < 3; i++) {
    if (!Number.isFinite(terms[i])) {
      throw new TrainingDivergedError(epoch, batch, terms[0], terms[1], terms[2], config);
    }
  }
}

/** The outcome of {@link trainModel}; the model's weights are the trained ones. */
export interface TrainResult {
  history: EpochRecord[];
  trainSeconds: number;
  trainImages: number;
  /** What step graphs did (null when not used). */
  stepGraphs: GraphStepStats | null;
}

function checkConfig(c: TrainConfig): void {
  const bad = (what: string) => {
    throw new Error(`trainModel: ${what}`);
  };
  if (!Number.isInteger(c.epochs) || c.epochs < 1) bad(`epochs must be a positive integer, got ${c.epochs}`);
  if (!Number.isInteger(c.batchSize) || c.batchSize < 2) {
    bad(`batch size must be an integer ≥ 2, got ${c.batchSize}`);
  }
  if (!(c.lr > 0)) bad(`lr must be > 0, got ${c.lr}`);
  if (!Number.isFinite(c.alpha)) bad(`alpha must be finite, got ${c.alpha}`);
}

/** Indices of the selectivity outputs per averaging group (undefined = each layer its own group). */
function groupIndices(built: BuiltModel, grouping: LayerGrouping): number[][] | undefined {
  if (grouping === "block") return undefined;
  return built.selectivityStages.map((stage) => stage.map((name) => built.selectivityLayers.indexOf(name)));
}

/**
 * Trains `built.model` in place on `data.train`, validating on `data.val` (skipped when empty) after every
 * epoch. With `resume`, the weights, velocities and history are restored first and training continues with
 * epoch `resume.epochsDone + 1`; the result is identical to an uninterrupted run on the same backend.
 *
 * @example
 * const built = buildModel("cnn", { inputShape: [28, 28, 1], numClasses: 10, seed: 1 });
 * const result = await trainModel(built, data, config, { onEpoch: (s) => saveCheckpoint(dir, s, fp) });
 */
export async function trainModel(
  built: BuiltModel,
  data: { train: PreparedSplit; val: PreparedSplit },
  config: TrainConfig,
  hooks: TrainHooks = {},
  resume?: TrainState,
): Promise<TrainResult> {
  checkConfig(config);
  const model: tfl.LayersModel = built.model;
  const ctx = stepContext(built, config);
  const { tap, sgd, numClasses } = ctx;
  const evalOptions = {
    numClasses,
    selectivityLayers: built.selectivityLayers,
    batchSize: config.evalBatchSize,
    epsilon: config.siEpsilon,
    grouping: config.siGrouping,
    stages: built.selectivityStages,
  };
  let history: EpochRecord[] = [];
  let trainSeconds = 0;
  let trainImages = 0;
  let start = 0;
  if (resume) {
    if (resume.epochsDone > config.epochs) {
      throw new Error(
        `cannot resume: checkpoint has ${resume.epochsDone} epochs, the run only ${config.epochs}`,
      );
    }
    restoreState(model, sgd, resume);
    history = resume.history.map((r) => ({ ...r }));
    ({ trainSeconds, trainImages, epochsDone: start } = resume);
  }
  const readEvery = config.lossReadEvery ?? 1;
  const stepper = config.stepGraphs
    ? new GraphStepper(webGpuDevice(), readEvery, (x, labels, lr) => trainOnce(ctx, x, labels, lr))
    : null;
  try {
    for (let e = start; e < config.epochs; e++) {
      const lr = learningRateAt(config.schedule, config.lr, e, config.epochs);
      const augmentRng = new Rng(deriveSeed(config.seed, "augment", e));
      const batches = batchIndices(epochOrder(data.train.n, config.seed, e), config.batchSize);
      const sums = { loss: 0, ce: 0, si: 0, hits: 0, n: 0 };
      let seconds = 0;
      const addStep = (b: number, terms: ArrayLike<number>) => {
        const [loss, ce, si, hits] = Array.from(terms);
        const size = batches[b].length;
        sums.loss += loss * size;
        sums.ce += ce * size;
        sums.si += si * size;
        sums.hits += hits;
        sums.n += size;
        hooks.onBatch?.({ epoch: e + 1, epochs: config.epochs, batch: b + 1, batches: batches.length, loss });
      };
      const check = (b: number, row: ArrayLike<number>) => {
        assertFiniteTerms(row, e + 1, b + 1, config);
        addStep(b, row);
      };
      const queued: { batch: number; terms: tf.Tensor }[] = [];
      const readQueued = async () => {
        const terms = queued.splice(0);
        if (terms.length === 0) return;
        const stacked = tf.stack(terms.map((q) => q.terms));
        const values = await stacked.data();
        tf.dispose([stacked, ...terms.map((q) => q.terms)]);
        terms.forEach((q, k) => check(q.batch, values.subarray(4 * k, 4 * k + 4)));
      };
      for (let b = 0; b < batches.length; b++) {
        // The batch's preparation counts: a PGD-trained network's attack steps are most of its training time.
        const t0 = performance.now();
        const made = makeBatch(data.train, batches[b], config.augmentation, augmentRng);
        const method = config.method ?? { kind: "standard" };
        const at = { seed: config.seed, epoch: e, batch: b };
        if (stepper) {
          // Step graphs take a method's images where it made them (PGD's, on the GPU): no read per batch.
          const batch = await applyMethod(made, method, at, model, { keepOnDevice: true });
          try {
            for (const row of await stepper.step(batch, lr, b)) check(row.batch, row.terms);
          } finally {
            if (batch.x instanceof tf.Tensor) batch.x.dispose();
          }
          if (b === batches.length - 1) {
            for (const row of await stepper.drain()) check(row.batch, row.terms);
          }
        } else {
          const batch = await applyMethod(made, method, at, model);
          if (readEvery === 1) {
            addStep(b, await trainStep(ctx, batch, lr, { epoch: e + 1, batch: b + 1 }));
          } else {
            queued.push({ batch: b, terms: queueStep(ctx, batch, lr) });
            if (queued.length >= readEvery || b === batches.length - 1) await readQueued();
          }
        }
        seconds += (performance.now() - t0) / 1000;
      }
      trainSeconds += seconds;
      trainImages += sums.n;
      const val = data.val.n > 0
        ? await evaluateSplit(tap, data.val, evalOptions).catch((err) => {
          throw err instanceof NonFiniteOutputsError ? new WeightsDivergedError(e + 1, err, config) : err;
        })
        : null;
      const record: EpochRecord = {
        epoch: e + 1,
        lr,
        loss: sums.loss / sums.n,
        ce: sums.ce / sums.n,
        train_mean_si: sums.si / sums.n,
        acc: sums.hits / sums.n,
        val_acc: val?.accuracy ?? null,
        val_loss: val?.loss ?? null,
        val_mean_si: val?.meanSI ?? null,
        images_per_sec: sums.n / seconds,
      };
      history.push(record);
      if (hooks.onEpoch) {
        const state = await captureState(model, sgd, {
          epochsDone: e + 1,
          history,
          trainSeconds,
          trainImages,
        });
        await hooks.onEpoch(state, record);
      }
    }
  } finally {
    stepper?.dispose();
    sgd.dispose();
  }
  return { history, trainSeconds, trainImages, stepGraphs: stepper?.stats ?? null };
}

function webGpuDevice(): GPUDevice {
  const device = (tf.backend() as unknown as { device?: GPUDevice }).device;
  if (tf.getBackend() !== WEBGPU_BACKEND || !device) {
    throw new Error(`trainModel: stepGraphs needs the webgpu backend, the active one is ${tf.getBackend()}`);
  }
  return device;
}

/** What {@link trainStep} needs: the tap model, the optimizer and the loss settings. */
export interface StepContext {
  /** The model with selectivity outputs (`withSelectivityOutputs`). */
  tap: tfl.LayersModel;
  sgd: MomentumSgd;
  config: TrainConfig;
  numClasses: number;
  /** Selectivity output indices per averaging group (undefined: one group per layer). */
  groups?: number[][];
}

/**
 * The training context of a built model: its tap model and a fresh optimizer over its trainable weights.
 * Dispose `sgd` when done.
 */
export function stepContext(built: BuiltModel, config: TrainConfig): StepContext {
  const model = built.model;
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  return {
    tap: withSelectivityOutputs(model, built.selectivityLayers),
    sgd: new MomentumSgd(variables, { momentum: config.momentum, weightDecay: config.weightDecay }),
    config,
    numClasses: model.outputs[0].shape.at(-1)!,
    groups: groupIndices(built, config.siGrouping),
  };
}

/**
 * One SGD step on `batch` with learning rate `lr`; returns [loss, cross-entropy, minibatch μ_SI, correct
 * predictions]. Throws {@link TrainingDivergedError} (before updating anything) when the loss or μ_SI is not
 * finite; `where` (1-based epoch and batch) is for that message.
 */
export async function trainStep(
  ctx: StepContext,
  batch: Batch,
  lr: number,
  where: { epoch: number; batch: number },
): Promise<number[]> {
  const [x, labels] = batchTensors(batch);
  const { terms, grads, dispose } = lossAndGradients(ctx, x, labels);
  try {
    const values = Array.from(await terms.data());
    assertFiniteTerms(values, where.epoch, where.batch, ctx.config);
    ctx.sgd.step(grads, lr);
    return values;
  } finally {
    dispose();
    tf.dispose([x, labels, terms]);
  }
}

/**
 * One SGD step on `batch` without waiting for the device: the update is applied and the step's [loss,
 * cross-entropy, minibatch μ_SI, correct predictions] are returned as a tensor for the caller to read (and
 * check) later, and dispose.
 */
export function queueStep(ctx: StepContext, batch: Batch, lr: number): tf.Tensor {
  const [x, labels] = batchTensors(batch);
  const terms = trainOnce(ctx, x, labels, lr);
  tf.dispose([x, labels]);
  return terms;
}

/**
 * One SGD step on the tensors of a batch (what a step graph captures): applies the update and returns the
 * [loss, cross-entropy, minibatch μ_SI, correct predictions] tensor (the caller disposes it).
 */
export function trainOnce(
  ctx: StepContext,
  x: tf.Tensor4D,
  labels: tf.Tensor1D,
  lr: number | tf.Scalar,
): tf.Tensor {
  const { terms, grads, dispose } = lossAndGradients(ctx, x, labels);
  ctx.sgd.step(grads, lr);
  dispose();
  return terms;
}

function lossAndGradients(ctx: StepContext, x: tf.Tensor4D, labels: tf.Tensor1D) {
  const { tap, sgd, config, numClasses, groups } = ctx;
  let terms: tf.Tensor | null = null;
  const { value, grads } = tf.variableGrads(() => {
    const [logits, ...acts] = tap.apply(x, { training: true }) as tf.Tensor[];
    const r = regularizedLoss(logits, acts, labels, {
      alpha: config.alpha,
      numClasses,
      epsilon: config.siEpsilon,
      groups,
    });
    const hits = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), "float32"));
    terms = tf.keep(tf.stack([r.loss, r.crossEntropy, r.meanSI, hits]));
    return r.loss;
  }, sgd.variables as tf.Variable[]);
  return { terms: terms!, grads, dispose: () => tf.dispose([value, ...Object.values(grads)]) };
}
