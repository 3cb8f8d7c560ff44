/**
 * Command line and runtime shared by the per-network stages (train, the measurements, corrupt-eval,
 * attack-eval), on npm `commander` (stage_command.ts; `--help` lists the options): `--alpha A --seed S` name the
 * run `a{A}-s{S}` (a negative value may follow as its own word, `--alpha -0.3`), and `--method M` other than
 * `standard` (docs/method.md §8) names it `a{A}-s{S}-{M}`; directory flags with stage-specific defaults;
 * `--backend`/`PIPELINE_BACKEND` and
 * `--threads`/`PIPELINE_THREADS` pick the hardware (not params, so they do not change a stage's fingerprint;
 * pipeline.yaml exports them from params.yaml's `runtime` section). Also: atomic JSON writing.
 *
 * @module
 */
import { join } from "node:path";
import { z } from "zod";
import { type BackendChoice, initBackend } from "../../lib/backends/select.ts";
import { loadPrepared } from "../../lib/data/prepared.ts";
import { loadModel } from "../../lib/models/io.ts";
import { parseStageArgs } from "./stage_command.ts";

const backendEnum = z.enum(["auto", "tensorflow", "webgpu", "wasm", "cpu"]);

/**
 * Training methods a run may name (lib/train/methods.ts; docs/method.md §8). Listed here rather than imported,
 * so that the measurement stages do not depend on the training library.
 */
export const METHOD_NAMES = ["standard", "noise", "augmix", "pgd"] as const;

/**
 * Schema of params.yaml's `runtime` section, which pipeline.yaml exports as `PIPELINE_BACKEND` and
 * `PIPELINE_THREADS` (read by {@link parseRunArgs}); for the runner's params check (tools/params_schema.ts).
 */
export const runtimeSchema = z.strictObject({
  backend: backendEnum.default("auto"),
  threads: z.number().int().positive().nullish(),
});

/** Parsed command line of a per-network stage, with its directory flags (`D`) by name. */
export type RunArgs<D extends Record<string, string>> = D & {
  alpha: string;
  seed: string;
  /** The training method (lib/train/methods.ts), `standard` unless `--method` says otherwise. */
  method: string;
  /** `a{alpha}-s{seed}`, as written on the command line, plus `-{method}` for a method other than standard. */
  run: string;
  backend: BackendChoice;
  threads: number | undefined;
};

/**
 * Parses `argv` of stage `stage`; `dirs` names its directory flags and their defaults.
 *
 * @example
 * ```ts
 * const args = parseRunArgs("measure-selectivity", Deno.args, { data: "outputs/data", out: "outputs/selectivity" });
 * args.run; // "a-0.3-s1"
 * ```
 */
export function parseRunArgs<D extends Record<string, string>>(
  stage: string,
  argv: string[],
  dirs: D,
  env: { get(key: string): string | undefined } = Deno.env,
): RunArgs<D> {
  const values = parseStageArgs(
    stage,
    `stage ${stage} for the network a{alpha}-s{seed}; params come from the runner (or params.yaml by hand)`,
    [
      { name: "alpha", description: "selectivity regularizer weight α of the network (required)" },
      { name: "seed", description: "seed of the network (required)" },
      {
        name: "method",
        description: `training method: ${METHOD_NAMES.join(" | ")} (docs/method.md §8)`,
        default: "standard",
      },
      {
        name: "backend",
        description: `${backendEnum.options.join(" | ")} (default: PIPELINE_BACKEND, else auto)`,
      },
      { name: "threads", description: "wasm threads (default: PIPELINE_THREADS)" },
      ...Object.entries(dirs).map(([name, value]) => ({
        name,
        description: `${name} directory`,
        default: value,
      })),
    ],
    argv,
  );
  for (const key of ["alpha", "seed"] as const) {
    if (values[key] === undefined) {
      throw new Error(`${stage}: --${key} is required (e.g. --alpha 0.3 --seed 1)`);
    }
  }
  if (!Number.isFinite(Number(values.alpha))) {
    throw new Error(`${stage}: --alpha '${values.alpha}' is not a number`);
  }
  if (!Number.isSafeInteger(Number(values.seed))) {
    throw new Error(`${stage}: --seed '${values.seed}' is not an integer`);
  }
  const method = values.method!;
  if (!(METHOD_NAMES as readonly string[]).includes(method)) {
    throw new Error(`${stage}: --method '${method}' is not one of ${METHOD_NAMES.join(", ")}`);
  }
  const backendText = values.backend ?? env.get("PIPELINE_BACKEND") ?? "auto";
  const backend = backendEnum.safeParse(backendText);
  if (!backend.success) {
    throw new Error(
      `${stage}: backend '${backendText}' (--backend or PIPELINE_BACKEND) is not one of ${backendEnum.options}`,
    );
  }
  const threadsText = values.threads ?? env.get("PIPELINE_THREADS");
  const threads = threadsText === undefined || threadsText === "" ? undefined : Number(threadsText);
  if (threads !== undefined && !(Number.isInteger(threads) && threads > 0)) {
    throw new Error(
      `${stage}: threads '${threadsText}' (--threads or PIPELINE_THREADS) must be a positive integer`,
    );
  }
  const dirValues = Object.fromEntries(Object.keys(dirs).map((k) => [k, values[k]!])) as D;
  return {
    ...dirValues,
    alpha: values.alpha!,
    seed: values.seed!,
    method,
    run: `a${values.alpha}-s${values.seed}${method === "standard" ? "" : `-${method}`}`,
    backend: backend.data,
    threads,
  };
}

/**
 * What a stage that evaluates a trained network starts from: the backend (initialised first), the prepared
 * data and the network `a{alpha}-s{seed}`.
 *
 * @example
 * ```ts
 * const { info, data, model } = await openRun(parseRunArgs(stage, Deno.args, { data: "outputs/data", models: "outputs/models" }));
 * ```
 */
export async function openRun(args: RunArgs<{ data: string; models: string }>) {
  const info = await initBackend(args.backend, { threads: args.threads });
  const data = await loadPrepared(args.data);
  const model = await loadModel(join(args.models, args.run));
  return { info, data, model };
}

/**
 * The `warm` a stage module exports for the runner's stage hosts (pipeline/stage_host.ts calls it before the
 * host's first stage): when `PIPELINE_BACKEND` is `webgpu`, the WebGPU backend is initialised as the stage's
 * own start would (the adapter, the device, our kernels), and the stage then finds it ready. Other backends are
 * left to the stage: wasm's thread count is fixed by its first initialisation in a process, which a stage's
 * `--threads` may set otherwise.
 *
 * @example
 * ```ts
 * export { warmBackend as warm } from "./support/run_cli.ts";
 * ```
 */
export async function warmBackend(env: { get(key: string): string | undefined } = Deno.env): Promise<void> {
  if (env.get("PIPELINE_BACKEND") === "webgpu") await initBackend("webgpu");
}

/** Writes `value` as indented JSON to `dir/name` atomically (temporary file, then rename). Returns the path. */
export async function writeJson(dir: string, name: string, value: unknown): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  const path = join(dir, name);
  await Deno.writeTextFile(`${path}.tmp`, JSON.stringify(value, null, 2) + "\n");
  await Deno.rename(`${path}.tmp`, path);
  return path;
}
