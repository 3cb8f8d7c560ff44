/**
 * The fault-injection harness (Jepsen/ALICE spirit) shared by tests/pipeline/fault_injection_test.ts and
 * bench/runner_faults.ts: a toy two-stage pipeline in a temp dir; each try changes its input, runs `repro`
 * with one fault (the runner SIGKILLed at a crash point of pipeline/fault.ts or at a random time, or the stage
 * SIGKILLed at a random time), reruns it clean, and checks the invariants:
 *
 * - the lock parses, right after the crash and after the rerun;
 * - no object in the cache fails its digest (checked with `xxhsum -H2`, an independent XXH3-128), right after
 *   the crash and after the rerun;
 * - after the rerun every out is the complete new result, all of it from one run of the command (each file
 *   carries the run's id), and the lock records exactly what is in the workspace (a further `repro` is a
 *   no-op, `sum`'s recorded dep is `gen`'s recorded out);
 * - nothing outside the declared outs, the lock and `.pipeline/` changed or appeared.
 *
 * @module
 */
import { parse } from "yaml";

const CLI = new URL("../../pipeline/cli.ts", import.meta.url).pathname;

/** A fault to inject in one try. */
export type Fault =
  | { readonly kind: "phase"; readonly phase: string; readonly n: number }
  | { readonly kind: "runner-time"; readonly ms: number }
  | { readonly kind: "runner-in-stage"; readonly ms: number }
  | { readonly kind: "stage-time"; readonly ms: number }
  | { readonly kind: "restore"; readonly n: number };

/** The outcome of one try. */
export interface TryResult {
  /** The fault's row in the table, e.g. `runner SIGKILL at commit`. */
  readonly row: string;
  /** Whether the fault actually stopped the runner or the stage (a crash point may not be reached). */
  readonly crashed: boolean;
  /** Stage processes still alive after the runner died (orphans). */
  readonly orphans: number;
  /** Broken invariants, each naming what and where; empty when the try survived. */
  readonly problems: readonly string[];
}

const GEN = `set -e
v=$(cat in.txt); run="$$-$RANDOM"
mkdir d
for i in 0 1 2 3 4 5; do
  { printf 'v=%s run=%s i=%s\\n' "$v" "$run" "$i"; seq 1 3000; } > "d/f$i"
  printf 'run=%s i=%s\\n' "$run" "$i" >> d/steps
  printf '{"done": %s, "total": 6}\\n' "$i" >> "$PIPELINE_PROGRESS"
  sleep 0.2
done
printf '{"v": "%s", "run": "%s"}\\n' "$v" "$run" > gen.json
`;
const SUM = `set -e
runs=$(cat d/* | grep -o 'run=[^ ]*' | sort -u | wc -l)
head -n1 d/f0 | cut -d' ' -f1,2 > sum.txt
[ "$runs" = 1 ] || echo MIX >> sum.txt
sleep 0.05
echo "files=$(ls d | wc -l)" >> sum.txt
`;
const PIPELINE = `stages:
  gen:
    cmd: bash gen.sh
    deps: [in.txt, gen.sh]
    outs: [d]
    metrics: [gen.json]
  sum:
    cmd: bash sum.sh
    deps: [d, sum.sh]
    outs: [sum.txt]
`;
/** Files that no run may change. */
const UNTOUCHED = ["gen.sh", "sum.sh", "pipeline.yaml", "params.yaml", "keep/precious.txt"];
/** Entries allowed at the top of the project. */
const ALLOWED_TOP = new Set([...UNTOUCHED.map((p) => p.split("/")[0]), "in.txt", "d", "gen.json", "sum.txt"]);

/** A toy project under repeated faults. */
export class FaultLab implements AsyncDisposable {
  readonly dir: string;
  readonly sandbox: boolean;
  #version = 0;
  #snapshot = new Map<string, string>();

  private constructor(dir: string, sandbox: boolean) {
    this.dir = dir;
    this.sandbox = sandbox;
  }

  /**
   * A fresh toy project, run once to completion.
   *
   * @example
   * ```ts
   * await using lab = await FaultLab.create({ sandbox: false });
   * const result = await lab.try({ kind: "phase", phase: "commit", n: 2 });
   * ```
   */
  static async create(opts: { sandbox: boolean }): Promise<FaultLab> {
    const dir = await Deno.makeTempDir({ prefix: "pipeline-faults-" });
    const lab = new FaultLab(dir, opts.sandbox);
    Deno.writeTextFileSync(`${dir}/gen.sh`, GEN);
    Deno.writeTextFileSync(`${dir}/sum.sh`, SUM);
    Deno.writeTextFileSync(`${dir}/pipeline.yaml`, PIPELINE);
    Deno.writeTextFileSync(`${dir}/params.yaml`, "{}\n");
    Deno.mkdirSync(`${dir}/keep`);
    Deno.writeTextFileSync(`${dir}/keep/precious.txt`, "precious\n");
    Deno.writeTextFileSync(`${dir}/in.txt`, "v0\n");
    for (const p of UNTOUCHED) lab.#snapshot.set(p, Deno.readTextFileSync(`${dir}/${p}`));
    const first = await lab.#repro({});
    if (first.code !== 0) throw new Error(`the toy pipeline does not run: ${first.out}`);
    return lab;
  }

  /** Milliseconds a clean run of both stages takes (for choosing random kill times). */
  async cleanRunMs(): Promise<number> {
    Deno.writeTextFileSync(`${this.dir}/in.txt`, `v${++this.#version}\n`);
    const t0 = performance.now();
    const r = await this.#repro({});
    if (r.code !== 0) throw new Error(`clean run failed: ${r.out}`);
    return performance.now() - t0;
  }

  /** Change the input, run `repro` under `fault`, rerun it clean, and check every invariant. */
  async try(fault: Fault): Promise<TryResult> {
    const version = `v${++this.#version}`;
    Deno.writeTextFileSync(`${this.dir}/in.txt`, `${version}\n`);
    const problems: string[] = [];
    let crashed = false;
    let orphans = 0;
    if (fault.kind === "phase" || fault.kind === "restore") {
      const first = fault.kind === "phase" ? `${fault.phase}:${fault.n}` : "backup:2";
      const r = await this.#repro({ faultAt: first });
      crashed = r.signal === "SIGKILL";
      orphans = await this.#orphans();
      if (fault.kind === "restore" && crashed) {
        await this.#waitForStages();
        this.#checkCrashState(problems, "after the first crash");
        const r2 = await this.#repro({ faultAt: `restore:${fault.n}` });
        crashed = r2.signal === "SIGKILL";
      }
    } else {
      const child = this.#spawnRepro({});
      if (fault.kind === "runner-time" || fault.kind === "runner-in-stage") {
        if (fault.kind === "runner-in-stage") await this.#stageProcessesSoon();
        await sleep(fault.ms);
        crashed = kill(child.pid);
        await child.status;
        orphans = await this.#orphans();
      } else {
        await this.#stageProcessesSoon();
        await sleep(fault.ms);
        crashed = this.#stageProcesses().map(kill).some((killed) => killed);
        await child.status;
      }
      await child.output().catch(() => undefined);
    }
    this.#checkCrashState(problems, "right after the crash");
    const rerun = await this.#repro({});
    if (rerun.code !== 0) problems.push(`the rerun failed (exit ${rerun.code}): ${tail(rerun.out)}`);
    await this.#waitForStages();
    this.#checkFinalState(problems, version);
    const again = await this.#repro({});
    if (!/Everything is up to date/.test(again.out)) {
      problems.push(`a further repro was not a no-op (lock and workspace disagree): ${tail(again.out)}`);
    }
    return { row: rowOf(fault, this.sandbox), crashed, orphans, problems };
  }

  #checkCrashState(problems: string[], when: string) {
    this.#checkLock(problems, when);
    this.#checkCache(problems, when);
  }

  #checkFinalState(problems: string[], version: string) {
    const lock = this.#checkLock(problems, "after the rerun");
    this.#checkCache(problems, "after the rerun");
    const files = [...safeReadDir(`${this.dir}/d`)].sort();
    const expected = ["f0", "f1", "f2", "f3", "f4", "f5", "steps"];
    if (files.join() !== expected.join()) problems.push(`out 'd' holds [${files}] instead of [${expected}]`);
    const runs = new Set<string>();
    const steps = safeRead(`${this.dir}/d/steps`).trim().split("\n");
    for (const line of steps) runs.add(line.match(/^run=(\S+) /)?.[1] ?? `(bad line '${line}')`);
    if (steps.length !== 6) problems.push(`out 'd/steps' has ${steps.length} steps instead of 6`);
    for (const f of files.filter((f) => f !== "steps")) {
      const head = safeRead(`${this.dir}/d/${f}`).split("\n")[0];
      const m = head.match(/^v=(\S+) run=(\S+) i=/);
      if (!m || m[1] !== version) problems.push(`out 'd/${f}' is not the new result (${head})`);
      if (m) runs.add(m[2]);
    }
    if (runs.size > 1) problems.push(`out 'd' mixes files of ${runs.size} runs (${[...runs]})`);
    const gen = safeRead(`${this.dir}/gen.json`);
    const run = [...runs][0];
    if (!gen.includes(`"v": "${version}"`) || (run && !gen.includes(`"run": "${run}"`))) {
      problems.push(`metrics 'gen.json' (${gen.trim()}) is not from the run that wrote 'd' (${run})`);
    }
    const sum = safeRead(`${this.dir}/sum.txt`);
    if (sum !== `v=${version} run=${run}\nfiles=7\n`) {
      problems.push(`out 'sum.txt' is not the new complete result: ${JSON.stringify(sum)}`);
    }
    const stages = (lock?.stages ?? {}) as Record<
      string,
      { outs?: Record<string, { digest: string }> } & {
        deps?: Record<string, { digest: string }>;
      }
    >;
    if (lock && stages.gen?.outs?.d?.digest !== stages.sum?.deps?.d?.digest) {
      problems.push("pipeline.lock: sum's dep 'd' is not gen's recorded out 'd'");
    }
    for (const p of UNTOUCHED) {
      if (safeRead(`${this.dir}/${p}`) !== this.#snapshot.get(p)) problems.push(`'${p}' was changed`);
    }
    for (const name of safeReadDir(this.dir)) {
      if (!ALLOWED_TOP.has(name) && name !== ".pipeline" && name !== "pipeline.lock") {
        problems.push(`'${name}' appeared outside the declared outs and .pipeline/`);
      }
    }
  }

  #checkLock(problems: string[], when: string): { stages?: Record<string, unknown> } | undefined {
    let text: string;
    try {
      text = Deno.readTextFileSync(`${this.dir}/pipeline.lock`);
    } catch {
      problems.push(`pipeline.lock is missing ${when}`);
      return undefined;
    }
    try {
      const doc = parse(text) as { schema?: number; stages?: Record<string, unknown> };
      if (doc?.schema !== 1 || typeof doc.stages !== "object") throw new Error("not schema 1 with stages");
      return doc;
    } catch (e) {
      problems.push(`pipeline.lock does not parse ${when}: ${(e as Error).message.split("\n")[0]}`);
      return undefined;
    }
  }

  #checkCache(problems: string[], when: string) {
    const root = `${this.dir}/.pipeline/cache/objects`;
    const objects: string[] = [];
    for (const prefix of safeReadDir(root)) {
      for (const name of safeReadDir(`${root}/${prefix}`)) {
        if (!name.endsWith(".tmp")) objects.push(`${prefix}/${name}`);
      }
    }
    if (objects.length === 0) return;
    const out = new Deno.Command("xxhsum", { args: ["-H2", ...objects], cwd: root }).outputSync();
    const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
    for (const line of lines) {
      const [digest, path] = line.split(/\s+/);
      if (digest !== path.replace("/", "")) problems.push(`cache object ${path} fails its digest ${when}`);
    }
  }

  /** Stage commands of this project still running (their working directory is the project). */
  #stageProcesses(): number[] {
    const pids: number[] = [];
    for (const entry of safeReadDir("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (Deno.readLinkSync(`/proc/${entry}/cwd`) !== this.dir) continue;
        const cmdline = Deno.readTextFileSync(`/proc/${entry}/cmdline`);
        if (/\b(gen|sum)\.sh\b/.test(cmdline) && !cmdline.includes("bwrap")) pids.push(Number(entry));
      } catch { /* gone */ }
    }
    return pids;
  }

  /**
   * Stage processes still alive 5 s after the runner died: past the watchdog's grace (SIGTERM, then SIGKILL
   * 3 s later) with slack for a loaded machine, so only a stage that really outlives its runner counts.
   */
  async #orphans(): Promise<number> {
    for (let i = 0; i < 100 && this.#stageProcesses().length > 0; i++) await sleep(50);
    return this.#stageProcesses().length;
  }

  /** The stage processes once some are running (polled for up to 5 s). */
  async #stageProcessesSoon(): Promise<number[]> {
    for (let i = 0; i < 500; i++) {
      const pids = this.#stageProcesses();
      if (pids.length > 0) return pids;
      await sleep(10);
    }
    return [];
  }

  async #waitForStages() {
    for (let i = 0; i < 100 && this.#stageProcesses().length > 0; i++) await sleep(50);
    for (const pid of this.#stageProcesses()) kill(pid);
  }

  #spawnRepro(opts: { faultAt?: string }): Deno.ChildProcess {
    const args = ["run", "-A", CLI, "-C", this.dir, "repro", "--jobs", "1"];
    if (this.sandbox) args.push("--sandbox");
    return new Deno.Command(Deno.execPath(), {
      args,
      env: { NO_COLOR: "1", CI: "", ...(opts.faultAt ? { PIPELINE_FAULT_AT: opts.faultAt } : {}) },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  }

  async #repro(opts: { faultAt?: string }): Promise<{ code: number; signal: string | null; out: string }> {
    const o = await this.#spawnRepro(opts).output();
    const dec = new TextDecoder();
    return { code: o.code, signal: o.signal, out: dec.decode(o.stdout) + dec.decode(o.stderr) };
  }

  async [Symbol.asyncDispose]() {
    await this.#waitForStages();
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}

/** The table row a fault belongs to. */
export function rowOf(fault: Fault, sandbox: boolean): string {
  const base = fault.kind === "phase"
    ? `runner SIGKILL at ${fault.phase}`
    : fault.kind === "restore"
    ? "runner SIGKILL at backup, then at restore"
    : fault.kind === "runner-time"
    ? "runner SIGKILL at a random time"
    : fault.kind === "runner-in-stage"
    ? "runner SIGKILL while the stage runs"
    : "stage SIGKILL at a random time";
  return sandbox ? `${base} (sandbox)` : base;
}

/**
 * A seeded fault schedule: `count` faults cycling through every kind, crash-point visit numbers and kill times
 * drawn from `seed` (runner kill times uniform in [0, `runMs`], or 0–1000 ms after the first stage started;
 * stage kills 0–250 ms after the stage started).
 *
 * @example
 * ```ts
 * const faults = schedule(7, 20, 900);
 * ```
 */
export function schedule(seed: number, count: number, runMs: number): Fault[] {
  const rand = mulberry32(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const makers: (() => Fault)[] = [
    () => ({ kind: "phase", phase: "hash", n: int(1, 10) }),
    () => ({ kind: "phase", phase: "backup", n: int(1, 2) }),
    () => ({ kind: "phase", phase: "commit", n: int(1, 9) }),
    () => ({ kind: "phase", phase: "runcache", n: int(1, 2) }),
    () => ({ kind: "phase", phase: "lock", n: int(1, 2) }),
    () => ({ kind: "phase", phase: "discard", n: int(1, 2) }),
    () => ({ kind: "restore", n: 1 }),
    () => ({ kind: "runner-time", ms: Math.round(rand() * runMs) }),
    () => ({ kind: "runner-in-stage", ms: Math.round(rand() * 1000) }),
    () => ({ kind: "stage-time", ms: Math.round(rand() * 250) }),
  ];
  return Array.from({ length: count }, (_, i) => makers[i % makers.length]());
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function kill(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGKILL");
    return true;
  } catch {
    return false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function safeRead(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return "(missing)";
  }
}

function* safeReadDir(path: string): Generator<string> {
  try {
    for (const e of Deno.readDirSync(path)) yield e.name;
  } catch { /* missing */ }
}

function tail(text: string): string {
  return text.trim().split("\n").slice(-4).join(" | ");
}
