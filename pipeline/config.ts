/**
 * The project config: `pipeline.config.yaml` (tracked: what the whole lab shares, e.g. the executor and the
 * cluster's partition) and `.pipeline/config.local.yaml` (untracked: this checkout's own settings, e.g. an
 * account), the local file overriding the tracked one key by key. Both are optional and validated (zod); an
 * unknown key or a bad value names the file, line and key. New sections (remotes, cache) extend
 * {@link configSchema}.
 *
 * @example
 * ```ts
 * const config = await loadConfig("/proj");
 * config.executor; // "slurm"
 * config.slurm?.partition; // "gpu"
 * ```
 *
 * @module
 */
import { z } from "zod";
import { PipelineError } from "./errors.ts";
import { slurmSettingsSchema } from "./executors/slurm_settings.ts";
import { readYaml, type YamlFile } from "./yaml_file.ts";

/** The tracked config file at the project root. */
export const CONFIG_FILE = "pipeline.config.yaml";
/** The untracked, per-checkout config file. */
export const LOCAL_CONFIG_FILE = ".pipeline/config.local.yaml";

/** What either config file may hold. */
export const configSchema = z.strictObject({
  /** Which executor runs stages when `--executor` is not given. */
  executor: z.enum(["local", "slurm"]).optional(),
  /** Slurm site settings, the defaults of every stage's job. */
  slurm: slurmSettingsSchema.optional(),
});

/** A validated, merged project config. */
export type Config = z.infer<typeof configSchema>;

/** Read and merge the project's config files; missing files are empty. */
export async function loadConfig(root: string): Promise<Config> {
  const shared = await readConfigFile(`${root}/${CONFIG_FILE}`, CONFIG_FILE);
  const local = await readConfigFile(`${root}/${LOCAL_CONFIG_FILE}`, LOCAL_CONFIG_FILE);
  return mergeDeep(shared, local) as Config;
}

async function readConfigFile(path: string, name: string): Promise<Config> {
  try {
    await Deno.stat(path);
  } catch {
    return {};
  }
  return validateConfig(await readYaml(path, name));
}

/** Validate a parsed config file; errors name `file:line:col` and the key. */
export function validateConfig(file: YamlFile): Config {
  const parsed = configSchema.safeParse(file.value ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const keys = issue.code === "unrecognized_keys" ? [...issue.path, issue.keys[0]] : issue.path;
  const key = keys.map(String).join(".");
  throw new PipelineError(
    `${file.where(keys as (string | number)[])}: ${
      key ? `'${key}': ` : ""
    }${issue.message}; fix ${file.path}`,
  );
}

function mergeDeep(a: unknown, b: unknown): unknown {
  if (!isRecord(a) || !isRecord(b)) return b === undefined ? a : b;
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = mergeDeep(a[k], v);
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}
