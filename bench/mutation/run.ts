/**
 * Mutation testing of the project, area by area (bench/mutation/areas.ts): a seeded sample of the mutants of
 * each area's files (bench/mutation/mutants.ts) is applied one at a time to a scratch copy of the repository
 * (never to the working tree, so a crash cannot leave a mutant behind), the area's targeted tests run against
 * it, and the mutant counts as killed when they fail or time out. The score of an area is killed / (sampled −
 * equivalent), the equivalent mutants being those listed with a reason in bench/mutation/equivalent.json.
 *
 * Run: `deno task mutation [--areas pipeline,lib/stats] [--per-area 40] [--seed 1] [--budget-min 90]
 * [--timeout-factor 3] [--out bench/mutation/results/NAME] [--rerun PREVIOUS.json] [--rev REV]`. `--rev` mutates
 * a copy of git revision REV instead of the working tree. `--rerun` judges the
 * survivors of an earlier run again (after tests were added) and keeps its other outcomes. Writes `NAME.json` (every mutant and its
 * outcome) and `NAME.md` (the per-area table and the surviving mutants). The run is time-bounded: after
 * `--budget-min` minutes no new mutant starts and the rest are reported as not run.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { dirname, join, resolve } from "node:path";
import { Rng } from "../../lib/random.ts";
import { applyMutant, findMutants, type Mutant } from "./mutants.ts";
import { areaFiles, AREAS } from "./areas.ts";

/** A mutant's identity, stable across runs while its line does not move. */
export function mutantId(m: Mutant): string {
  return `${m.file}:${m.line}:${m.operator}:${m.original.replace(/\s+/g, " ")}->${m.replacement}`;
}

/** What happened to a mutant. */
type Status = "killed" | "timeout" | "survived" | "equivalent" | "not run";

interface Outcome extends Mutant {
  id: string;
  area: string;
  status: Status;
  seconds: number;
  reason?: string;
}

const root = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

async function sh(cmd: string, args: string[], cwd = root): Promise<void> {
  const r = await new Deno.Command(cmd, { args, cwd, stdout: "null", stderr: "piped" }).output();
  if (!r.success) throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(r.stderr)}`);
}

/**
 * A copy of the working tree (or of git revision `rev`) without .git, outputs and caches; node_modules is
 * linked, not copied.
 */
async function scratchCopy(rev?: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "mutation-" });
  const excludes = [".git", "outputs", "node_modules", ".pipeline", ".native"].map((e) => `--exclude=./${e}`);
  const source = rev ? `git -C '${root}' archive '${rev}'` : `tar -C '${root}' ${excludes.join(" ")} -cf - .`;
  await sh("bash", ["-c", `set -o pipefail; ${source} | tar -C '${dir}' -xf -`]);
  await Deno.symlink(`${root}/node_modules`, `${dir}/node_modules`);
  return dir;
}

/**
 * Runs `tests` in `dir` in their own process group (so a timeout ends the stage subprocesses too); resolves
 * with whether they passed, or "timeout".
 */
/** The process group of the test run in progress, ended with the runner when it is interrupted. */
let running: number | null = null;

async function runTests(
  dir: string,
  tests: string[],
  filter: string | undefined,
  timeoutS: number,
): Promise<boolean | "timeout"> {
  const child = new Deno.Command("setsid", {
    args: [
      Deno.execPath(),
      "test",
      "-A",
      "--no-check",
      "--fail-fast",
      ...(filter ? ["--filter", filter] : []),
      ...tests,
    ],
    cwd: dir,
    stdout: "piped",
    stderr: "null",
    env: { CI: "", NO_COLOR: "1" },
  }).spawn();
  const output = new Response(child.stdout).text();
  running = child.pid;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    new Deno.Command("kill", { args: ["-KILL", "--", `-${child.pid}`] }).outputSync();
  }, timeoutS * 1000);
  const status = await child.status;
  running = null;
  clearTimeout(timer);
  const passed = Number((await output).match(/\| (\d+) passed/)?.[1] ?? 0);
  if (status.success && passed === 0) {
    throw new Error(`no test ran: deno test ${tests.join(" ")}${filter ? ` --filter '${filter}'` : ""}`);
  }
  return timedOut ? "timeout" : status.success;
}

function loadEquivalent(): Record<string, string> {
  try {
    return JSON.parse(Deno.readTextFileSync(join(root, "bench/mutation/equivalent.json")));
  } catch {
    return {};
  }
}

function report(outcomes: Outcome[], command: string, minutes: number): string {
  const lines = [
    `# Mutation run`,
    "",
    `Command: \`${command}\` (${
      minutes.toFixed(1)
    } min). Score = killed / (run − equivalent); a timeout counts as`,
    "killed. Equivalent mutants (no observable change) are listed with their reasons in",
    "bench/mutation/equivalent.json.",
    "",
    "| area | sampled | run | killed | timeout | survived | equivalent | score |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const area of [...new Set(outcomes.map((o) => o.area))]) {
    const os = outcomes.filter((o) => o.area === area);
    const n = (s: Status) => os.filter((o) => o.status === s).length;
    const run = os.length - n("not run");
    const denominator = run - n("equivalent");
    const score = denominator > 0
      ? `${((100 * (n("killed") + n("timeout"))) / denominator).toFixed(0)} %`
      : "-";
    lines.push(
      `| ${area} | ${os.length} | ${run} | ${n("killed")} | ${n("timeout")} | ${n("survived")} | ` +
        `${n("equivalent")} | ${score} |`,
    );
  }
  const listed = (title: string, status: Status) => {
    const os = outcomes.filter((o) => o.status === status);
    if (os.length === 0) return;
    lines.push("", `## ${title}`, "");
    for (const o of os) lines.push(`- \`${o.id}\`${o.reason ? ` — ${o.reason}` : ""}`);
  };
  listed("Surviving mutants", "survived");
  listed("Equivalent mutants", "equivalent");
  return lines.join("\n") + "\n";
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      areas: { type: "string" },
      "per-area": { type: "string", default: "40" },
      seed: { type: "string", default: "1" },
      "budget-min": { type: "string", default: "90" },
      "timeout-factor": { type: "string", default: "3" },
      out: { type: "string", default: "bench/mutation/results/latest" },
      rerun: { type: "string" },
      rev: { type: "string" },
    },
  });
  const perArea = Number(values["per-area"]), seed = Number(values.seed);
  const deadline = Date.now() + Number(values["budget-min"]) * 60_000;
  const names = values.areas?.split(",") ?? AREAS.map((a) => a.name);
  const unknown = names.filter((n) => !AREAS.some((a) => a.name === n));
  if (unknown.length) throw new Error(`unknown area ${unknown}: use ${AREAS.map((a) => a.name).join(", ")}`);
  const equivalent = loadEquivalent();
  const started = Date.now();
  const scratch = await scratchCopy(values.rev);
  const outcomes: Outcome[] = [];
  const command = `deno task mutation ${Deno.args.join(" ")}`.trim();
  const out = resolve(root, values.out!);
  /** Writes `NAME.json` and `NAME.md` with what was judged so far; returns the Markdown. */
  const write = () => {
    Deno.mkdirSync(dirname(out), { recursive: true });
    Deno.writeTextFileSync(`${out}.json`, JSON.stringify({ command, outcomes }, null, 1) + "\n");
    const md = report(outcomes, command, (Date.now() - started) / 60_000);
    Deno.writeTextFileSync(`${out}.md`, md);
    return md;
  };
  const interrupt = () => {
    if (running !== null) new Deno.Command("kill", { args: ["-KILL", "--", `-${running}`] }).outputSync();
    Deno.removeSync(scratch, { recursive: true });
    write();
    Deno.exit(130);
  };
  Deno.addSignalListener("SIGINT", interrupt);
  Deno.addSignalListener("SIGTERM", interrupt);
  const baseline = new Map<string, number>();
  /** Runs `o`'s mutant against its area's tests in the scratch copy and records the outcome. */
  const judge = async (o: Outcome) => {
    const area = AREAS.find((a) => a.name === o.area)!;
    // Test files the copy lacks (an older --rev) are left out.
    const tests = area.testsFor(o.file).filter((t) => {
      try {
        Deno.statSync(join(scratch, t));
        return true;
      } catch {
        return false;
      }
    });
    const key = tests.join(" ");
    if (!baseline.has(key)) {
      const t0 = Date.now();
      if (await runTests(scratch, tests, area.filter, 1800) !== true) {
        throw new Error(`the unmutated tests fail: deno test -A ${key}; fix them before a mutation run`);
      }
      baseline.set(key, (Date.now() - t0) / 1000);
      console.log(`  baseline ${key}: ${baseline.get(key)!.toFixed(1)} s`);
    }
    const path = join(scratch, o.file);
    const original = await Deno.readTextFile(path);
    if (original.slice(o.start, o.end) !== o.original) {
      Object.assign(o, { status: "not run", reason: "the source moved since the sample; rerun with --rev" });
      return;
    }
    const t0 = Date.now();
    try {
      await Deno.writeTextFile(path, applyMutant(original, o));
      const timeout = Math.max(30, Number(values["timeout-factor"]) * baseline.get(key)!);
      const r = await runTests(scratch, tests, area.filter, timeout);
      o.status = r === "timeout" ? "timeout" : r ? "survived" : "killed";
    } finally {
      await Deno.writeTextFile(path, original);
    }
    o.seconds = (Date.now() - t0) / 1000;
    console.log(`  ${o.status.padEnd(8)} ${o.id} (${o.seconds.toFixed(0)} s)`);
  };
  const settle = (o: Outcome): boolean => {
    if (!equivalent[o.id]) return false;
    Object.assign(o, { status: "equivalent", reason: equivalent[o.id] });
    return true;
  };
  try {
    if (values.rerun) {
      // The same sample again: survivors (and mutants not run) are judged against today's tests.
      const previous = JSON.parse(await Deno.readTextFile(resolve(root, values.rerun))) as {
        outcomes: Outcome[];
      };
      for (const o of previous.outcomes) {
        outcomes.push(o);
        if (settle(o) || !["survived", "not run"].includes(o.status) || Date.now() > deadline) continue;
        await judge(o);
      }
    } else {
      for (const area of AREAS.filter((a) => names.includes(a.name))) {
        // Mutants of the copy (it may be another revision than the working tree).
        const all = areaFiles(scratch, area).flatMap((f) =>
          findMutants(f, Deno.readTextFileSync(join(scratch, f)))
        );
        const order = new Rng(seed).permutation(all.length);
        const sample = Array.from(order.subarray(0, Math.min(perArea, all.length)), (i) => all[i]);
        console.log(`${area.name}: ${all.length} mutants, sampling ${sample.length}`);
        for (const m of sample) {
          const o: Outcome = { ...m, id: mutantId(m), area: area.name, status: "not run", seconds: 0 };
          outcomes.push(o);
          if (settle(o) || Date.now() > deadline) continue;
          await judge(o);
        }
      }
    }
  } finally {
    await Deno.remove(scratch, { recursive: true });
  }
  console.log(write());
}

if (import.meta.main) await main();
