/**
 * The project config: `pipeline.config.yaml` (tracked: what the whole lab shares, e.g. the executor, the
 * cluster's partition, the cache and named remotes; never credentials) and `.pipeline/config.local.yaml`
 * (untracked: this checkout's own settings, e.g. an account or a remote's credentials), the local file overriding
 * the tracked one key by key. Both are optional and validated (zod); an unknown key or a bad value names the
 * file, line and key. An environment variable overrides the cache directory.
 *
 * ```yaml
 * # pipeline.config.yaml
 * executor: slurm
 * cache:
 *   dir: /lab/shared/pipeline-cache   # relative paths are from the project root
 *   shared: group                     # group-writable, setgid directories
 * remotes:
 *   lab: { url: "s3://results/selectivity", endpoint: "https://minio.lab:9000", default: true }
 *   laptop: { url: "ssh://me@laptop.lab/home/me/pipeline-remote" }
 * ```
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
import { isAbsolute, resolve } from "node:path";
import { z } from "zod";
import { PipelineError } from "./errors.ts";
import { slurmSettingsSchema } from "./executors/slurm_settings.ts";
import { readYaml, type YamlFile } from "./yaml_file.ts";

/** The tracked config file, at the project root. */
export const CONFIG_FILE = "pipeline.config.yaml";
/** The untracked local config, under `.pipeline/`. */
export const LOCAL_CONFIG_FILE = ".pipeline/config.local.yaml";
/** Environment variable that overrides `cache.dir`. */
export const CACHE_DIR_ENV = "PIPELINE_CACHE_DIR";

/** Keys that hold secrets: accepted only in the local config. */
const SECRET_KEYS = [
  "access_key_id",
  "secret_access_key",
  "session_token",
  "password",
  "key_file",
  "passphrase",
];

const CacheSection = z.strictObject({
  /** Where objects and the run-cache live (default `.pipeline/cache`). */
  dir: z.string().min(1).optional(),
  /** `group`: objects and directories writable by the group, directories setgid. */
  shared: z.enum(["group"]).optional(),
});

const RemoteSection = z.strictObject({
  /** A directory path (or `file://`), `s3://bucket/prefix` or `ssh://[user@]host[:port]/path`. */
  url: z.string().min(1).optional(),
  default: z.boolean().optional(),
  /** S3: endpoint URL for MinIO, Ceph or a local server; region (default us-east-1). */
  endpoint: z.string().url().optional(),
  region: z.string().optional(),
  access_key_id: z.string().optional(),
  secret_access_key: z.string().optional(),
  session_token: z.string().optional(),
  user: z.string().optional(),
  password: z.string().optional(),
  key_file: z.string().optional(),
  passphrase: z.string().optional(),
});

/** What either config file may hold: one section per concern. Unknown keys are errors. */
export const configSchema = z.strictObject({
  /** Which executor runs stages when `--executor` is not given. */
  executor: z.enum(["local", "persistent", "slurm"]).optional(),
  /** Slurm site settings, the defaults of every stage's job. */
  slurm: slurmSettingsSchema.optional(),
  /** Where objects and the run-cache live, and whether the group shares them. */
  cache: CacheSection.optional(),
  /** Named remotes for push, pull and fetch. */
  remotes: z.record(z.string().regex(/^[A-Za-z][\w-]*$/), RemoteSection).optional(),
});

/** A validated, merged project config. */
export type Config = z.infer<typeof configSchema>;

/** One declared remote, with its name. */
export type RemoteConfig = z.infer<typeof RemoteSection> & { readonly name: string; readonly url: string };

/** Where results are kept and shared: the cache and the remotes, resolved from a {@link Config}. */
export interface SharingSettings {
  /** Absolute cache directory. */
  readonly cacheDir: string;
  /** Whether the cache is shared with the group. */
  readonly groupShared: boolean;
  /** Declared remotes by name. */
  readonly remotes: Readonly<Record<string, RemoteConfig>>;
  /** The default remote's name, if any. */
  readonly defaultRemote?: string;
}

/**
 * Read and merge the project's config files (the local one overrides the tracked one key by key); missing files
 * are empty. Credentials in the tracked file are refused.
 *
 * @example
 * ```ts
 * const config = await loadConfig("/proj");
 * config.remotes?.lab.url; // "s3://results/selectivity"
 * ```
 */
export async function loadConfig(root: string): Promise<Config> {
  const tracked = await readConfigFile(`${root}/${CONFIG_FILE}`, CONFIG_FILE);
  if (tracked) refuseCredentials(tracked);
  const local = await readConfigFile(`${root}/${LOCAL_CONFIG_FILE}`, LOCAL_CONFIG_FILE);
  return mergeDeep(tracked?.config ?? {}, local?.config ?? {}) as Config;
}

async function readConfigFile(
  path: string,
  name: string,
): Promise<{ config: Config; file: YamlFile } | undefined> {
  try {
    await Deno.stat(path);
  } catch {
    return undefined;
  }
  const file = await readYaml(path, name);
  return { config: validateConfig(file), file };
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

function refuseCredentials({ config, file }: { config: Config; file: YamlFile }): void {
  for (const [name, remote] of Object.entries(config.remotes ?? {})) {
    for (const key of SECRET_KEYS) {
      if ((remote as Record<string, unknown>)[key] !== undefined) {
        throw new PipelineError(
          `${
            file.where(["remotes", name, key])
          }: remotes.${name}.${key} is a credential and must not be in ` +
            `the tracked ${CONFIG_FILE}; move it to ${LOCAL_CONFIG_FILE} (untracked) or the environment`,
        );
      }
    }
  }
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

/**
 * The cache and remotes of `config`: the cache directory from {@link CACHE_DIR_ENV}, else `cache.dir` (relative
 * to `root`), else `.pipeline/cache`; the default remote is the one marked `default: true`, or the only one.
 *
 * @example
 * ```ts
 * const sharing = sharingSettings("/proj", await loadConfig("/proj"));
 * sharing.cacheDir; // "/proj/.pipeline/cache" unless configured
 * ```
 */
export function sharingSettings(
  root: string,
  config: Config,
  env: (name: string) => string | undefined = (n) => Deno.env.get(n),
): SharingSettings {
  const remotes: Record<string, RemoteConfig> = {};
  for (const [name, r] of Object.entries(config.remotes ?? {})) {
    if (!r.url) {
      throw new PipelineError(
        `remote '${name}' has no 'url' in ${CONFIG_FILE} or ${LOCAL_CONFIG_FILE}; add remotes.${name}.url`,
      );
    }
    remotes[name] = { ...r, name, url: r.url };
  }
  const defaults = Object.values(remotes).filter((r) => r.default).map((r) => r.name);
  if (defaults.length > 1) {
    throw new PipelineError(
      `${CONFIG_FILE}: remotes ${defaults.join(", ")} are all marked 'default: true'; keep one`,
    );
  }
  const names = Object.keys(remotes);
  const dir = env(CACHE_DIR_ENV) || config.cache?.dir || ".pipeline/cache";
  return {
    cacheDir: isAbsolute(dir) ? dir : resolve(root, dir),
    groupShared: config.cache?.shared === "group",
    remotes,
    defaultRemote: defaults[0] ?? (names.length === 1 ? names[0] : undefined),
  };
}

/**
 * The remote named `nameOrUrl` (a declared name, or a URL/path used as is), or the default one.
 *
 * @example
 * ```ts
 * pickRemote(sharing, undefined); // the default remote
 * pickRemote(sharing, "/mnt/share/remote"); // an undeclared directory remote
 * ```
 */
export function pickRemote(config: SharingSettings, nameOrUrl: string | undefined): RemoteConfig {
  const want = nameOrUrl ?? config.defaultRemote;
  if (want === undefined) {
    throw new PipelineError(
      `no remote given and no default: declare one in ${CONFIG_FILE} under 'remotes' ` +
        `(e.g. remotes: {store: {url: /mnt/share/pipeline, default: true}}) or pass --remote URL`,
    );
  }
  const declared = config.remotes[want];
  if (declared) return declared;
  if (/^(s3|ssh|file):\/\//.test(want) || want.includes("/")) return { name: want, url: want };
  const known = Object.keys(config.remotes);
  throw new PipelineError(
    `remote '${want}' is not declared in ${CONFIG_FILE}` +
      (known.length ? ` (declared: ${known.join(", ")})` : "") + `; pass a declared name or a URL`,
  );
}
