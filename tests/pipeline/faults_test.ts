/**
 * The runner under faults that used to lose data or record a wrong result: outs that name the project or the
 * runner's files, a journal that names them, and a runner killed (SIGKILL, SIGHUP) while its stage runs.
 */
import { deepStrictEqual as assertEquals, match as assertMatch, ok as assert } from "node:assert/strict";
import { alive, counted, makeToy, spawnCli, waitFor } from "./helpers.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function reap(child: Deno.ChildProcess): Promise<Deno.CommandStatus> {
  const status = await child.status;
  await child.stdout.cancel();
  await child.stderr.cancel();
  return status;
}

function killQuietly(pid: number) {
  try {
    Deno.kill(pid, "SIGKILL");
  } catch { /* gone */ }
}

Deno.test("an out that is or contains the project root or the runner's files is refused at parse time", async () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    [".", {}, /is the project root/],
    ["", {}, /is the project root/],
    ["./", {}, /is the project root/],
    ["sub/..", {}, /resolved to '\.'.*is the project root/],
    ["..", { wdir: "sub" }, /resolved to '\.'.*is the project root/],
    [".git", {}, /is a '\.git' directory/],
    [".git/hooks", {}, /lies inside a '\.git' directory/],
    [".pipeline/cache", {}, /lies inside a '\.pipeline' directory/],
    ["pipeline.yaml", {}, /is the runner's file pipeline\.yaml/],
    ["params.yaml", {}, /is the runner's file params\.yaml/],
    ["../pipeline.lock", { wdir: "sub" }, /is the runner's file pipeline\.lock/],
  ];
  for (const [out, extra, why] of cases) {
    await using toy = await makeToy(
      `# a comment line\nstages:\n  s:\n    cmd: echo hi > o.txt\n    outs: [${JSON.stringify(out)}]\n` +
        Object.entries(extra).map(([k, v]) => `    ${k}: ${v}\n`).join(""),
      {},
    );
    const r = await toy.cli("status");
    assertEquals(r.code, 2, `out '${out}': ${r.out}`);
    assertMatch(r.out, /pipeline\.yaml:5:\d+: out /, `out '${out}' names file and line`);
    assertMatch(r.out, why, `out '${out}'`);
  }
});

Deno.test("the issue's recipe: an out '.' never deletes the project, before or after the YAML is fixed", async () => {
  await using toy = await makeToy({ stages: { s: { cmd: "echo hi > o.txt", outs: ["."] } } }, {});
  toy.write("precious.txt", "precious\n");
  toy.write(".git/HEAD", "ref: refs/heads/main\n");
  const first = await toy.cli("repro");
  assertEquals(first.code, 2);
  assertMatch(first.out, /out '\.' is the project root/);
  toy.write("pipeline.yaml", "stages:\n  s: {cmd: 'echo hi > o.txt', outs: [o.txt]}\n");
  const second = await toy.cli("repro");
  assertEquals(second.code, 0, second.out);
  assertEquals(toy.read("precious.txt"), "precious\n");
  assertEquals(toy.read(".git/HEAD"), "ref: refs/heads/main\n");
  assertEquals(toy.read("o.txt"), "hi\n");
});

Deno.test("recovery refuses a journal naming a path outside the declared outs, and deletes nothing", async () => {
  for (
    const bad of [{ moved: [], absent: [""] }, { moved: [".."], absent: [] }, { moved: [], absent: [".git"] }]
  ) {
    await using toy = await makeToy({ stages: { s: { cmd: "echo hi > o.txt", outs: ["o.txt"] } } }, {});
    toy.write("precious.txt", "precious\n");
    toy.write(".git/HEAD", "ref\n");
    toy.write(".pipeline/tmp/s/journal.json", JSON.stringify({ stage: "s", ...bad }));
    toy.write(".pipeline/tmp/s/files/keep.txt", "backup\n");
    const r = await toy.cli("repro");
    assertEquals(r.code, 2, r.out);
    assertMatch(r.out, /backup of stage 's': refusing to move or remove/);
    assertEquals(toy.read("precious.txt"), "precious\n");
    assertEquals(toy.read(".git/HEAD"), "ref\n");
    assertEquals(toy.read(".pipeline/tmp/s/files/keep.txt"), "backup\n", "the backup is left for the user");
  }
});

Deno.test("a damaged backup journal is an error naming it, and the backup is kept", async () => {
  await using toy = await makeToy({ stages: { s: { cmd: "echo hi > o.txt", outs: ["o.txt"] } } }, {});
  toy.write(".pipeline/tmp/s/journal.json", '{"stage": 3}');
  toy.write(".pipeline/tmp/s/files/o.txt", "old\n");
  const r = await toy.cli("repro");
  assertEquals(r.code, 2);
  assertMatch(r.out, /journal\.json: the backup journal of an interrupted run is damaged/);
  assertEquals(toy.read(".pipeline/tmp/s/files/o.txt"), "old\n");
});

/** A toy whose stage writes its pid, a partial out, then sleeps; `late.txt` would be written after the sleep. */
async function sleeper() {
  const toy = await makeToy({
    stages: {
      slow: {
        cmd: counted(
          "slow",
          "echo $$ > pid.txt && echo ${v} > out.txt && sleep ${nap} && echo late > late.txt",
        ),
        params: ["v", "nap"],
        outs: ["out.txt"],
      },
    },
  }, { v: 1, nap: 0 });
  const r = await toy.cli("repro");
  assertEquals(r.code, 0, r.out);
  Deno.removeSync(`${toy.dir}/late.txt`);
  toy.write("params.yaml", "v: 2\nnap: 30\n");
  return toy;
}

async function startedSleeper(toy: Awaited<ReturnType<typeof sleeper>>) {
  const child = spawnCli(toy.dir, ["repro"]);
  await waitFor("the stage to start", () => {
    try {
      return toy.exists("pid.txt") && toy.read("out.txt") === "2\n";
    } catch {
      return false;
    }
  });
  return { child, stagePid: Number(toy.read("pid.txt").trim()) };
}

Deno.test("a stage dies with a runner killed by SIGKILL", async () => {
  await using toy = await sleeper();
  const { child, stagePid } = await startedSleeper(toy);
  try {
    assert(alive(stagePid));
    child.kill("SIGKILL");
    await reap(child);
    await waitFor("the stage to end after the runner died", () => !alive(stagePid));
  } finally {
    killQuietly(stagePid);
  }
  toy.write("params.yaml", "v: 1\nnap: 0\n");
  const r = await toy.cli("repro");
  assertMatch(r.out, /a previous run of 'slow' was interrupted; its previous outputs were put back/);
  assertMatch(r.out, /Everything is up to date/);
  assertEquals(toy.read("out.txt"), "1\n");
  assert(!toy.exists("late.txt"));
});

Deno.test("a stage left running by a dead runner is journaled, ended by the next repro, and never recorded", async () => {
  await using toy = await sleeper();
  const { child, stagePid } = await startedSleeper(toy);
  try {
    const journalText = () => toy.read(".pipeline/tmp/slow/journal.json");
    await waitFor("the process group in the journal", () => journalText().includes('"pgid"'));
    const journal = JSON.parse(journalText());
    assertEquals(journal.running.pgid, stagePid, "the stage's process group is in the journal");
    assertMatch(journal.running.runId, /^[0-9a-f-]{36}$/);
    // The worst case: the runner and its watchdog die together (e.g. a cgroup OOM kill that spares the stage).
    const watchdogs = [...Deno.readDirSync("/proc")].map((e) => e.name).filter((n) => /^\d+$/.test(n))
      .filter((pid) => {
        try {
          const cmdline = Deno.readTextFileSync(`/proc/${pid}/cmdline`);
          return cmdline.includes("pipeline-watchdog") && cmdline.includes(`\0${stagePid}`);
        } catch {
          return false;
        }
      });
    assertEquals(watchdogs.length, 1, "one watchdog guards the stage");
    killQuietly(Number(watchdogs[0]));
    child.kill("SIGKILL");
    await reap(child);
    await sleep(500);
    assert(alive(stagePid), "the orphan is still running");
    toy.write("params.yaml", "v: 1\nnap: 0\n");
    const r = await toy.cli("repro");
    assertMatch(
      r.out,
      /stage 'slow' of an interrupted run is still running \(process group \d+, pids [\d ]+\); ending it/,
    );
    assert(!alive(stagePid), "the orphan was ended before recovery");
    assertEquals(r.code, 0, r.out);
    assertMatch(r.out, /Everything is up to date/, "the previous result is back and matches the lock");
    assertEquals(toy.read("out.txt"), "1\n");
  } finally {
    killQuietly(stagePid);
  }
  assert(!toy.exists("late.txt"), "the orphan wrote nothing after recovery");
});

Deno.test("SIGHUP (a closed terminal) stops the run like Ctrl-C and puts the outputs back", async () => {
  await using toy = await sleeper();
  const { child, stagePid } = await startedSleeper(toy);
  try {
    child.kill("SIGHUP");
    const status = await reap(child);
    assertEquals(status.code, 130);
    await waitFor("the stage to end", () => !alive(stagePid));
  } finally {
    killQuietly(stagePid);
  }
  assertEquals(toy.read("out.txt"), "1\n");
  assert(!toy.exists(".pipeline/tmp/slow"));
});
