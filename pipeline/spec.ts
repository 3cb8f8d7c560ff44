/**
 * `pipeline.yaml`: parse, validate, expand `matrix`/`foreach`, and interpolate `${…}` into stage definitions.
 *
 * @module
 */
import { posix } from "node:path";
import { didYouMean, PipelineError } from "./errors.ts";
import { isGlob } from "./glob.ts";
import { interpolate, interpolateDeep, interpolateString, placeholders } from "./interpolate.ts";
import { forbiddenOutReason } from "./out_paths.ts";
import { allKeys, keySegments, lookup, type Params, PARAMS_FILE } from "./params.ts";
import { readYaml, type YamlFile } from "./yaml_file.ts";
import { slurmStageSchema } from "./executors/slurm_settings.ts";

/** Name of the pipeline file at the project root. */
export const PIPELINE_FILE = "pipeline.yaml";

/** What an output is for: a plain artifact, a metrics file, or plot data. */
export type OutKind = "outs" | "metrics" | "plots";

/** A declared output (outs, metrics and plots alike). */
export interface OutSpec {
  /** Root-relative posix path. */
  readonly path: string;
  readonly kind: OutKind;
  /** Stored in the content-addressed cache (default true). */
  readonly cache: boolean;
  /** Kept in place while the stage runs instead of being moved aside (default false). */
  readonly persist: boolean;
  /** Plot options (`x`, `y`, `title`, `template` or a Vega-Lite `spec` file), for plots. */
  readonly plot?: Readonly<Record<string, string>>;
}

/** One stage after expansion and interpolation. */
export interface StageSpec {
  /** Unique name; `group@suffix` for matrix and foreach stages. */
  readonly name: string;
  /** The matrix or foreach group this stage came from. */
  readonly group?: string;
  /** Commands, run in order in `wdir`, stopping at the first failure. */
  readonly cmd: readonly string[];
  /** Root-relative working directory ("" for the root). */
  readonly wdir: string;
  /** Deps: root-relative files, directories or globs, or absolute paths outside the project (external deps). */
  readonly deps: readonly string[];
  /** Dotted keys of params.yaml (a key may name a whole section). */
  readonly params: readonly string[];
  readonly outs: readonly OutSpec[];
  readonly frozen: boolean;
  readonly alwaysChanged: boolean;
  /** Resource claims, e.g. `{ gpu: 1 }`, drawn from the pipeline's pool. */
  readonly resources: Readonly<Record<string, number>>;
  readonly desc?: string;
  /** Run the command in the bwrap sandbox (pipeline/sandbox.ts); `repro --sandbox` turns it on for all. */
  readonly sandbox: boolean;
  /**
   * Names of runner-environment variables a sandboxed command may see besides the defaults (top-level and
   * stage `env_allow` together); a trailing `*` matches a prefix.
   */
  readonly envAllow: readonly string[];
  /**
   * A text file inside one of the stage's outs that `repro` prints at the end of a run selecting the stage
   * (e.g. a report's verdicts and its path): the runner shows it without knowing what it says.
   */
  readonly summary?: string;
  /**
   * Executor-specific settings by executor name, e.g. `{ slurm: { partition: "gpu" } }` from the stage's
   * `slurm:` mapping. Execution details: not part of the stage's fingerprint.
   */
  readonly executorSettings?: Readonly<Record<string, unknown>>;
  /** `file:line:col` of the stage, for messages. */
  readonly where: string;
}

/** A validated pipeline. */
export interface PipelineSpec {
  /** Stages in file order (expanded groups in place). */
  readonly stages: readonly StageSpec[];
  /** Pool of resources stages draw from. */
  readonly resources: Readonly<Record<string, number>>;
  /**
   * Environment exported to every stage's command (top-level `env`; values may use `${…}`). An entry is part
   * of every stage's fingerprint unless written `NAME: {value: …, execution_only: true}`: for execution details
   * (backend, threads) that must not invalidate results.
   */
  readonly env: Readonly<Record<string, string>>;
  /** The entries of {@link env} that are part of every stage's fingerprint (those not execution-only). */
  readonly keyedEnv: Readonly<Record<string, string>>;
  /**
   * A JSON Schema file (root-relative) that params.yaml with `--set` overrides must satisfy before anything
   * runs (pipeline/params_schema.ts), and where pipeline.yaml names it.
   */
  readonly paramsSchema?: { readonly path: string; readonly where: string };
  readonly file: YamlFile;
}

const TOP_KEYS = ["stages", "vars", "resources", "env", "env_allow", "params_schema"];
const ENV_ENTRY_KEYS = ["value", "execution_only"];
const STAGE_KEYS = [
  "cmd",
  "wdir",
  "deps",
  "params",
  "outs",
  "metrics",
  "plots",
  "frozen",
  "always_changed",
  "resources",
  "desc",
  "summary",
  "meta",
  "sandbox",
  "env_allow",
  "slurm",
  "matrix",
  "foreach",
  "do",
];
const OUT_KEYS = ["cache", "persist", "desc"];
const PLOT_KEYS = [...OUT_KEYS, "x", "y", "title", "template", "spec", "x_label", "y_label"];

/**
 * Read and validate `pipeline.yaml` in `root` against the given params.
 *
 * @example
 * ```ts
 * const params = await loadParams(".");
 * const spec = await loadPipeline(".", params);
 * console.log(spec.stages.map((s) => s.name));
 * ```
 */
export async function loadPipeline(root: string, params: Params): Promise<PipelineSpec> {
  try {
    await Deno.stat(posix.join(root, PIPELINE_FILE));
  } catch {
    throw new PipelineError(`${PIPELINE_FILE} not found in ${root}: create it, or pass -C DIR`);
  }
  return parsePipeline(await readYaml(posix.join(root, PIPELINE_FILE), PIPELINE_FILE), params);
}

/** Validate an already-parsed pipeline file (see {@link loadPipeline}). */
export function parsePipeline(file: YamlFile, params: Params): PipelineSpec {
  const top = file.value;
  if (!isRecord(top)) {
    throw new PipelineError(`${file.where([])}: the top level must be a mapping with 'stages'`);
  }
  checkKeys(top, TOP_KEYS, [], file, "the top level");
  const vars = top.vars ?? {};
  if (!isRecord(vars)) throw new PipelineError(`${file.where(["vars"])}: 'vars' must be a mapping`);
  const context: Record<string, unknown> = { ...params.values, ...vars };
  const resources = parseResources(top.resources ?? {}, ["resources"], file);
  const { env, keyedEnv } = parseEnv(top.env ?? {}, file, context);
  const envAllow = parseEnvAllow(top.env_allow, ["env_allow"], file);
  if (!isRecord(top.stages) || Object.keys(top.stages).length === 0) {
    throw new PipelineError(`${file.where(["stages"])}: 'stages' must be a mapping of stage names to stages`);
  }
  const stages: StageSpec[] = [];
  const seen = new Map<string, string>();
  for (const [name, body] of Object.entries(top.stages)) {
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(name)) {
      throw new PipelineError(
        `${
          file.where(["stages", name])
        }: stage name '${name}' may only use letters, digits, '_', '-' and '.'`,
      );
    }
    for (const stage of expandStage(name, body, file, context, params, envAllow)) {
      const prev = seen.get(stage.name);
      if (prev) throw new PipelineError(`${stage.where}: stage '${stage.name}' is also defined at ${prev}`);
      seen.set(stage.name, stage.where);
      stages.push(stage);
    }
  }
  let paramsSchema: PipelineSpec["paramsSchema"];
  if (top.params_schema !== undefined) {
    const at = file.where(["params_schema"]);
    if (typeof top.params_schema !== "string") {
      throw new PipelineError(`${at}: 'params_schema' must be the path of a JSON Schema file`);
    }
    paramsSchema = { path: normalizePath(top.params_schema, "", at), where: at };
  }
  checkParamSectionsUsed(top, stages, params);
  return { stages, resources, env, keyedEnv, paramsSchema, file };
}

/**
 * Every top-level section of params.yaml must be read by some stage (`params:`) or named by a `${…}` in
 * pipeline.yaml; anything else is a typo or a leftover, and an unknown key is an error.
 */
function checkParamSectionsUsed(top: Record<string, unknown>, stages: readonly StageSpec[], params: Params) {
  const used = new Set(stages.flatMap((s) => s.params.map((k) => String(keySegments(k)[0]))));
  const visit = (v: unknown): void => {
    if (typeof v === "string") {
      for (const key of placeholders(v)) used.add(String(keySegments(key)[0]));
    } else if (Array.isArray(v)) v.forEach(visit);
    else if (isRecord(v)) {
      for (const [k, x] of Object.entries(v)) {
        visit(k);
        visit(x);
      }
    }
  };
  visit(top);
  for (const section of Object.keys(params.values)) {
    if (used.has(section)) continue;
    const where = params.file ? params.file.where([section]) : PARAMS_FILE;
    throw new PipelineError(
      `${where}: unknown section '${section}': no stage declares it in 'params' and no '\${${section}…}' in ` +
        `${PIPELINE_FILE} names it${didYouMean(section, used)}; remove it, or declare it in the stage that ` +
        `reads it`,
    );
  }
}

function expandStage(
  name: string,
  body: unknown,
  file: YamlFile,
  context: Record<string, unknown>,
  params: Params,
  envAllow: readonly string[],
): StageSpec[] {
  const at = ["stages", name];
  if (!isRecord(body)) throw new PipelineError(`${file.where(at)}: stage '${name}' must be a mapping`);
  checkKeys(body, STAGE_KEYS, at, file, `stage '${name}'`);
  if (body.matrix !== undefined && body.foreach !== undefined) {
    throw new PipelineError(`${file.where(at)}: stage '${name}' has both 'matrix' and 'foreach'; use one`);
  }
  if (body.foreach !== undefined) {
    if (!isRecord(body.do)) {
      throw new PipelineError(
        `${file.where([...at, "foreach"])}: 'foreach' needs a 'do' mapping with the stage`,
      );
    }
    checkKeys(
      body.do,
      STAGE_KEYS.filter((k) => !["matrix", "foreach", "do"].includes(k)),
      [...at, "do"],
      file,
      `stage '${name}'`,
    );
    const items = resolveAxis(body.foreach, context, file, [...at, "foreach"]);
    const entries: [string, unknown][] = Array.isArray(items)
      ? items.map((v, i) => [isScalar(v) ? String(v) : String(i), v])
      : Object.entries(items);
    if (entries.length === 0) {
      throw new PipelineError(
        `${file.where([...at, "foreach"])}: 'foreach' of stage '${name}' is empty, so it makes no stages; ` +
          `give it at least one item, or remove the stage`,
      );
    }
    return entries.map(([key, item]) =>
      buildStage(
        `${name}@${key}`,
        name,
        body.do as Record<string, unknown>,
        [...at, "do"],
        file,
        {
          ...context,
          item,
          key,
        },
        params,
        envAllow,
      )
    );
  }
  if (body.do !== undefined) {
    throw new PipelineError(`${file.where([...at, "do"])}: 'do' goes with 'foreach'`);
  }
  if (body.matrix !== undefined) {
    if (!isRecord(body.matrix) || Object.keys(body.matrix).length === 0) {
      throw new PipelineError(`${file.where([...at, "matrix"])}: 'matrix' must map axis names to lists`);
    }
    let combos: { item: Record<string, unknown>; suffix: string[] }[] = [{ item: {}, suffix: [] }];
    for (const [axis, raw] of Object.entries(body.matrix)) {
      const values = resolveAxis(raw, context, file, [...at, "matrix", axis]);
      if (!Array.isArray(values) || values.length === 0) {
        throw new PipelineError(
          `${file.where([...at, "matrix", axis])}: matrix axis '${axis}' must be a non-empty list`,
        );
      }
      combos = combos.flatMap((c) =>
        values.map((v, i) => ({
          item: { ...c.item, [axis]: v },
          suffix: [...c.suffix, isScalar(v) ? String(v) : `${axis}${i}`],
        }))
      );
    }
    return combos.map((c) =>
      buildStage(
        `${name}@${c.suffix.join("-")}`,
        name,
        body,
        at,
        file,
        { ...context, item: c.item },
        params,
        envAllow,
      )
    );
  }
  return [buildStage(name, undefined, body, at, file, context, params, envAllow)];
}

function buildStage(
  name: string,
  group: string | undefined,
  body: Record<string, unknown>,
  at: (string | number)[],
  file: YamlFile,
  context: Record<string, unknown>,
  params: Params,
  envAllow: readonly string[],
): StageSpec {
  const where = (k: (string | number)[]) => file.where([...at, ...k]);
  const str = (v: unknown, k: (string | number)[]) => {
    if (typeof v !== "string" && typeof v !== "number") {
      throw new PipelineError(`${where(k)}: expected a string, got ${JSON.stringify(v)} (quote it in YAML)`);
    }
    return interpolateString(String(v), context, where(k));
  };
  const cmdRaw = body.cmd;
  if (cmdRaw === undefined) throw new PipelineError(`${where([])}: stage '${name}' has no 'cmd'`);
  const cmd = Array.isArray(cmdRaw) ? cmdRaw.map((c, i) => str(c, ["cmd", i])) : [str(cmdRaw, ["cmd"])];
  if (cmd.length === 0 || cmd.some((c) => c.trim() === "")) {
    throw new PipelineError(`${where(["cmd"])}: stage '${name}' has an empty 'cmd'`);
  }
  const wdir = body.wdir === undefined ? "" : normalizePath(str(body.wdir, ["wdir"]), "", where(["wdir"]));
  const list = (key: string): unknown[] => {
    const v = body[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) throw new PipelineError(`${where([key])}: '${key}' must be a list`);
    return v;
  };
  const deps = list("deps").flatMap((d, i) => {
    // A dep that is exactly one `${key}` naming null is absent (an optional dep, e.g. `${data.dir}`).
    if (typeof d === "string" && interpolate(d, context, where(["deps", i])) === null) return [];
    return [normalizeDep(str(d, ["deps", i]), wdir, where(["deps", i]))];
  });
  const paramKeys = list("params").map((p, i) => {
    if (isRecord(p)) {
      throw new PipelineError(
        `${where(["params", i])}: params are dotted keys of params.yaml, e.g. 'train.lr'`,
      );
    }
    const key = str(p, ["params", i]);
    if (lookup(params.values, key) === undefined) {
      throw new PipelineError(
        `${where(["params", i])}: stage '${name}' declares param '${key}', which params.yaml does not have` +
          didYouMean(key, allKeys(params.values)),
      );
    }
    return key;
  });
  const outs: OutSpec[] = [];
  for (const kind of ["outs", "metrics", "plots"] as const) {
    list(kind).forEach((o, i) => outs.push(parseOut(o, kind, wdir, [...at, kind, i], file, context)));
  }
  const flag = (key: string) => {
    const v = body[key];
    if (v !== undefined && typeof v !== "boolean") {
      throw new PipelineError(`${where([key])}: '${key}' must be true or false`);
    }
    return v === true;
  };
  const resources = parseResources(interpolateDeep(body.resources ?? {}, context, where(["resources"])), [
    ...at,
    "resources",
  ], file);
  const slurm = parseSlurm(body.slurm, context, where);
  return {
    name,
    group,
    cmd,
    wdir,
    deps,
    params: paramKeys,
    outs,
    frozen: flag("frozen"),
    alwaysChanged: flag("always_changed"),
    resources,
    desc: typeof body.desc === "string" ? body.desc : undefined,
    sandbox: flag("sandbox"),
    envAllow: [...envAllow, ...parseEnvAllow(body.env_allow, [...at, "env_allow"], file)],
    ...(body.summary === undefined ? {} : { summary: summaryPath(body.summary, outs, str, wdir, where) }),
    ...(slurm ? { executorSettings: { slurm } } : {}),
    where: where([]),
  };
}

/** The `summary` path, which must lie inside one of the stage's outs (so it is part of the stage's result). */
function summaryPath(
  raw: unknown,
  outs: readonly OutSpec[],
  str: (v: unknown, k: (string | number)[]) => string,
  wdir: string,
  where: (k: (string | number)[]) => string,
): string {
  const path = normalizePath(str(raw, ["summary"]), wdir, where(["summary"]));
  if (!outs.some((o) => path === o.path || path.startsWith(`${o.path}/`))) {
    throw new PipelineError(
      `${where(["summary"])}: summary '${path}' is not inside any of the stage's outs ` +
        `(${outs.map((o) => o.path).join(", ") || "none"}); write it into an out, or declare that out`,
    );
  }
  return path;
}

function parseSlurm(
  raw: unknown,
  context: Record<string, unknown>,
  where: (k: (string | number)[]) => string,
): Record<string, unknown> | undefined {
  if (raw === undefined || raw === null) return undefined;
  const parsed = slurmStageSchema.safeParse(interpolateDeep(raw, context, where(["slurm"])));
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const keys = issue.code === "unrecognized_keys" ? [...issue.path, issue.keys[0]] : issue.path;
  throw new PipelineError(
    `${where(["slurm", ...keys as (string | number)[]])}: slurm setting '${
      keys.join(".")
    }': ${issue.message}`,
  );
}

function parseOut(
  raw: unknown,
  kind: OutKind,
  wdir: string,
  at: (string | number)[],
  file: YamlFile,
  context: Record<string, unknown>,
): OutSpec {
  let path: unknown = raw;
  let opts: Record<string, unknown> = {};
  if (isRecord(raw)) {
    const keys = Object.keys(raw);
    if (keys.length !== 1) {
      throw new PipelineError(`${file.where(at)}: write an out as 'path' or as 'path: {cache: false, ...}'`);
    }
    path = keys[0];
    opts = raw[keys[0]] === null ? {} : raw[keys[0]] as Record<string, unknown>;
    if (!isRecord(opts)) {
      throw new PipelineError(`${file.where([...at, keys[0]])}: out options must be a mapping`);
    }
    checkKeys(opts, kind === "plots" ? PLOT_KEYS : OUT_KEYS, [...at, keys[0]], file, `out '${keys[0]}'`);
  }
  if (typeof path !== "string") throw new PipelineError(`${file.where(at)}: an out must be a path`);
  const resolved = normalizePath(interpolateString(path, context, file.where(at)), wdir, file.where(at));
  const forbidden = forbiddenOutReason(resolved);
  if (forbidden) {
    throw new PipelineError(
      `${file.where(at)}: out '${path}'${
        shown(resolved) !== shown(path) ? ` (resolved to '${shown(resolved)}')` : ""
      } ` +
        `${forbidden}; the runner moves outs aside and deletes what a failed run leaves there, so an out ` +
        `must be a file or directory the stage alone writes, e.g. 'outputs/${kind}'`,
    );
  }
  const bool = (k: string, dflt: boolean) => {
    const v = opts[k];
    if (v === undefined) return dflt;
    if (typeof v !== "boolean") {
      throw new PipelineError(`${file.where([...at, path as string, k])}: '${k}' must be true or false`);
    }
    return v;
  };
  const plotOpts = Object.fromEntries(
    Object.entries(opts).filter(([k]) => !OUT_KEYS.includes(k)).map((
      [k, v],
    ) => [k, String(interpolate(String(v), context, file.where(at)))]),
  );
  return {
    path: resolved,
    kind,
    cache: bool("cache", true),
    persist: bool("persist", false),
    plot: kind === "plots" ? plotOpts : undefined,
  };
}

/** A path as written in messages: the root as '.', no trailing slash. */
function shown(path: string): string {
  return path.replace(/\/+$/, "") || ".";
}

function resolveAxis(
  raw: unknown,
  context: Record<string, unknown>,
  file: YamlFile,
  at: (string | number)[],
): unknown[] | Record<string, unknown> {
  const value = typeof raw === "string" ? interpolate(raw, context, file.where(at)) : raw;
  if (Array.isArray(value) || isRecord(value)) return value;
  throw new PipelineError(`${file.where(at)}: expected a list (or a '\${key}' naming a list in params.yaml)`);
}

function parseEnv(
  raw: unknown,
  file: YamlFile,
  context: Record<string, unknown>,
): { env: Record<string, string>; keyedEnv: Record<string, string> } {
  if (!isRecord(raw)) {
    throw new PipelineError(`${file.where(["env"])}: 'env' must map variable names to values`);
  }
  const env: Record<string, string> = {};
  const keyedEnv: Record<string, string> = {};
  for (const [name, entry] of Object.entries(raw)) {
    const at = ["env", name];
    if (!ENV_NAME.test(name)) {
      throw new PipelineError(`${file.where(at)}: '${name}' is not a valid environment variable name`);
    }
    let value: unknown = entry;
    let executionOnly = false;
    if (isRecord(entry)) {
      checkKeys(entry, ENV_ENTRY_KEYS, at, file, `env '${name}'`);
      value = entry.value;
      if (entry.execution_only !== undefined && typeof entry.execution_only !== "boolean") {
        throw new PipelineError(
          `${file.where([...at, "execution_only"])}: 'execution_only' must be true or false`,
        );
      }
      executionOnly = entry.execution_only === true;
    }
    if (!isScalar(value) || value === null || value === undefined) {
      throw new PipelineError(
        `${file.where(at)}: env '${name}' must be a string or a number, or {value: …, execution_only: true}`,
      );
    }
    env[name] = interpolateString(String(value), context, file.where(at));
    if (!executionOnly) keyedEnv[name] = env[name];
  }
  return { env, keyedEnv };
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function parseEnvAllow(raw: unknown, at: (string | number)[], file: YamlFile): string[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    throw new PipelineError(
      `${file.where(at)}: 'env_allow' must be a list of variable names, e.g. [CUDA_HOME]`,
    );
  }
  return raw.map((name, i) => {
    if (typeof name !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*\*?$/.test(name)) {
      throw new PipelineError(
        `${file.where([...at, i])}: ${
          JSON.stringify(name)
        } is not a variable name (a trailing '*' matches a ` +
          `prefix, e.g. 'XDG_*')`,
      );
    }
    return name;
  });
}

function parseResources(raw: unknown, at: (string | number)[], file: YamlFile): Record<string, number> {
  if (!isRecord(raw)) {
    throw new PipelineError(`${file.where(at)}: 'resources' must map names to numbers, e.g. {gpu: 1}`);
  }
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== "number" || !(v >= 0)) {
      throw new PipelineError(`${file.where([...at, k])}: resource '${k}' must be a number ≥ 0`);
    }
  }
  return raw as Record<string, number>;
}

/**
 * A dep's path: root-relative like any path, or absolute for data outside the project (an external dep, as
 * DVC has), hashed and tracked like any other dep. Globs must stay inside the project.
 *
 * @example
 * ```ts
 * normalizeDep("/data/cifar-10-batches-bin/", "", "here"); // "/data/cifar-10-batches-bin"
 * ```
 */
export function normalizeDep(path: string, wdir: string, at: string): string {
  if (!posix.isAbsolute(path)) {
    const joined = posix.normalize(posix.join(wdir, path)).replace(/\/+$/, "");
    if (joined === ".." || joined.startsWith("../")) {
      throw new PipelineError(
        `${at}: dep '${path}' points outside the project; name data outside it by its absolute path ` +
          `(an external dep)`,
      );
    }
    return normalizePath(path, wdir, at);
  }
  if (isGlob(path)) {
    throw new PipelineError(`${at}: external dep '${path}' is a glob; name its directory instead`);
  }
  const normal = posix.normalize(path).replace(/\/+$/, "");
  if (normal === "") throw new PipelineError(`${at}: dep '/' would hash the whole machine; name a directory`);
  return normal;
}

/**
 * A root-relative posix path for `path` given relative to `wdir`; paths may not leave the project.
 *
 * @example
 * ```ts
 * normalizePath("../data/x.csv", "sub", "here"); // "data/x.csv"
 * ```
 */
export function normalizePath(path: string, wdir: string, at: string): string {
  if (posix.isAbsolute(path)) {
    throw new PipelineError(`${at}: '${path}' is absolute; use a path inside the project`);
  }
  const joined = posix.normalize(posix.join(wdir, path)).replace(/\/+$/, "");
  if (joined === ".." || joined.startsWith("../")) {
    throw new PipelineError(`${at}: '${path}' points outside the project`);
  }
  return joined === "." ? "" : joined;
}

function checkKeys(
  obj: Record<string, unknown>,
  allowed: string[],
  at: (string | number)[],
  file: YamlFile,
  what: string,
) {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      throw new PipelineError(
        `${file.where([...at, key])}: unknown key '${key}' in ${what}${didYouMean(key, allowed)}; ` +
          `allowed: ${allowed.join(", ")}`,
      );
    }
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function isScalar(v: unknown): boolean {
  return v === null || ["string", "number", "boolean"].includes(typeof v);
}
