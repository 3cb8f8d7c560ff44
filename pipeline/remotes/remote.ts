/**
 * The one interface every remote kind implements (dir.ts, s3.ts, ssh.ts), and {@link openRemote}, which picks
 * the kind from the URL. A remote mirrors the cache's layout: `objects/ab/cdef…` and `runs/<key>/<hash>.json`.
 *
 * @module
 */
import type { RemoteConfig } from "../config.ts";
import { PipelineError } from "../errors.ts";

/**
 * A place objects and run-cache entries are copied to and from. Keys are relative paths such as
 * `objects/ab/cdef…`. Every upload is atomic: the key is either absent or holds the whole object.
 */
export interface Remote {
  /** The remote's URL, for messages. */
  readonly url: string;
  /**
   * Every key under `prefix` (`objects/` or `runs/`) with its size in bytes. Pushes skip only keys whose size
   * matches, so an object a non-atomic server left truncated is sent again.
   */
  list(prefix: string): Promise<Map<string, number>>;
  /**
   * Copy the local file at `path` to `key`, atomically. Where the remote can check the bytes that arrived
   * (a directory: by hashing them; S3: by Content-MD5) a mismatch fails the upload and leaves the key absent.
   */
  upload(path: string, key: string, digest: string): Promise<void>;
  /** Copy `key` to the local file `path` (a temporary file the caller verifies and renames). */
  download(key: string, path: string): Promise<void>;
  /** Release connections. */
  close(): Promise<void>;
}

/** A remote that cannot be reached, refuses the credentials, or lacks a key: says which and what to do. */
export class RemoteError extends PipelineError {
  constructor(message: string) {
    super(message);
    this.name = "RemoteError";
  }
}

/**
 * Open the remote `config` describes; `root` resolves relative directory paths. `jobs` sizes connection pools.
 *
 * @example
 * ```ts
 * const remote = await openRemote({ name: "store", url: "/mnt/share/pipeline" }, "/proj", 8);
 * const present = await remote.list("objects/");
 * await remote.close();
 * ```
 */
export async function openRemote(config: RemoteConfig, root: string, jobs: number): Promise<Remote> {
  const url = config.url;
  if (url.startsWith("s3://")) return (await import("./s3.ts")).S3Remote.open(config);
  if (url.startsWith("ssh://")) return await (await import("./ssh.ts")).SshRemote.open(config, jobs);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) && !url.startsWith("file://")) {
    throw new PipelineError(
      `remote '${config.name}': unsupported URL '${url}'; use a directory path, s3://bucket/prefix or ` +
        `ssh://[user@]host[:port]/path`,
    );
  }
  return (await import("./dir.ts")).DirRemote.open(config, root);
}
