/**
 * The stage sandbox (opt-in: `sandbox: true` on a stage, or `repro --sandbox`): what a sandboxed command may
 * see, as the argument list of Debian's `bwrap` (bubblewrap), and the environment it gets.
 *
 * Inside the sandbox the whole file system, the project included, is read-only; the stage's declared outs
 * are the only writable project paths; `/tmp` is a private empty directory; `params.yaml` is unreadable
 * (params arrive only through `PIPELINE_PARAMS`) and `.pipeline/` is empty but for the stage's own scratch
 * directory (`PIPELINE_SCRATCH`, kept across runs, e.g. for checkpoints); there is no network; the
 * environment is cleared to an allow-list; and the command dies with the runner (`--die-with-parent`, its own
 * PID namespace).
 *
 * Outs that do not exist yet cannot be bind-mounted, so each directory that holds outs (an "out parent") is
 * replaced by a fresh writable staging directory in which the parent's other entries are bound back
 * read-only (if they still exist when the sandbox starts: a concurrent stage may have moved its own away). The command creates its outs in the staging directory; afterwards {@link collectOuts} moves them
 * into place and reports anything else it wrote there as an undeclared write. Outs that already exist (those
 * marked `persist`) are bound writable in place.
 *
 * @example
 * ```ts
 * const plan = await planSandbox({ root, cwd: root, outs: ["outputs/model"], stagingDir, envAllow: [] });
 * // run ["bwrap", ...plan.args, "--", "bash", "-c", cmd] with exactly sandboxEnv(...) as environment, then:
 * const undeclared = await collectOuts(root, plan);
 * ```
 *
 * @module
 */
import { posix } from "node:path";

/** Runner-environment variables a sandboxed command always sees (a trailing `*` matches a prefix). */
export const DEFAULT_ENV_ALLOW: readonly string[] = [
  "PATH",
  "HOME",
  "USER",
  "LOGNAME",
  "LANG",
  "LANGUAGE",
  "LC_*",
  "TZ",
  "TERM",
  "NO_COLOR",
  "DENO_DIR",
  "PIPELINE_*",
];

/** Device nodes bound into the sandbox when the host has them (GPUs). */
const GPU_DEVICES = /^(dri|kfd|nvidia.*)$/;

/** What the sandbox is built from. */
export interface SandboxRequest {
  /** Absolute project root. */
  readonly root: string;
  /** Absolute working directory of the command. */
  readonly cwd: string;
  /** Root-relative declared outs of the stage (outs, metrics and plots). */
  readonly outs: readonly string[];
  /** Absolute directory, inside the project's `.pipeline/`, for this run's staging; emptied first. */
  readonly stagingDir: string;
  /** Existing absolute files or directories bound writable in place (the stage's scratch directory, …). */
  readonly writable?: readonly string[];
}

/** A directory holding outs, replaced by a staging directory for the run. */
interface OutParent {
  /** Root-relative path ("" for the root). */
  readonly rel: string;
  /** Absolute staging directory mounted there. */
  readonly staging: string;
  /** Names of outs to be created there (moved into place afterwards). */
  readonly fresh: readonly string[];
  /** Names of the parent's other entries, bound back read-only (or, for existing outs, writable). */
  readonly bound: readonly string[];
}

/** The bwrap arguments of one sandboxed run and what {@link collectOuts} needs afterwards. */
export interface SandboxPlan {
  /** bwrap options, without the trailing `--` and command. */
  readonly args: readonly string[];
  readonly root: string;
  readonly parents: readonly OutParent[];
}

/**
 * Prepare the staging directories and compute the bwrap arguments for a sandboxed run.
 *
 * @example
 * ```ts
 * const plan = await planSandbox({ root: "/p", cwd: "/p", outs: ["o.txt"], stagingDir: "/p/.pipeline/sandbox/a" });
 * ```
 */
export async function planSandbox(req: SandboxRequest): Promise<SandboxPlan> {
  const { root } = req;
  await Deno.remove(req.stagingDir, { recursive: true }).catch(() => {});
  await Deno.mkdir(`${req.stagingDir}/tmp`, { recursive: true });
  const hidden = `${req.stagingDir}/hidden`;
  await Deno.writeTextFile(hidden, "");
  await Deno.chmod(hidden, 0o000);

  const args = [
    "--die-with-parent",
    "--unshare-net",
    "--unshare-pid",
    "--unshare-ipc",
    "--cap-drop",
    "ALL",
    "--ro-bind",
    "/",
    "/",
    "--dev",
    "/dev",
    "--proc",
    "/proc",
  ];
  for (const dev of await entries("/dev")) {
    if (GPU_DEVICES.test(dev)) args.push("--dev-bind", `/dev/${dev}`, `/dev/${dev}`);
  }
  args.push("--bind", `${req.stagingDir}/tmp`, "/tmp");
  // A fresh /tmp must not hide a project, the Deno cache or a PATH directory (the commands) that live under /tmp.
  const underTmp = (p: string) => p === "/tmp" || p.startsWith("/tmp/");
  const path = (Deno.env.get("PATH") ?? "").split(":");
  for (const keep of new Set([root, Deno.env.get("DENO_DIR"), ...path])) {
    if (keep && underTmp(keep) && await exists(keep)) args.push("--ro-bind", keep, keep);
  }

  const byParent = new Map<string, string[]>();
  for (const out of req.outs) {
    const parent = posix.dirname(out) === "." ? "" : posix.dirname(out);
    byParent.set(parent, [...(byParent.get(parent) ?? []), posix.basename(out)]);
  }
  const parents: OutParent[] = [];
  const depth = (rel: string) => (rel === "" ? 0 : rel.split("/").length);
  const sorted = [...byParent.keys()].sort((a, b) => depth(a) - depth(b));
  for (const [i, rel] of sorted.entries()) {
    const names = byParent.get(rel)!;
    const hostDir = rel === "" ? root : `${root}/${rel}`;
    const staging = `${req.stagingDir}/out${i}`;
    await Deno.mkdir(staging);
    args.push("--bind", staging, hostDir);
    const fresh: string[] = [];
    const bound: string[] = [];
    for (const name of await entries(hostDir)) {
      const path = `${hostDir}/${name}`;
      // Siblings belong to other stages, which may run now and move them away (their backups) before bwrap
      // starts: a sibling that is gone by then is skipped, not an error.
      args.push(names.includes(name) ? "--bind" : "--ro-bind-try", path, path);
      bound.push(name);
    }
    for (const name of names) if (!bound.includes(name)) fresh.push(name);
    parents.push({ rel, staging, fresh, bound });
  }
  if (await exists(`${root}/.pipeline`)) args.push("--tmpfs", `${root}/.pipeline`);
  if (await exists(`${root}/params.yaml`)) args.push("--ro-bind", hidden, `${root}/params.yaml`);
  for (const dir of req.writable ?? []) args.push("--bind", dir, dir);
  args.push("--chdir", req.cwd);
  return { args, root, parents };
}

/**
 * After the run: move the outs the command created into place, and return the root-relative paths it wrote
 * beside them that are not declared outs (they are removed). Call it whether or not the command succeeded.
 *
 * @example
 * ```ts
 * const undeclared = await collectOuts(plan); // ["outputs/models/scratch.txt"]
 * ```
 */
export async function collectOuts(plan: SandboxPlan): Promise<string[]> {
  const undeclared: string[] = [];
  for (const parent of plan.parents) {
    const hostDir = parent.rel === "" ? plan.root : `${plan.root}/${parent.rel}`;
    for (const name of await entries(parent.staging)) {
      const rel = parent.rel === "" ? name : `${parent.rel}/${name}`;
      if (parent.fresh.includes(name)) {
        await Deno.mkdir(hostDir, { recursive: true });
        await Deno.rename(`${parent.staging}/${name}`, `${hostDir}/${name}`);
      } else if (!parent.bound.includes(name)) {
        undeclared.push(rel);
      }
    }
  }
  return undeclared;
}

/**
 * The environment of a sandboxed command: the runner's variables whose names `allow` (with
 * {@link DEFAULT_ENV_ALLOW}) lets through, the job's own variables, and `TMPDIR=/tmp`.
 *
 * @example
 * ```ts
 * sandboxEnv({ PATH: "/bin", AWS_SECRET: "x" }, { PIPELINE_STAGE: "a" }, []);
 * // { PATH: "/bin", PIPELINE_STAGE: "a", TMPDIR: "/tmp" }
 * ```
 */
export function sandboxEnv(
  runner: Readonly<Record<string, string>>,
  job: Readonly<Record<string, string>>,
  allow: readonly string[],
): Record<string, string> {
  const patterns = [...DEFAULT_ENV_ALLOW, ...allow];
  const allowed = (name: string) =>
    patterns.some((p) => (p.endsWith("*") ? name.startsWith(p.slice(0, -1)) : name === p));
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(runner)) if (allowed(name)) env[name] = value;
  return { ...env, ...job, TMPDIR: "/tmp" };
}

/**
 * Lines explaining a sandboxed command's failure from its log: each path it was refused (read-only, hidden,
 * missing) or a refused network access, with what to do.
 *
 * @example
 * ```ts
 * sandboxHints("bash: line 1: notes.txt: Read-only file system", "/p");
 * // ["sandbox: 'notes.txt' is not writable here: …"]
 * ```
 */
export function sandboxHints(log: string, root: string): string[] {
  const hints = new Set<string>();
  const rel = (p: string) => (p.startsWith(`${root}/`) ? p.slice(root.length + 1) : p);
  for (const line of log.split("\n")) {
    const path = line.match(/'([^']+)'/)?.[1] ??
      line.match(/([^\s:]+): (?:Read-only|Permission denied)/)?.[1];
    if (/Read-only file system|os error 30|EROFS/.test(line) && path) {
      hints.add(
        `sandbox: '${
          rel(path)
        }' is not writable here: only the stage's declared outs and $TMPDIR (/tmp) are; ` +
          `declare it in the stage's outs, or write it under $TMPDIR`,
      );
    } else if (/Permission denied|os error 13|EACCES/.test(line) && path && /params\.yaml$/.test(path)) {
      hints.add(
        `sandbox: '${
          rel(path)
        }' is hidden; a sandboxed stage reads its declared params from PIPELINE_PARAMS ` +
          `(declare them under the stage's params)`,
      );
    } else if (
      /No such file or directory|os error 2\b|Module not found/.test(line) && path?.includes(".pipeline")
    ) {
      hints.add(`sandbox: '${rel(path)}' is hidden: the runner's .pipeline/ is empty inside the sandbox`);
    } else if (
      /Network is unreachable|os error 101|getaddrinfo|dns error|Temporary failure in name resolution/.test(
        line,
      )
    ) {
      hints.add(`sandbox: the stage has no network; fetch inputs in a stage without 'sandbox: true'`);
    }
  }
  return [...hints];
}

async function entries(dir: string): Promise<string[]> {
  try {
    return (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();
  } catch {
    return [];
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}
