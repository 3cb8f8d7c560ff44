/**
 * The project config: a tracked `pipeline.config.yaml` (shared settings: the cache, named remotes; never
 * credentials) merged with an untracked `.pipeline/config.local.yaml` (credentials and per-machine overrides),
 * each validated by zod, one section per concern. An environment variable overrides the cache directory.
 *
 * ```yaml
 * # pipeline.config.yaml
 * cache:
 *   dir: /lab/shared/pipeline-cache   # relative paths are from the project root
 *   shared: group                     # group-writable objects and setgid directories
 * remotes:
 *   lab: { url: "s3://results/selectivity", endpoint: "https://minio.lab:9000", default: true }
 *   laptop: { url: "ssh://me@laptop.lab/home/me/pipeline-remote" }
 * ```
 *
 * @module
 */
import { isAbsolute, resolve } from "node:path";
import { z } from "zod";
import { PipelineError } from "./errors.ts";
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
  /** Transfers at once for this remote (overridden by `--jobs`). */
  jobs: z.number().int().min(1).max(256).optional(),
  access_key_id: z.string().optional(),
  secret_access_key: z.string().optional(),
  session_token: z.string().optional(),
  user: z.string().optional(),
  password: z.string().optional(),
  key_file: z.string().optional(),
  passphrase: z.string().optional(),
});

/** The config's sections; each concern owns one. Unknown top-level keys are errors. */
const ConfigSchema = z.strictObject({
  cache: CacheSection.optional(),
  remotes: z.record(z.string().regex(/^[A-Za-z][\w-]*$/), RemoteSection).optional(),
});

/** One declared remote, with its name. */
export type RemoteConfig = z.infer<typeof RemoteSection> & { readonly name: string; readonly url: string };

/** The merged, validated config. */
export interface ProjectConfig {
  /** Absolute cache directory. */
  readonly cacheDir: string;
  /** Whether the cache is shared with the group. */
  readonly groupShared: boolean;
  /** Declared remotes by name. */
  readonly remotes: Readonly<Record<string, RemoteConfig>>;
  /** The default remote's name, if any. */
  readonly defaultRemote?: string;
}

type RawConfig = z.infer<typeof ConfigSchema>;

async function readSection(root: string, rel: string): Promise<{ raw: RawConfig; file?: YamlFile }> {
  let file: YamlFile;
  try {
    file = await readYaml(`${root}/${rel}`, rel);
  } catch (e) {
    if (e instanceof PipelineError && e.message.endsWith("file not found")) return { raw: {} };
    throw e;
  }
  const parsed = ConfigSchema.safeParse(file.value ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue.path.map(String);
    const keys = issue.code === "unrecognized_keys" ? ` '${issue.keys.join("', '")}'` : "";
    throw new PipelineError(
      `${file.where(path)}: ${path.join(".") || "(top level)"}${keys}: ${issue.message}; ` +
        `sections are 'cache' (dir, shared: group) and 'remotes' (NAME: {url, default, endpoint, region, jobs})`,
    );
  }
  return { raw: parsed.data, file };
}

/**
 * Read and validate the project config of `root`; `env` supplies {@link CACHE_DIR_ENV}.
 *
 * @example
 * ```ts
 * const config = await loadConfig("/proj");
 * config.cacheDir; // "/proj/.pipeline/cache" unless configured
 * ```
 */
export async function loadConfig(
  root: string,
  env: (name: string) => string | undefined = (n) => Deno.env.get(n),
): Promise<ProjectConfig> {
  const tracked = await readSection(root, CONFIG_FILE);
  for (const [name, remote] of Object.entries(tracked.raw.remotes ?? {})) {
    for (const key of SECRET_KEYS) {
      if ((remote as Record<string, unknown>)[key] !== undefined) {
        throw new PipelineError(
          `${
            tracked.file!.where(["remotes", name, key])
          }: remotes.${name}.${key} is a credential and must not ` +
            `be in the tracked ${CONFIG_FILE}; move it to ${LOCAL_CONFIG_FILE} (untracked) or the environment`,
        );
      }
    }
  }
  const local = await readSection(root, LOCAL_CONFIG_FILE);
  const merged: Record<string, z.infer<typeof RemoteSection>> = {};
  for (const [name, r] of Object.entries(tracked.raw.remotes ?? {})) merged[name] = r;
  for (const [name, r] of Object.entries(local.raw.remotes ?? {})) merged[name] = { ...merged[name], ...r };
  const remotes: Record<string, RemoteConfig> = {};
  for (const [name, r] of Object.entries(merged)) {
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
  const cache = { ...tracked.raw.cache, ...local.raw.cache };
  const dir = env(CACHE_DIR_ENV) || cache.dir || ".pipeline/cache";
  return {
    cacheDir: isAbsolute(dir) ? dir : resolve(root, dir),
    groupShared: cache.shared === "group",
    remotes,
    defaultRemote: defaults[0] ?? (names.length === 1 ? names[0] : undefined),
  };
}

/**
 * The remote named `nameOrUrl` (a declared name, or a URL/path used as is), or the default one.
 *
 * @example
 * ```ts
 * pickRemote(config, undefined); // the default remote
 * pickRemote(config, "/mnt/share/remote"); // an undeclared directory remote
 * ```
 */
export function pickRemote(config: ProjectConfig, nameOrUrl: string | undefined): RemoteConfig {
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
