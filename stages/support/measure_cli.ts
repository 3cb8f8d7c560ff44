/**
 * Command line and runtime shared by the measurement stages (`measure-selectivity`, `measure-gradients`,
 * `measure-dimensionality`): `--alpha A --seed S` name the run `a{A}-s{S}`; `--data`, `--models`, `--out` pick
 * directories; `--backend`/`PIPELINE_BACKEND` and `--threads`/`PIPELINE_THREADS` pick the hardware (not params,
 * so they do not change a stage's fingerprint). Also: zod validation of a params section with errors naming
 * the key, and atomic JSON writing.
 *
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import type { BackendChoice } from "../../lib/backends/select.ts";

const backendEnum = z.enum(["auto", "tensorflow", "webgpu", "wasm", "cpu"]);

/** Parsed command line of a measurement stage. */
export interface MeasureArgs {
  alpha: string;
  seed: string;
  /** `a{alpha}-s{seed}`, as written on the command line. */
  run: string;
  data: string;
  models: string;
  out: string;
  backend: BackendChoice;
  threads: number | undefined;
}

/**
 * Parses `argv` of stage `stage`; `defaultOut` is the default of `--out`.
 *
 * @example
 * const args = parseMeasureArgs("measure-selectivity", Deno.args, "outputs/selectivity", Deno.env);
 */
export function parseMeasureArgs(
  stage: string,
  argv: string[],
  defaultOut: string,
  env: { get(key: string): string | undefined },
): MeasureArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      alpha: { type: "string" },
      seed: { type: "string" },
      backend: { type: "string" },
      threads: { type: "string" },
      data: { type: "string", default: "outputs/data" },
      models: { type: "string", default: "outputs/models" },
      out: { type: "string", default: defaultOut },
    },
    allowPositionals: false,
  });
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
  const backendText = values.backend ?? env.get("PIPELINE_BACKEND") ?? "auto";
  const backend = backendEnum.safeParse(backendText);
  if (!backend.success) {
    throw new Error(
      `${stage}: backend '${backendText}' (--backend or PIPELINE_BACKEND) is not one of ${backendEnum.options}`,
    );
  }
  const threadsText = values.threads ?? env.get("PIPELINE_THREADS");
  const threads = threadsText === undefined ? undefined : Number(threadsText);
  if (threads !== undefined && !(Number.isInteger(threads) && threads > 0)) {
    throw new Error(
      `${stage}: threads '${threadsText}' (--threads or PIPELINE_THREADS) must be a positive integer`,
    );
  }
  return {
    alpha: values.alpha!,
    seed: values.seed!,
    run: `a${values.alpha}-s${values.seed}`,
    data: values.data!,
    models: values.models!,
    out: values.out!,
    backend: backend.data,
    threads,
  };
}

/**
 * Validates `params[section]` (missing → `{}`, so defaults apply) with `schema`; errors name each bad key as
 * `section.key`.
 */
export function parseSection<S extends z.ZodType>(
  stage: string,
  params: Record<string, unknown>,
  section: string,
  schema: S,
): z.infer<S> {
  const parsed = schema.safeParse(params[section] ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) =>
      `${section}${i.path.map((p) => `.${String(p)}`).join("")}: ${i.message}`
    );
    throw new Error(`${stage}: invalid params: ${issues.join("; ")}`);
  }
  return parsed.data;
}

/** Writes `value` as indented JSON to `dir/name` atomically (temporary file, then rename). Returns the path. */
export async function writeJson(dir: string, name: string, value: unknown): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  const path = join(dir, name);
  await Deno.writeTextFile(`${path}.tmp`, JSON.stringify(value, null, 2) + "\n");
  await Deno.rename(`${path}.tmp`, path);
  return path;
}
