/**
 * Test helpers: toy projects in temporary directories, driven through the real CLI in a subprocess.
 *
 * @module
 */
import { stringify } from "yaml";

const CLI = new URL("../../pipeline/cli.ts", import.meta.url).pathname;

/** A toy project: a temp dir with pipeline.yaml and params.yaml. */
export interface Toy {
  readonly dir: string;
  /** Run the CLI in the project; resolves with exit code and combined output. */
  cli(...args: string[]): Promise<{ code: number; out: string }>;
  read(path: string): string;
  write(path: string, text: string): void;
  exists(path: string): boolean;
  /** How many times each stage's command ran (stages append their name to runs.log). */
  runs(): Record<string, number>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Make a toy project. Objects are written as YAML.
 *
 * @example
 * ```ts
 * await using toy = await makeToy({ stages: { a: { cmd: "echo hi > a.txt", outs: ["a.txt"] } } }, {});
 * ```
 */
export async function makeToy(pipeline: unknown, params: unknown): Promise<Toy> {
  const dir = await Deno.makeTempDir({ prefix: "pipeline-test-" });
  const write = (path: string, text: string) => {
    Deno.mkdirSync(`${dir}/${path}`.replace(/\/[^/]*$/, ""), { recursive: true });
    Deno.writeTextFileSync(`${dir}/${path}`, text);
  };
  write("pipeline.yaml", typeof pipeline === "string" ? pipeline : stringify(pipeline, { lineWidth: 0 }));
  write("params.yaml", typeof params === "string" ? params : stringify(params));
  return {
    dir,
    cli: (...args: string[]) => runCli(dir, args),
    read: (path) => Deno.readTextFileSync(`${dir}/${path}`),
    write,
    exists: (path) => {
      try {
        Deno.lstatSync(`${dir}/${path}`);
        return true;
      } catch {
        return false;
      }
    },
    runs: () => {
      const counts: Record<string, number> = {};
      let text = "";
      try {
        text = Deno.readTextFileSync(`${dir}/runs.log`);
      } catch { /* none yet */ }
      for (const name of text.split("\n").filter(Boolean)) counts[name] = (counts[name] ?? 0) + 1;
      return counts;
    },
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}

/** Run the CLI with `-C dir`, without a terminal and outside CI mode. */
export async function runCli(dir: string, args: string[]): Promise<{ code: number; out: string }> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, "-C", dir, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { CI: "" },
  }).output();
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stdout) + dec.decode(r.stderr) };
}

/** Spawn the CLI without waiting, for kill and concurrency tests. */
export function spawnCli(dir: string, args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, "-C", dir, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { CI: "" },
  }).spawn();
}

/** A shell command for a stage that records its run in runs.log, then does `body`. */
export function counted(name: string, body: string): string {
  return `echo ${name} >> runs.log && ${body}`;
}

/** Run `git ARGS` in `dir` as a throwaway identity; fails the test when git fails. */
export async function git(dir: string, ...args: string[]): Promise<void> {
  const r = await new Deno.Command("git", {
    args: ["-c", "user.name=t", "-c", "user.email=t@t", ...args],
    cwd: dir,
    stdout: "null",
    stderr: "null",
  }).output();
  if (!r.success) throw new Error(`git ${args.join(" ")} failed in ${dir}`);
}

/** Whether process `pid` is alive (a zombie counts as dead). */
export function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Polls `cond` every 100 ms until it holds; throws naming `what` after `ms`. */
export async function waitFor(what: string, cond: () => boolean, ms = 15000): Promise<void> {
  for (let t = 0; t < ms; t += 100) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
