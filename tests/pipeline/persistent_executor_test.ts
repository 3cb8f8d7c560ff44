/**
 * `repro --executor persistent` on toy projects through the real CLI: `deno run -A` stages share long-lived
 * stage hosts (one process for all with `--jobs 1`), each stage with its own params and environment; a stage
 * that throws, or leaves a rejection nobody handles, fails alone and the host goes on; a stage that ends its host fails with the host's exit code and
 * the next stage gets a new host; other commands and modules without `main` run as processes; hosts start and
 * call the modules' `warm()` when the first stage runs (not when nothing does); hosts end with the run (those
 * with nothing left to run as soon as every stage has started), with an interrupt, and with a runner killed by
 * SIGKILL.
 */
import { deepStrictEqual as assertEquals, match as assertMatch, ok as assert } from "node:assert/strict";
import { parseDenoRun } from "../../pipeline/executors/persistent.ts";
import { alive, makeToy, spawnCli, waitFor } from "./helpers.ts";

/**
 * A stage module as the project's stages are written: `main(argv)` exported for hosts, and run as the process
 * when it is the main module. argv `name mode`; writes `name.pid`, then `name.json` (its pid, params, stage
 * and working directory).
 */
const STAGE_MODULE = `
export async function main(argv: string[]): Promise<number> {
  const [name, mode] = argv;
  const record = {
    pid: Deno.pid,
    params: JSON.parse(Deno.env.get("PIPELINE_PARAMS") ?? "null"),
    stage: Deno.env.get("PIPELINE_STAGE"),
    cwd: Deno.cwd(),
  };
  await Deno.writeTextFile(name + ".pid", String(Deno.pid));
  if (mode === "fail") throw new Error("stage " + name + " failed on purpose");
  if (mode === "exit") Deno.exit(3);
  if (mode === "stray") Promise.reject(new Error("stage " + name + " left a rejection behind"));
  if (mode === "sleep") await new Promise((resolve) => setTimeout(resolve, 60000));
  // "hold": until the test writes the file go.
  while (mode === "hold" && !(await Deno.stat("go").then(() => true, () => false))) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await Deno.writeTextFile(name + ".json", JSON.stringify(record));
  console.log("stage " + name + " done");
  Deno.stdout.writeSync(new TextEncoder().encode("no newline after this")); // the host's marker follows it
  return mode === "code" ? 4 : 0;
}
if (import.meta.main) Deno.exit(await main(Deno.args));
`;

/** A script without `main`: runs only as a process. */
const SCRIPT_MODULE = `
if (import.meta.main) await Deno.writeTextFile("script.json", JSON.stringify({ pid: Deno.pid }));
`;

function stage(name: string, mode = "ok", deps: string[] = []) {
  return { cmd: `deno run -A stage.ts ${name} ${mode}`, deps: ["stage.ts", ...deps], params: [name] };
}

Deno.test("parseDenoRun: only `deno run -A <module> <plain words>` runs in a host", () => {
  assertEquals(parseDenoRun("deno run -A stages/train.ts --alpha -0.3 --seed 1", "/p"), {
    module: "/p/stages/train.ts",
    argv: ["--alpha", "-0.3", "--seed", "1"],
  });
  assertEquals(parseDenoRun("deno run --allow-all /abs/s.ts", "/p"), { module: "/abs/s.ts", argv: [] });
  for (
    const cmd of [
      "deno run -A s.ts > log.txt", // a redirection
      "deno run -A s.ts $HOME", // a variable
      "deno run -A s.ts 'a b'", // quoting
      "deno run -A s.ts && echo hi", // a second command
      "deno run --allow-read s.ts", // other permissions
      "deno run -A --v8-flags=--prof s.ts", // other flags
      "deno test -A s.ts",
      "python3 s.py",
      "deno run -A data.json",
    ]
  ) {
    assertEquals(parseDenoRun(cmd, "/p"), null, cmd);
  }
});

Deno.test("persistent: stages share one host, each with its own params, and the host ends with the run", async () => {
  await using toy = await makeToy({
    stages: {
      a: stage("a"),
      b: stage("b", "ok", ["a.json"]),
      c: stage("c", "ok", ["b.json"]),
    },
  }, { a: 1, b: 2, c: 3 });
  toy.write("stage.ts", STAGE_MODULE);
  const r = await toy.cli("repro", "--executor", "persistent", "--jobs", "1");
  assertEquals(r.code, 0, r.out);
  const records = ["a", "b", "c"].map((n) => JSON.parse(toy.read(`${n}.json`)));
  assertEquals(new Set(records.map((x) => x.pid)).size, 1, "one host ran all three");
  assertEquals(records.map((x) => x.params), [{ a: 1 }, { b: 2 }, { c: 3 }], "each its own params");
  assertEquals(records.map((x) => x.stage), ["a", "b", "c"]);
  assert(records.every((x) => x.cwd === Deno.realPathSync(toy.dir)), "in the project root");
  assertMatch(r.out, /\$ deno run -A stage\.ts c ok {2}# in stage host \d+, its request 3/);
  assertMatch(r.out, /c │ no newline after this\n/, "output without a newline is kept, the marker is not");
  assert(!alive(records[0].pid), "the host ended with the run");

  // The same project on the local executor: a process per stage, and the same results.
  toy.write("params.yaml", "a: 1\nb: 2\nc: 4\n");
  const local = await toy.cli("repro", "--executor", "local");
  assertEquals(local.code, 0, local.out);
  assert(JSON.parse(toy.read("c.json")).pid !== records[0].pid);
});

Deno.test("persistent: a failing stage fails alone; a stage that ends its host fails with its code", async () => {
  await using toy = await makeToy({
    stages: {
      first: stage("first"),
      bad: stage("bad", "fail", ["first.json"]),
      code: stage("code", "code", ["first.json"]),
      stray: stage("stray", "stray", ["first.json"]),
      ender: stage("ender", "exit", ["first.json"]),
      after: stage("after", "ok", ["first.json"]),
    },
  }, { first: 1, bad: 1, code: 1, ender: 1, stray: 1, after: 1 });
  toy.write("stage.ts", STAGE_MODULE);
  const r = await toy.cli("repro", "--executor", "persistent", "--jobs", "1", "--keep-going");
  assertEquals(r.code, 1, r.out);
  assertMatch(r.out, /stage bad failed on purpose/);
  assertMatch(r.out, /✗ bad: command exited with code 1/);
  assertMatch(r.out, /✗ code: command exited with code 4/);
  // A rejection nobody handles fails its stage (its own process would have died of it), not the next one.
  assertMatch(r.out, /stray │ error: uncaught: stage stray left a rejection behind/);
  assertMatch(r.out, /✗ stray: command exited with code 1/);
  assertMatch(r.out, /✗ ender: its stage host \(pid \d+\) ended during the stage with exit code 3/);
  assert(toy.exists("after.json") && !toy.exists("bad.json") && !toy.exists("ender.json"));
  const pid = (name: string) => Number(toy.read(`${name}.pid`));
  assertEquals(pid("bad"), pid("first"), "a throw leaves the host running");
  assertEquals(pid("code"), pid("first"), "an exit code leaves the host running");
  assertEquals(pid("stray"), pid("first"), "so does a stray rejection");
  assertEquals(pid("ender"), pid("first"), "the host ran ender");
  assert(!alive(pid("ender")));
  // `after` ran either before `ender` (in the first host) or after it (in a new one), never in a dead host.
  assert(toy.read("after.json").length > 0);
});

Deno.test("persistent: once every stage has started, a host with nothing left to run ends before the run", async () => {
  await using toy = await makeToy({
    stages: {
      quick: stage("quick"),
      held: stage("held", "hold"),
      after: stage("after", "ok", ["quick.json"]),
    },
  }, { quick: 1, held: 1, after: 1 });
  toy.write("stage.ts", STAGE_MODULE);
  const run = spawnCli(toy.dir, ["repro", "--executor", "persistent", "--jobs", "2"]).output();
  const pid = (name: string) => Number(toy.read(`${name}.pid`));
  try {
    await waitFor("after.json", () => toy.exists("after.json"));
    await waitFor("after's host to end", () => !alive(pid("after")));
    assert(!toy.exists("held.json") && alive(pid("held")), "held still runs in its host");
  } finally {
    toy.write("go", "");
  }
  const out = await run;
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  assert(toy.exists("held.json") && !alive(pid("held")), "held's host ended with the run");
});

/**
 * A stage module with a slow `warm()` that writes `warm-<pid>.txt` (the shared PIPELINE_ROOT it saw); `main`
 * records whether its host had warmed before it ran, and in which process.
 */
const WARM_MODULE = `
let warmed = false;
export async function warm(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 300));
  await Deno.writeTextFile("warm-" + Deno.pid + ".txt", Deno.env.get("PIPELINE_ROOT") ?? "none");
  warmed = true;
}
export async function main(argv: string[]): Promise<number> {
  const record = { pid: Deno.pid, warmed, stage: Deno.env.get("PIPELINE_STAGE") };
  await Deno.writeTextFile(argv[0] + ".json", JSON.stringify(record));
  return 0;
}
`;

/** A stage module that takes 500 ms to import and has no `warm()`. */
const SLOW_IMPORT_MODULE = `
await new Promise((resolve) => setTimeout(resolve, 500));
export async function main(argv: string[]): Promise<number> {
  await Deno.writeTextFile(argv[0] + ".json", JSON.stringify({ pid: Deno.pid }));
  return 0;
}
`;

Deno.test("persistent: when the first stage runs, the hosts start and warm; it waits for one step only", async () => {
  const slow = (name: string) => ({
    cmd: `deno run -A first.ts ${name}`,
    deps: ["first.ts"],
    outs: [`${name}.json`],
  });
  const warmed = (name: string) => ({
    cmd: `deno run -A warm.ts ${name}`,
    deps: ["warm.ts", "first.json"],
    outs: [`${name}.json`],
  });
  await using toy = await makeToy({ stages: { first: slow("first"), b: warmed("b"), c: warmed("c") } }, {});
  toy.write("first.ts", SLOW_IMPORT_MODULE);
  toy.write("warm.ts", WARM_MODULE);
  const warmFiles = () =>
    [...Deno.readDirSync(toy.dir)].map((e) => e.name).filter((n) => n.startsWith("warm-"));
  const r = await toy.cli("repro", "--executor", "persistent", "--jobs", "8");
  assertEquals(r.code, 0, r.out);
  // 3 hosts for 3 stages (not 8). Each imports first.ts, then warm.ts and calls its warm(); in the host that
  // takes `first`, first.ts's import is under way when the stage comes, and its warm.ts step is dropped.
  const warmPids = warmFiles().map((n) => Number(n.slice(5, -4)));
  assertEquals(warmPids.length, 2, `two of the three hosts warmed: ${warmFiles()}`);
  for (const name of warmFiles()) {
    assertEquals(toy.read(name), Deno.realPathSync(toy.dir), "warm() saw the environment stages share");
  }
  const first = JSON.parse(toy.read("first.json"));
  assert(!warmPids.includes(first.pid), "the first stage's host did not warm before it");
  const records = ["b", "c"].map((n) => JSON.parse(toy.read(`${n}.json`)));
  assertEquals(records.map((x) => x.stage), ["b", "c"]);
  for (const x of records) {
    assertEquals(x.warmed, warmPids.includes(x.pid), "a stage in a warmed host finds it warmed");
  }
  assert([first, ...records].every((x) => [...warmPids, first.pid].includes(x.pid)), "no other host started");
  assert(warmPids.every((pid) => !alive(pid)), "the hosts ended with the run");

  for (const name of warmFiles()) Deno.removeSync(`${toy.dir}/${name}`);
  const again = await toy.cli("repro", "--executor", "persistent", "--jobs", "8");
  assertEquals(again.code, 0, again.out);
  assertEquals(warmFiles(), [], "nothing ran, so no host started");
});

Deno.test("persistent: shell commands and modules without main run as processes", async () => {
  await using toy = await makeToy({
    stages: {
      hosted: stage("hosted"),
      script: { cmd: "deno run -A script.ts", deps: ["script.ts"], outs: ["script.json"] },
      shell: { cmd: "echo $$ > shell.pid", outs: ["shell.pid"] },
    },
  }, { hosted: 1 });
  toy.write("stage.ts", STAGE_MODULE);
  toy.write("script.ts", SCRIPT_MODULE);
  const r = await toy.cli("repro", "--executor", "persistent", "--jobs", "1");
  assertEquals(r.code, 0, r.out);
  const hostPid = JSON.parse(toy.read("hosted.json")).pid;
  assert(JSON.parse(toy.read("script.json")).pid !== hostPid, "the script ran in a process of its own");
  assert(Number(toy.read("shell.pid")) !== hostPid);
  assertMatch(r.out, /script │ \$ deno run -A script\.ts\n/, "no host named for the script's command");
});

Deno.test("persistent: an interrupt ends the host; so does a runner killed with SIGKILL", async () => {
  for (const signal of ["SIGINT", "SIGKILL"] as const) {
    await using toy = await makeToy({ stages: { nap: stage("nap", "sleep") } }, { nap: 1 });
    toy.write("stage.ts", STAGE_MODULE);
    const child = spawnCli(toy.dir, ["repro", "--executor", "persistent"]);
    await waitFor("the stage to start", () => toy.exists("nap.pid"));
    const hostPid = Number(toy.read("nap.pid"));
    assert(alive(hostPid));
    child.kill(signal);
    const status = await child.output();
    if (signal === "SIGINT") assertEquals(status.code, 130, new TextDecoder().decode(status.stderr));
    await waitFor(`the host to end after ${signal}`, () => !alive(hostPid));
  }
});
