/**
 * A remote on another machine over SFTP (`ssh://[user@]host[:port]/path`), through npm `ssh2`. The host key is
 * checked against known_hosts (`~/.ssh/known_hosts`, or PIPELINE_SSH_KNOWN_HOSTS); the user's key comes from
 * `key_file` in `.pipeline/config.local.yaml`, PIPELINE_SSH_KEY_FILE, the ssh agent or `~/.ssh/id_ed25519` /
 * `id_rsa`. Uploads go to a temporary name and are renamed (posix-rename), so no partial object is visible.
 * Several SFTP channels share one connection, so `--jobs` transfers run at once. SFTP cannot hash on the server,
 * so bytes on the way are guarded by the SSH transport's MAC; a pull hashes every object on arrival.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createHash, createHmac } from "node:crypto";
import { posix } from "node:path";
import { Client } from "ssh2";
import type { RemoteConfig } from "../config.ts";
import { type Remote, RemoteError } from "./remote.ts";

// The parts of npm ssh2 used here (its @types package pins an old @types/node that breaks Deno's node types).
type Callback = (err: Error | undefined | null) => void;
interface SFTPWrapper {
  readdir(path: string, cb: (err: Error | null, list: { filename: string; attrs: Stats }[]) => void): void;
  fastPut(local: string, remote: string, cb: Callback): void;
  fastGet(remote: string, local: string, cb: Callback): void;
  ext_openssh_rename(from: string, to: string, cb: Callback): void;
  unlink(path: string, cb: Callback): void;
  mkdir(path: string, cb: Callback): void;
  stat(path: string, cb: (err: Error | null, stats: Stats) => void): void;
  end(): void;
}
interface Stats {
  isDirectory(): boolean;
  size: number;
}
type ConnectConfig = Record<string, unknown>;

/** SFTP channels opened on the one connection (OpenSSH allows 10 sessions per connection by default). */
const MAX_CHANNELS = 8;

/**
 * An SSH remote.
 *
 * @example
 * ```ts
 * const remote = await SshRemote.open({ name: "lab", url: "ssh://me@lab.example/srv/pipeline" }, 8);
 * await remote.upload(".pipeline/cache/objects/ab/cd", "objects/ab/cd", 12);
 * await remote.close();
 * ```
 */
export class SshRemote implements Remote {
  readonly url: string;
  readonly #conn: InstanceType<typeof Client>;
  readonly #channels: SFTPWrapper[];
  readonly #dir: string;
  readonly #made = new Map<string, Promise<void>>();
  #next = 0;

  private constructor(url: string, conn: InstanceType<typeof Client>, channels: SFTPWrapper[], dir: string) {
    this.url = url;
    this.#conn = conn;
    this.#channels = channels;
    this.#dir = dir;
  }

  /** Connect and open up to `jobs` SFTP channels; a refused key or an unreachable host is a clear error. */
  static async open(config: RemoteConfig, jobs: number): Promise<SshRemote> {
    const u = new URL(config.url);
    const host = u.hostname;
    const port = Number(u.port || 22);
    const username = decodeURIComponent(u.username) || config.user || Deno.env.get("USER") || "root";
    const dir = decodeURIComponent(u.pathname).replace(/\/+$/, "") || "/";
    const where = `remote ${config.url}`;
    const conn = new Client();
    let offered = "";
    const connect: ConnectConfig = {
      host,
      port,
      username,
      readyTimeout: 15_000,
      hostVerifier: (key: Buffer) => {
        offered = keyFingerprint(key);
        return knownHost(host, port, key);
      },
      ...authOptions(config),
    };
    await new Promise<void>((resolve, reject) => {
      conn.once("ready", () => resolve());
      conn.once("error", (e: Error & { level?: string; code?: string }) => {
        if (e.level === "client-authentication") {
          reject(
            new RemoteError(
              `${where}: user '${username}' was refused (${e.message}); set key_file for this remote in ` +
                `.pipeline/config.local.yaml or PIPELINE_SSH_KEY_FILE, or add the key to the ssh agent`,
            ),
          );
        } else if (/host key|verification/i.test(e.message)) {
          reject(
            new RemoteError(
              `${where}: the host key of ${host}:${port} (${offered}) is not in known_hosts; check it and add it ` +
                `(ssh-keyscan -p ${port} ${host} >> ~/.ssh/known_hosts), or set PIPELINE_SSH_KNOWN_HOSTS`,
            ),
          );
        } else {
          reject(
            new RemoteError(`${where}: cannot connect to ${host}:${port}: ${e.code ?? ""} ${e.message}`),
          );
        }
      });
      conn.connect(connect);
    });
    const n = Math.max(1, Math.min(jobs, MAX_CHANNELS));
    const channels: SFTPWrapper[] = [];
    try {
      for (let i = 0; i < n; i++) {
        channels.push(
          await new Promise<SFTPWrapper>((res, rej) =>
            conn.sftp((err: Error | undefined, s: SFTPWrapper) => err ? rej(err) : res(s))
          ),
        );
      }
    } catch (e) {
      if (channels.length === 0) {
        conn.end();
        throw new RemoteError(`${where}: the server refused SFTP: ${(e as Error).message}`);
      }
    }
    return new SshRemote(config.url, conn, channels, dir);
  }

  async list(prefix: string): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const walk = async (rel: string) => {
      let names: { filename: string; attrs: Stats }[];
      try {
        names = await new Promise((res, rej) =>
          this.#sftp().readdir(`${this.#dir}/${rel}`, (err, list) => err ? rej(err) : res(list))
        );
      } catch (e) {
        if ((e as { code?: number }).code === 2) return; // no such file
        throw new RemoteError(`remote ${this.url}: cannot list ${rel}: ${(e as Error).message}`);
      }
      await Promise.all(names.map(async (n) => {
        if (n.attrs.isDirectory()) await walk(`${rel}${n.filename}/`);
        else if (!n.filename.endsWith(".tmp")) out.set(`${rel}${n.filename}`, n.attrs.size);
      }));
    };
    await walk(prefix);
    return out;
  }

  async upload(path: string, key: string): Promise<void> {
    const target = `${this.#dir}/${key}`;
    await this.#mkdirs(posix.dirname(target));
    const tmp = `${target}.${crypto.randomUUID().slice(0, 8)}.tmp`;
    const sftp = this.#sftp();
    try {
      await new Promise<void>((res, rej) => sftp.fastPut(path, tmp, (err) => err ? rej(err) : res()));
      await new Promise<void>((res, rej) =>
        sftp.ext_openssh_rename(tmp, target, (err) => err ? rej(err) : res())
      );
    } catch (e) {
      await new Promise<void>((res) => sftp.unlink(tmp, () => res()));
      throw new RemoteError(`remote ${this.url}: cannot write ${key}: ${(e as Error).message}`);
    }
  }

  async download(key: string, path: string): Promise<void> {
    try {
      await new Promise<void>((res, rej) =>
        this.#sftp().fastGet(`${this.#dir}/${key}`, path, (err) => err ? rej(err) : res())
      );
    } catch (e) {
      throw new RemoteError(`remote ${this.url}: cannot read ${key}: ${(e as Error).message}`);
    }
  }

  close(): Promise<void> {
    for (const c of this.#channels) c.end();
    this.#conn.end();
    return Promise.resolve();
  }

  #sftp(): SFTPWrapper {
    return this.#channels[this.#next++ % this.#channels.length];
  }

  /** `mkdir -p`, each directory once per connection. */
  #mkdirs(dir: string): Promise<void> {
    let made = this.#made.get(dir);
    if (!made) {
      made = (async () => {
        if (dir !== this.#dir && dir !== "/" && dir.startsWith(this.#dir)) {
          await this.#mkdirs(posix.dirname(dir));
        }
        await new Promise<void>((res, rej) =>
          this.#sftp().mkdir(dir, (err) => {
            if (!err) return res();
            this.#sftp().stat(dir, (e2, st) => e2 || !st.isDirectory() ? rej(err) : res());
          })
        );
      })();
      this.#made.set(dir, made);
      made.catch(() => this.#made.delete(dir));
    }
    return made;
  }
}

function authOptions(config: RemoteConfig): Partial<ConnectConfig> {
  const keyFile = config.key_file ?? Deno.env.get("PIPELINE_SSH_KEY_FILE");
  const home = Deno.env.get("HOME") ?? "";
  const fallback = [`${home}/.ssh/id_ed25519`, `${home}/.ssh/id_rsa`].find((p) => {
    try {
      return Deno.statSync(p).isFile;
    } catch {
      return false;
    }
  });
  const keyPath = keyFile ?? fallback;
  let privateKey: string | undefined;
  if (keyPath) {
    try {
      privateKey = Deno.readTextFileSync(keyPath);
    } catch (e) {
      throw new RemoteError(
        `remote '${config.name}': cannot read the key file ${keyPath}: ${(e as Error).message}`,
      );
    }
  }
  return {
    ...(privateKey ? { privateKey, passphrase: config.passphrase } : {}),
    ...(config.password ? { password: config.password } : {}),
    ...(Deno.env.get("SSH_AUTH_SOCK") ? { agent: Deno.env.get("SSH_AUTH_SOCK") } : {}),
  };
}

/** Whether `key` is listed for host (and port) in the known_hosts file; hashed entries are understood. */
function knownHost(host: string, port: number, key: Buffer): boolean {
  const file = Deno.env.get("PIPELINE_SSH_KNOWN_HOSTS") ?? `${Deno.env.get("HOME")}/.ssh/known_hosts`;
  let text: string;
  try {
    text = Deno.readTextFileSync(file);
  } catch {
    return false;
  }
  const name = port === 22 ? host : `[${host}]:${port}`;
  const wanted = key.toString("base64");
  for (const line of text.split("\n")) {
    const [hosts, , blob] = line.trim().split(/\s+/);
    if (!hosts || hosts.startsWith("#") || blob !== wanted) continue;
    for (const h of hosts.split(",")) {
      if (h === name) return true;
      const hashed = h.match(/^\|1\|([^|]+)\|(.+)$/);
      if (
        hashed &&
        createHmac("sha1", Buffer.from(hashed[1], "base64")).update(name).digest("base64") === hashed[2]
      ) {
        return true;
      }
    }
  }
  return false;
}

/** The SHA-256 fingerprint of a host key, as ssh-keygen -l prints it. */
function keyFingerprint(key: Buffer): string {
  return `SHA256:${createHash("sha256").update(key).digest("base64").replace(/=+$/, "")}`;
}
