/**
 * Fixtures for the shared-cache and remote tests: a two-stage toy project (a directory of files, then a summary),
 * the CLI run with extra environment, and the loopback services (tools/services/*.sh) found through their env
 * files. A missing service skips its tests with a loud message, and fails them when CI is set.
 *
 * @module
 */
import { stringify } from "yaml";
import { hashFileStreaming } from "../../pipeline/file_digest.ts";

const CLI = new URL("../../pipeline/cli.ts", import.meta.url).pathname;
/** The repository root (for tools/services). */
export const REPO = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");

/**
 * `gen` writes `n` files of about `kb` KiB each (odd-numbered ones depend on `seed`, even ones do not, so
 * projects with different seeds share half their objects); `sum` sorts their first lines.
 */
export function toyPipeline() {
  return {
    stages: {
      gen: {
        cmd: "echo gen >> runs.log && mkdir -p data && for i in $(seq 1 ${n}); do " +
          "awk -v s=$(( i % 2 ? ${seed} : 0 )) -v i=$i -v n=$((${kb} * 64)) " +
          "'BEGIN { for (j = 0; j < n; j++) printf \"%06d-%06d-%02d\\n\", s, i, j % 100 }' > data/f$i; done",
        params: ["seed", "n", "kb"],
        outs: ["data"],
      },
      sum: {
        cmd: "echo sum >> runs.log && head -qn1 data/* | sort > sum.txt",
        deps: ["data"],
        outs: ["sum.txt"],
      },
    },
  };
}

/** Write the toy project into `dir` (made if absent) with params and an optional project config. */
export function writeToy(
  dir: string,
  params: { seed: number; n: number; kb: number },
  config?: unknown,
): void {
  Deno.mkdirSync(dir, { recursive: true });
  Deno.writeTextFileSync(`${dir}/pipeline.yaml`, stringify(toyPipeline(), { lineWidth: 0 }));
  Deno.writeTextFileSync(`${dir}/params.yaml`, stringify(params));
  if (config !== undefined) Deno.writeTextFileSync(`${dir}/pipeline.config.yaml`, stringify(config));
}

/** A clone of `from` as git would give it: tracked files only (no outputs, no `.pipeline/`). */
export function cloneToy(from: string, to: string): void {
  Deno.mkdirSync(to, { recursive: true });
  for (const f of ["pipeline.yaml", "params.yaml", "pipeline.config.yaml", "pipeline.lock"]) {
    try {
      Deno.copyFileSync(`${from}/${f}`, `${to}/${f}`);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
}

/** Run the CLI in `dir` with extra `env`; resolves with the exit code and combined output. */
export async function cli(
  dir: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; out: string }> {
  const r = await spawn(dir, args, env).output();
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stdout) + dec.decode(r.stderr) };
}

/** Start the CLI in `dir` without waiting. */
export function spawn(dir: string, args: string[], env: Record<string, string> = {}): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, "-C", dir, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { CI: "", PIPELINE_CACHE_DIR: "", ...env },
  }).spawn();
}

/** How many times each stage ran in `dir`. */
export function runs(dir: string): Record<string, number> {
  const counts: Record<string, number> = {};
  let text = "";
  try {
    text = Deno.readTextFileSync(`${dir}/runs.log`);
  } catch { /* never ran */ }
  for (const name of text.split("\n").filter(Boolean)) counts[name] = (counts[name] ?? 0) + 1;
  return counts;
}

/** Every regular file under `dir`, relative, sorted. */
export function filesUnder(dir: string, rel = ""): string[] {
  const out: string[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(`${dir}/${rel}`)];
  } catch {
    return out;
  }
  for (const e of entries) {
    const child = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory) out.push(...filesUnder(dir, child));
    else out.push(child);
  }
  return out.sort();
}

/** Byte-compare two trees; returns the paths that differ or exist on one side only. */
export function treeDiff(a: string, b: string): string[] {
  const fa = filesUnder(a), fb = filesUnder(b);
  const all = [...new Set([...fa, ...fb])].sort();
  return all.filter((f) => {
    try {
      const x = Deno.readFileSync(`${a}/${f}`), y = Deno.readFileSync(`${b}/${f}`);
      return x.length !== y.length || x.some((v, i) => v !== y[i]);
    } catch {
      return true;
    }
  });
}

/**
 * Objects under a cache-layout directory (`objects/ab/cdef…`) whose bytes do not hash to their name; and any
 * temporary file left behind.
 */
export async function badObjects(dir: string): Promise<{ damaged: string[]; temporary: string[] }> {
  const damaged: string[] = [], temporary: string[] = [];
  for (const f of filesUnder(`${dir}/objects`)) {
    if (f.endsWith(".tmp")) {
      temporary.push(f);
      continue;
    }
    if (await hashFileStreaming(`${dir}/objects/${f}`) !== f.replace("/", "")) damaged.push(f);
  }
  return { damaged, temporary };
}

/** A loopback service's env vars, from the environment or its state file; undefined when it is not running. */
export function service(name: "s3" | "sshd"): Record<string, string> | undefined {
  const wanted = name === "s3" ? "PIPELINE_TEST_S3_ENDPOINT" : "PIPELINE_TEST_SSH_URL";
  const keys = name === "s3"
    ? ["PIPELINE_TEST_S3_ENDPOINT", "PIPELINE_TEST_S3_BUCKET", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]
    : ["PIPELINE_TEST_SSH_URL", "PIPELINE_SSH_KEY_FILE", "PIPELINE_SSH_KNOWN_HOSTS"];
  let env: Record<string, string> = {};
  if (Deno.env.get(wanted)) env = Object.fromEntries(keys.map((k) => [k, Deno.env.get(k) ?? ""]));
  else {
    const file = `${Deno.env.get("SERVICES_DIR") ?? "/tmp"}/pipeline-${name}/env`;
    try {
      for (const line of Deno.readTextFileSync(file).split("\n")) {
        const m = line.match(/^(?:export )?(\w+)=(.*)$/);
        if (m) env[m[1]] = m[2];
      }
    } catch { /* not running */ }
  }
  if (env[wanted]) return env;
  const how = `start it with: bash tools/services/${name}.sh install && bash tools/services/${name}.sh start`;
  if (Deno.env.get("CI")) throw new Error(`the ${name} service is not running in CI; ${how}`);
  console.error(`\n!!! SKIPPING the ${name} remote tests: the service is not running; ${how}\n`);
  return undefined;
}
