/**
 * Stage `train`: trains one model on the prepared data with the selectivity regularizer `CE − α·μ_SI` and
 * writes it out.
 *
 * Run: `deno run -A stages/train.ts --alpha A --seed S [--backend B] [--threads N] [--data DIR] [--out DIR]
 * [--checkpoints DIR]`. Params (sections `train`, `model`, `si`; see params.yaml for every key) come from the
 * runner, or params.yaml by hand.
 *
 * Writes, for run `a{A}-s{S}` (A and S exactly as given on the command line):
 * - `{out}/a{A}-s{S}/`: model.json + weights.bin (lib/models/io.ts);
 * - `{out}/a{A}-s{S}.curves.json`: per-epoch loss, accuracy, validation accuracy, μ_SI (lib/train/state.ts);
 * - `{out}/a{A}-s{S}.metrics.json`: final test/val accuracy and μ_SI, params.
 *
 * Both are byte-identical on a rerun: how the run went (backend, device, throughput per epoch, seconds, the
 * epoch a checkpoint was resumed from, step-graph stats) goes to the runner's run record instead
 * (stages/support/run_facts.ts). Progress per batch goes to the runner's display (stages/support/progress.ts).
 *
 * Checkpoints: after every epoch to `{checkpoints}/a{A}-s{S}/` (default: under the runner, the stage's scratch
 * directory `$PIPELINE_SCRATCH/checkpoints`, writable even in the sandbox; else outputs/checkpoints); a restarted run with the same settings (and,
 * under the runner, the same stage key: code, data, params) resumes from the last complete epoch and ends with
 * the same weights. The directory is removed after success. It is not
 * a pipeline out (the runner would hash and cache it, and delete it before a rerun, which defeats resuming).
 *
 * Backend: `--backend`, else env `PIPELINE_BACKEND` (default auto); threads likewise (`--threads`,
 * `PIPELINE_THREADS`). Neither is a param, so neither is in the stage fingerprint.
 *
 * @module
 */
import { join } from "node:path";
import { z } from "zod";
import Progress from "cli-progress";
import { stageParams } from "./support/params.ts";
import { runStage, stageEntry } from "./support/entry.ts";
import { stageProgress } from "./support/progress.ts";
import { backendFacts, recordRunFacts } from "./support/run_facts.ts";
import { parseRunArgs } from "./support/run_cli.ts";
import { initBackend } from "../lib/backends/select.ts";
import { loadPrepared, type PreparedData } from "../lib/data/prepared.ts";
import { saveModel } from "../lib/models/io.ts";
import { withSelectivityOutputs } from "../lib/models/multi_output.ts";
import { buildModel, MODEL_NAMES } from "../lib/models/registry.ts";
import { type Augmentation, augmentationFor, channelStats } from "../lib/data/batches.ts";
import { loadCheckpoint, saveCheckpoint } from "../lib/train/checkpoint.ts";
import { evaluateSplit } from "../lib/train/evaluate.ts";
import { type TrainConfig, trainModel, type TrainResult } from "../lib/train/loop.ts";
import type { GraphStepStats } from "../lib/train/graph_steps.ts";
import type { LrSchedule } from "../lib/train/schedule.ts";
import type { EpochRecord } from "../lib/train/state.ts";
import type { TrainMethod } from "../lib/train/methods.ts";

const scheduleSchema = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("step"),
    milestones: z.array(z.number().gt(0).lt(1)).default([0.5, 0.75]),
    gamma: z.number().gt(0).max(1).default(0.1),
  }),
  z.strictObject({ kind: z.literal("cosine"), min_factor: z.number().min(0).max(1).default(0) }),
  z.strictObject({ kind: z.literal("constant") }),
]);

/** Schema of params.yaml's `bidirectional` section (docs/method.md §8). */
export const bidirectionalSchema = z.strictObject({
  /** α of the variants (and of the standard networks they are compared with). */
  alpha: z.number().default(0),
  seeds: z.array(z.number().int()).min(1).default([1]),
  methods: z.array(z.enum(["noise", "augmix", "pgd"])).min(1).default(["noise", "augmix", "pgd"]),
  noise: z.strictObject({ sigma: z.number().gt(0).default(0.1) }).prefault({}),
  augmix: z.strictObject({
    width: z.number().int().min(1).default(3),
    depth: z.number().int().min(1).default(3),
    severity: z.number().min(1).max(10).default(3),
  }).prefault({}),
  pgd: z.strictObject({
    eps_linf_255: z.number().gt(0).default(4),
    steps: z.number().int().min(1).default(3),
    step_factor: z.number().gt(0).default(2.5),
  }).prefault({}),
});

/**
 * The training method of `name` with its params from the `bidirectional` section (which must be present for
 * any method but standard).
 *
 * @example
 * ```ts
 * methodOf("noise", { noise: { sigma: 0.1 } }); // { kind: "noise", sigma: 0.1 }
 * ```
 */
export function methodOf(name: string, section: unknown): TrainMethod {
  if (name === "standard") return { kind: "standard" };
  if (section === undefined) {
    throw new Error(
      `train: --method ${name} needs params.yaml section 'bidirectional' (list it in the stage's params)`,
    );
  }
  const b = bidirectionalSchema.parse(section);
  switch (name) {
    case "noise":
      return { kind: "noise", sigma: b.noise.sigma };
    case "augmix":
      return { kind: "augmix", ...b.augmix };
    case "pgd":
      return {
        kind: "pgd",
        epsLinf255: b.pgd.eps_linf_255,
        steps: b.pgd.steps,
        stepFactor: b.pgd.step_factor,
      };
  }
  throw new Error(`train: unknown method '${name}'`);
}

/** Schema of the stage's params object. */
export const trainParamsSchema = z.strictObject({
  train: z.strictObject({
    epochs: z.number().int().positive(),
    batch_size: z.number().int().min(2),
    lr: z.number().positive(),
    schedule: scheduleSchema.prefault({ kind: "step" }),
    momentum: z.number().min(0).lt(1).default(0.9),
    weight_decay: z.number().min(0).default(1e-4),
    /** `auto`: crop+flip for cifar10/tiny-imagenet, none otherwise (lib/data/batches.ts). */
    augment: z.enum(["auto", "none", "crop-flip"]).default("auto"),
    crop_padding: z.number().int().min(0).default(4),
    eval_batch_size: z.number().int().positive().default(256),
  }),
  model: z.strictObject({
    name: z.enum(MODEL_NAMES),
    stem: z.enum(["imagenet", "cifar"]).default("imagenet"),
  }),
  si: z.strictObject({
    epsilon: z.number().positive().default(1e-7),
    layer_grouping: z.enum(["block", "stage"]).default("block"),
  }).prefault({}),
  /** The robustness-training variants (docs/method.md §8); read only for `--method` other than standard. */
  bidirectional: bidirectionalSchema.optional(),
});

/** Validated params of the train stage. */
export type TrainParams = z.infer<typeof trainParamsSchema>;

/** Validates the params object; the error lists every bad key as `section.key: message`. */
export function parseTrainParams(params: Record<string, unknown>): TrainParams {
  const parsed = trainParamsSchema.safeParse(params);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) =>
      `${i.path.map(String).join(".") || "(root)"}: ${i.message}`
    );
    throw new Error(`train: invalid params: ${issues.join("; ")}`);
  }
  return parsed.data;
}

/** The schedule param in lib/train's form. */
export function scheduleOf(p: TrainParams["train"]["schedule"]): LrSchedule {
  switch (p.kind) {
    case "step":
      return { kind: "step", milestones: p.milestones, gamma: p.gamma };
    case "cosine":
      return { kind: "cosine", minFactor: p.min_factor };
    case "constant":
      return { kind: "constant" };
  }
}

/** Steps between loss reads on webgpu (lib/train/loop.ts `lossReadEvery`); the results are the same. */
const GPU_LOSS_READ_EVERY = 16;

/**
 * Whether training on webgpu replays captured steps (lib/train/graph_steps.ts; same results, bit for bit):
 * yes unless `PIPELINE_STEP_GRAPHS=0` (e.g. to profile the kernels through tfjs).
 */
function useStepGraphs(backend: string, env: { get(k: string): string | undefined } = Deno.env): boolean {
  return backend === "webgpu" && env.get("PIPELINE_STEP_GRAPHS") !== "0";
}

/** Command-line options of the stage. */
export type TrainArgs = ReturnType<typeof parseTrainArgs>;

/**
 * Parses the stage's command line; `--alpha` and `--seed` are required; the backend comes from `--backend` or
 * `PIPELINE_BACKEND` (stages/support/run_cli.ts).
 */
export function parseTrainArgs(argv: string[], env: { get(k: string): string | undefined } = Deno.env) {
  return parseRunArgs("train", argv, {
    data: "outputs/data",
    out: "outputs/models",
    checkpoints: env.get("PIPELINE_SCRATCH")
      ? join(env.get("PIPELINE_SCRATCH")!, "checkpoints")
      : "outputs/checkpoints",
  }, env);
}

/** The training augmentation the params ask for on `dataset`. */
export function augmentationOf(p: TrainParams["train"], dataset: string): Augmentation {
  if (p.augment === "auto") return augmentationFor(dataset);
  return p.augment === "none" ? { kind: "none" } : { kind: "crop-flip", padding: p.crop_padding };
}

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * What a checkpoint must agree on to be resumed: params, α, seed, data, backend, and under the runner the stage
 * key (`PIPELINE_STAGE_KEY`: the code and everything else the stage depends on), so a checkpoint written
 * before a code change is never resumed by the changed code.
 */
function checkpointFingerprint(
  p: TrainParams,
  args: TrainArgs,
  method: TrainMethod,
  data: PreparedData,
  backend: string,
  stageKey: string | null,
) {
  return sha256(
    JSON.stringify({
      stageKey,
      train: p.train,
      model: p.model,
      si: p.si,
      alpha: args.alpha,
      seed: args.seed,
      method: args.method === "standard" ? undefined : { name: args.method, params: method },
      meta: data.meta,
      backend,
    }),
  );
}

/** Reports progress: a bar on a terminal, one line per epoch otherwise, and batches to the runner's display. */
function progressReporter(name: string) {
  const terminal = Deno.stdout.isTerminal();
  const runner = stageProgress();
  const bar = terminal
    ? new Progress.SingleBar({
      format: `${name} epoch {epoch}/{epochs} |{bar}| {value}/{total} loss {loss}`,
      hideCursor: true,
    }, Progress.Presets.shades_classic)
    : null;
  return {
    onBatch(p: { epoch: number; epochs: number; batch: number; batches: number; loss: number }) {
      runner.update(
        (p.epoch - 1) * p.batches + p.batch,
        p.epochs * p.batches,
        `epoch ${p.epoch}/${p.epochs} batch ${p.batch}/${p.batches} loss ${p.loss.toFixed(4)}`,
      );
      if (!bar) return;
      const payload = { epoch: p.epoch, epochs: p.epochs, loss: p.loss.toFixed(4) };
      if (p.batch === 1) bar.start(p.batches, 1, payload);
      else bar.update(p.batch, payload);
      if (p.batch === p.batches) bar.stop();
    },
    onEpoch(r: EpochRecord) {
      const f = (x: number | null, d = 4) => x === null ? "-" : x.toFixed(d);
      console.log(
        `${name} epoch ${r.epoch}: lr ${r.lr.toPrecision(3)} loss ${f(r.loss)} acc ${f(r.acc)} ` +
          `train SI ${f(r.train_mean_si)} | val acc ${f(r.val_acc)} val SI ${f(r.val_mean_si)} ` +
          `(${r.images_per_sec.toFixed(0)} img/s)`,
      );
    },
  };
}

/** Final metrics of a run (the metrics file): results only, the same on every rerun. */
export interface TrainMetrics {
  run: string;
  alpha: number;
  seed: number;
  /** Training method (docs/method.md §8). */
  method: string;
  dataset: string;
  model: string;
  test: { acc: number; loss: number; mean_si: number };
  val: { acc: number | null; loss: number | null; mean_si: number | null };
  epochs: number;
  /** The params the run used ({@link echoedParams}). */
  params: EchoedParams;
}

/** The params a metrics file echoes: TrainParams with `bidirectional` cut to α and the run's own method. */
export type EchoedParams = Omit<TrainParams, "bidirectional"> & { bidirectional?: Record<string, unknown> };

/**
 * The params as the metrics file echoes them. The stage declares only α and its own method's part of the
 * `bidirectional` section (pipeline.yaml), so the rest is cut: the schema's defaults for it would echo methods,
 * seeds and settings the run never had, and a change to them would change the file.
 *
 * @example
 * ```ts
 * echoedParams(p, "noise").bidirectional; // { alpha: 0, noise: { sigma: 0.1 } }
 * ```
 */
export function echoedParams(p: TrainParams, method: string): EchoedParams {
  const { bidirectional, ...rest } = p;
  if (!bidirectional || method === "standard") return rest;
  const own = (bidirectional as Record<string, unknown>)[method];
  return { ...rest, bidirectional: { alpha: bidirectional.alpha, [method]: own } };
}

/** How a run went (the run record, not an output): differs between reruns with identical results. */
export interface TrainRunFacts {
  backend: ReturnType<typeof backendFacts>["backend"];
  resumed_from_epoch: number;
  images_per_sec: number;
  train_seconds: number;
  wall_seconds: number;
  /** Training throughput of each epoch. */
  epoch_images_per_sec: number[];
  /** webgpu: captures, replays, dispatches per replayed step, and why a step could not be replayed. */
  step_graphs: GraphStepStats | null;
}

/** A training curve: the epoch records without their throughput (a run fact, see {@link TrainRunFacts}). */
export type CurvePoint = Omit<EpochRecord, "images_per_sec">;

/** The curves file's records: `history` without per-epoch throughput, so reruns write identical bytes. */
export function curvesOf(history: readonly EpochRecord[]): CurvePoint[] {
  return history.map(({ images_per_sec: _, ...point }) => point);
}

/**
 * Runs the stage: loads the data, trains (resuming from a matching checkpoint), evaluates on the test split,
 * writes the model, curves and metrics, and removes the checkpoint. Returns the metrics.
 */
export async function runTrain(
  p: TrainParams,
  args: TrainArgs,
): Promise<{ metrics: TrainMetrics; facts: TrainRunFacts }> {
  const t0 = performance.now();
  const name = args.run;
  const backend = await initBackend(args.backend, { threads: args.threads });
  console.log(`${name}: backend ${backend.backend} on ${backend.device}`);
  const data = await loadPrepared(args.data);
  const seed = Number(args.seed);
  const built = buildModel(p.model.name, {
    inputShape: data.meta.shape,
    numClasses: data.meta.classes.length,
    seed,
    normalization: channelStats(data.train),
    stem: p.model.stem,
  });
  const method = methodOf(args.method, p.bidirectional);
  const config: TrainConfig = {
    epochs: p.train.epochs,
    batchSize: p.train.batch_size,
    lr: p.train.lr,
    schedule: scheduleOf(p.train.schedule),
    momentum: p.train.momentum,
    weightDecay: p.train.weight_decay,
    alpha: Number(args.alpha),
    seed,
    augmentation: augmentationOf(p.train, data.meta.dataset),
    evalBatchSize: p.train.eval_batch_size,
    siEpsilon: p.si.epsilon,
    siGrouping: p.si.layer_grouping,
    // On a GPU, waiting for each step's loss idles the device (~11 ms per step on the H200); queue 16 steps.
    lossReadEvery: backend.backend === "webgpu" ? GPU_LOSS_READ_EVERY : 1,
    stepGraphs: useStepGraphs(backend.backend),
    method,
  };
  const ckptDir = join(args.checkpoints, name);
  const fingerprint = await checkpointFingerprint(
    p,
    args,
    method,
    data,
    backend.backend,
    Deno.env.get("PIPELINE_STAGE_KEY") ?? null,
  );
  const loaded = await loadCheckpoint(ckptDir, fingerprint);
  if (loaded.state) console.log(`${name}: resuming after epoch ${loaded.state.epochsDone} from ${ckptDir}`);
  else if (!loaded.reason.startsWith("no checkpoint")) {
    console.log(`${name}: starting fresh: ${loaded.reason}`);
  }
  const progress = progressReporter(name);
  const result: TrainResult = await trainModel(built, data, config, {
    onBatch: progress.onBatch,
    onEpoch: async (state, record) => {
      progress.onEpoch(record);
      await saveCheckpoint(ckptDir, state, fingerprint);
    },
  }, loaded.state ?? undefined);

  const tap = withSelectivityOutputs(built.model, built.selectivityLayers);
  const test = await evaluateSplit(tap, data.test, {
    numClasses: data.meta.classes.length,
    selectivityLayers: built.selectivityLayers,
    batchSize: p.train.eval_batch_size,
    epsilon: p.si.epsilon,
    grouping: p.si.layer_grouping,
    stages: built.selectivityStages,
  });
  const last = result.history.at(-1)!;
  const metrics: TrainMetrics = {
    run: name,
    alpha: config.alpha,
    seed,
    method: args.method,
    dataset: data.meta.dataset,
    model: p.model.name,
    test: { acc: test.accuracy, loss: test.loss, mean_si: test.meanSI },
    val: { acc: last.val_acc, loss: last.val_loss, mean_si: last.val_mean_si },
    epochs: config.epochs,
    params: echoedParams(p, args.method),
  };
  await saveModel(built.model, join(args.out, name));
  await Deno.writeTextFile(
    join(args.out, `${name}.curves.json`),
    JSON.stringify(curvesOf(result.history), null, 2) + "\n",
  );
  await Deno.writeTextFile(join(args.out, `${name}.metrics.json`), JSON.stringify(metrics, null, 2) + "\n");
  await Deno.remove(ckptDir, { recursive: true });
  built.model.dispose();
  const facts: TrainRunFacts = {
    ...backendFacts(backend),
    resumed_from_epoch: loaded.state?.epochsDone ?? 0,
    images_per_sec: result.trainImages / result.trainSeconds,
    train_seconds: result.trainSeconds,
    wall_seconds: (performance.now() - t0) / 1000,
    epoch_images_per_sec: result.history.map((r) => r.images_per_sec),
    step_graphs: result.stepGraphs,
  };
  await recordRunFacts({ ...facts });
  return { metrics, facts };
}

/** Readies the backend in a stage host before the stage (stages/support/run_cli.ts). */
export { warmBackend as warm } from "./support/run_cli.ts";

/** The stage's entry point (stages/support/entry.ts): argv in, exit code out. */
export const main = stageEntry(async (argv) => {
  const args = parseTrainArgs(argv);
  const { metrics: m, facts } = await runTrain(parseTrainParams(stageParams()), args);
  console.log(
    `train ${m.run}: test acc ${m.test.acc.toFixed(4)}, test mean SI ${m.test.mean_si.toFixed(4)}, ` +
      `val acc ${m.val.acc?.toFixed(4) ?? "-"}; ${facts.images_per_sec.toFixed(0)} img/s, ` +
      `${facts.wall_seconds.toFixed(1)} s -> ${join(args.out, m.run)}`,
  );
});

if (import.meta.main) await runStage(main);
