/**
 * Parameters: `params.yaml` plus `--set key=value` overrides, looked up by dotted key.
 *
 * @module
 */
import { parse } from "yaml";
import { didYouMean, PipelineError } from "./errors.ts";
import { readYaml, type YamlFile } from "./yaml_file.ts";

/** The params of one run: the file's values with overrides applied. */
export interface Params {
  /** Merged values. */
  readonly values: Record<string, unknown>;
  /** The parsed file, for error positions (undefined when the project has no params file). */
  readonly file?: YamlFile;
  /** Overrides applied, as given on the command line (`key` → value). */
  readonly overrides: Record<string, unknown>;
}

/** Name of the params file at the project root. */
export const PARAMS_FILE = "params.yaml";

/**
 * Split a dotted key into path segments; `a.b[0].c` gives `["a", "b", 0, "c"]`.
 *
 * @example
 * ```ts
 * keySegments("grid.alpha[1]"); // ["grid", "alpha", 1]
 * ```
 */
export function keySegments(key: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const part of key.split(".")) {
    const m = part.match(/^([^[\]]*)((?:\[\d+\])*)$/);
    if (!m) throw new PipelineError(`'${key}' is not a valid param key`);
    if (m[1] !== "") out.push(m[1]);
    for (const idx of m[2].matchAll(/\[(\d+)\]/g)) out.push(Number(idx[1]));
  }
  return out;
}

/**
 * Value at a dotted key, or `undefined` when absent.
 *
 * @example
 * ```ts
 * lookup({ train: { lr: 0.1 } }, "train.lr"); // 0.1
 * ```
 */
export function lookup(values: unknown, key: string): unknown {
  let node = values;
  for (const seg of keySegments(key)) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string | number, unknown>)[seg];
  }
  return node;
}

/** Every leaf's dotted key (objects are descended; arrays and scalars are leaves). */
export function leafKeys(values: unknown, prefix = ""): string[] {
  if (values === null || typeof values !== "object" || Array.isArray(values)) return prefix ? [prefix] : [];
  return Object.entries(values).flatMap(([k, v]) => leafKeys(v, prefix ? `${prefix}.${k}` : k));
}

/**
 * The leaves of a value recorded under a declared key (a section or a leaf), by their full dotted keys.
 *
 * @example
 * ```ts
 * recordedLeaves("train", { lr: 0.1, schedule: { kind: "step" } }); // { "train.lr": 0.1, "train.schedule.kind": "step" }
 * ```
 */
export function recordedLeaves(declared: string, value: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const walk = (node: unknown, key: string) => {
    if (node === null || typeof node !== "object" || Array.isArray(node)) out[key] = node;
    else for (const [k, v] of Object.entries(node)) walk(v, `${key}.${k}`);
  };
  walk(value, declared);
  return out;
}

/** Every key that names a value: leaves and the sections above them. */
export function allKeys(values: unknown, prefix = ""): string[] {
  if (values === null || typeof values !== "object" || Array.isArray(values)) return [];
  return Object.entries(values).flatMap(([k, v]) => {
    const key = prefix ? `${prefix}.${k}` : k;
    return [key, ...allKeys(v, key)];
  });
}

/**
 * Parse `key=value` overrides; the value is read as YAML, so `1e-3`, `true` and `[1, 2]` keep their types.
 *
 * @example
 * ```ts
 * parseOverrides(["train.lr=0.01", "grid.seeds=[0, 1]"]); // { "train.lr": 0.01, "grid.seeds": [0, 1] }
 * ```
 */
export function parseOverrides(items: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const item of items) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new PipelineError(`--set '${item}': expected key=value, e.g. --set train.lr=0.01`);
    const key = item.slice(0, eq).trim();
    try {
      out[key] = parse(item.slice(eq + 1));
    } catch (e) {
      throw new PipelineError(`--set '${item}': the value is not valid YAML: ${(e as Error).message}`);
    }
  }
  return out;
}

/**
 * Load `params.yaml` from `root` (an absent file means no params) and apply overrides, each of which must
 * name an existing key.
 *
 * @example
 * ```ts
 * const p = await loadParams(".", { "train.lr": 0.01 });
 * ```
 */
export async function loadParams(root: string, overrides: Record<string, unknown> = {}): Promise<Params> {
  let file: YamlFile | undefined;
  try {
    await Deno.stat(`${root}/${PARAMS_FILE}`);
    file = await readYaml(`${root}/${PARAMS_FILE}`, PARAMS_FILE);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  const raw = file?.value ?? {};
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new PipelineError(`${PARAMS_FILE}: the top level must be a mapping of keys to values`);
  }
  const values = structuredClone(raw) as Record<string, unknown>;
  for (const [key, value] of Object.entries(overrides)) {
    const segs = keySegments(key);
    if (lookup(values, key) === undefined) {
      throw new PipelineError(
        `--set ${key}: ${PARAMS_FILE} has no key '${key}'${didYouMean(key, allKeys(values))}; ` +
          `--set only overrides existing keys`,
      );
    }
    let node = values as Record<string | number, unknown>;
    for (const seg of segs.slice(0, -1)) node = node[seg] as Record<string | number, unknown>;
    node[segs[segs.length - 1]] = value;
  }
  return { values, file, overrides };
}
