/**
 * The Slurm executor against a real Slurm (`bash tools/services/slurm.sh start`, two emulated nodes). Skipped
 * with a loud message when no Slurm is up; a failure in CI.
 */
import { deepStrictEqual as assertEquals, match as assertMatch, ok as assert } from "node:assert/strict";
import { counted, makeToy, runCli, spawnCli } from "./helpers.ts";
import {
  finish,
  liveJobsOfStage,
  serviceScript,
  slurmCmd,
  slurmTestsEnabled,
  waitFor,
} from "./slurm_helpers.ts";

const enabled = slurmTestsEnabled();
const opts = { ignore: !enabled, sanitizeOps: false, sanitizeResources: false };

/** The journal record of a stage, once it names a job id. */
function journaledJob(dir: string, stage: string): string | undefined {
  try {
    const rec = JSON.parse(Deno.readTextFileSync(`${dir}/.pipeline/running/${stage}.json`));
    return rec.slurm?.job_id;
  } catch {
    return undefined;
  }
}

function assertStringIncludes(text: string, part: string): void {
  assert(text.includes(part), `expected ${JSON.stringify(part)} in:\n${text}`);
}

function jobState(id: string): string {
  return slurmCmd("squeue", "-h", "-t", "all", "-j", id, "-o", "%T").trim();
}

Deno.test("slurm: a toy pipeline runs as Slurm jobs, and a second repro runs nothing", opts, async () => {
  await using toy = await makeToy({
    stages: {
      a: { cmd: counted("a", 'echo "$SLURM_JOB_ID" > a.txt'), outs: ["a.txt"] },
      b: {
        cmd: counted("b", 'cat a.txt > b.txt && echo "$SLURM_JOB_ID" >> b.txt'),
        deps: ["a.txt"],
        outs: ["b.txt"],
      },
    },
  }, {});
  const first = await runCli(toy.dir, ["repro", "--executor", "slurm"]);
  assertEquals(first.code, 0, first.out);
  const [idA, idB] = toy.read("b.txt").trim().split("\n");
  assertMatch(idA, /^\d+$/, "stage a saw no SLURM_JOB_ID");
  assertMatch(idB, /^\d+$/, "stage b saw no SLURM_JOB_ID");
  assert(idA !== idB, "each stage is its own job");
  const second = await runCli(toy.dir, ["repro", "--executor", "slurm"]);
  assertEquals(second.code, 0, second.out);
  assertStringIncludes(second.out, "Everything is up to date");
  assertEquals(toy.runs(), { a: 1, b: 1 });
  assert(!toy.exists(".pipeline/running/a.json"), "the journal record outlived the recorded stage");
});

Deno.test("slurm: resources and site settings arrive in the job", opts, async () => {
  await using toy = await makeToy({
    stages: {
      fit: {
        cmd: 'echo "$SLURM_JOB_ID" > id.txt',
        outs: ["id.txt"],
        resources: { gpu: 1, cpus: 2, mem: 150, time: 3 },
        slurm: { partition: "debug", extra_args: ["--comment=from-stage"] },
      },
    },
  }, {});
  toy.write("pipeline.config.yaml", "executor: slurm\nslurm:\n  extra_args: ['--nice=5']\n");
  const r = await runCli(toy.dir, ["repro", "--slurm", 'extra_args=["--comment=from-cli"]']);
  assertEquals(r.code, 0, r.out);
  const show = slurmCmd("scontrol", "-o", "show", "job", toy.read("id.txt").trim());
  assertMatch(show, /\bTRES=cpu=2,mem=150M,/);
  assertMatch(show, /\bTresPerNode=gres:gpu:1\b/);
  assertMatch(show, /\bTimeLimit=00:03:00\b/);
  assertMatch(show, /\bPartition=debug\b/);
  assertMatch(show, /\bNice=5\b/, "the config's extra_args were not passed");
  assertMatch(show, /\bComment=from-cli\b/, "the command line does not win over the stage's settings");
});

Deno.test("slurm: --jobs bounds the jobs in flight", opts, async () => {
  const stages = Object.fromEntries(["s1", "s2", "s3", "s4"].map((s) => [s, {
    cmd: `date +%s.%N > ${s}.start && sleep 3 && date +%s.%N > ${s}.end`,
    outs: [`${s}.start`, `${s}.end`],
    resources: { cpus: 1, mem: 50 },
  }]));
  await using toy = await makeToy({ stages }, {});
  const r = await runCli(toy.dir, ["repro", "--executor", "slurm", "--jobs", "2"]);
  assertEquals(r.code, 0, r.out);
  const spans = Object.keys(stages).map((
    s,
  ) => [Number(toy.read(`${s}.start`)), Number(toy.read(`${s}.end`))]);
  const overlap = (t: number) => spans.filter(([a, b]) => a <= t && t < b).length;
  const most = Math.max(...spans.map(([a]) => overlap(a)));
  assert(most <= 2, `${most} jobs ran at once with --jobs 2 (the cluster has room for 4)`);
});

Deno.test(
  "slurm: the display follows the job (PENDING with reason, RUNNING on a node); Ctrl-C cancels it, restores outputs",
  opts,
  async () => {
    await using toy = await makeToy({
      stages: {
        slow: {
          cmd: "echo new > out.txt && sleep 120",
          outs: ["out.txt"],
          slurm: { extra_args: ["--hold"] },
        },
      },
    }, {});
    toy.write("out.txt", "old\n");
    const child = spawnCli(toy.dir, ["repro", "--executor", "slurm"]);
    const id = await waitFor("the held job", 60, () => {
      const id = journaledJob(toy.dir, "slow");
      return id && jobState(id) === "PENDING" ? id : undefined;
    });
    await new Promise((r) => setTimeout(r, 2500)); // polls see it held
    slurmCmd("scontrol", "release", id);
    await waitFor("the job to run", 60, () => jobState(id) === "RUNNING" ? true : undefined);
    await new Promise((r) => setTimeout(r, 2500)); // polls see it run
    child.kill("SIGINT");
    const r = await finish(child);
    assertEquals(r.code, 130, r.out);
    assertMatch(r.out, new RegExp(`slow ⋯ job ${id} PENDING \\((JobHeldUser|JobHeldAdmin)\\)`));
    assertMatch(r.out, new RegExp(`slow ⋯ job ${id} RUNNING on ci-\\d`));
    assertEquals(liveJobsOfStage("slow"), [], `job ${id} is still queued after Ctrl-C`);
    assertEquals(jobState(id), "CANCELLED");
    assertEquals(toy.read("out.txt"), "old\n", "the previous output was not put back");
    assert(!toy.exists(".pipeline/running/slow.json"));
  },
);

Deno.test(
  "slurm: a killed runner's job keeps running; the next repro reattaches and records it once",
  opts,
  async () => {
    await using toy = await makeToy({
      stages: {
        long: { cmd: counted("long", "sleep 6 && echo done > out.txt"), outs: ["out.txt"] },
        after: { cmd: counted("after", "cp out.txt after.txt"), deps: ["out.txt"], outs: ["after.txt"] },
      },
    }, {});
    const child = spawnCli(toy.dir, ["repro", "--executor", "slurm"]);
    const id = await waitFor("the job to run", 60, () => {
      const id = journaledJob(toy.dir, "long");
      return id && jobState(id) === "RUNNING" ? id : undefined;
    });
    child.kill("SIGKILL");
    await finish(child);
    assertEquals(jobState(id), "RUNNING", "killing the runner outright must leave its job running");
    const r = await runCli(toy.dir, ["repro", "--executor", "slurm"]);
    assertEquals(r.code, 0, r.out);
    assertStringIncludes(r.out, "reattaching");
    assertEquals(toy.runs(), { long: 1, after: 1 }, "the stage ran twice (or its downstream not at all)");
    assertEquals(toy.read("after.txt"), "done\n");
    const again = await runCli(toy.dir, ["repro", "--executor", "slurm"]);
    assertStringIncludes(again.out, "Everything is up to date");
  },
);

Deno.test(
  "slurm: --cancel-running cancels a killed runner's job, puts the outputs back and runs the stage anew",
  opts,
  async () => {
    await using toy = await makeToy({
      stages: {
        long: {
          cmd: counted(
            "long",
            "echo partial > out.txt; [ -e first ] || { touch first; sleep 120; }; echo new > out.txt",
          ),
          outs: ["out.txt"],
        },
      },
    }, {});
    toy.write("out.txt", "old\n");
    const child = spawnCli(toy.dir, ["repro", "--executor", "slurm"]);
    const id = await waitFor("the job to run", 60, () => {
      const id = journaledJob(toy.dir, "long");
      return id && jobState(id) === "RUNNING" ? id : undefined;
    });
    child.kill("SIGKILL");
    await finish(child);
    const local = await runCli(toy.dir, ["repro"]);
    assertEquals(local.code, 2, local.out);
    assertStringIncludes(local.out, "--executor slurm --cancel-running");
    const r = await runCli(toy.dir, ["repro", "--executor", "slurm", "--cancel-running"]);
    assertEquals(r.code, 0, r.out);
    assertEquals(jobState(id), "CANCELLED");
    assertStringIncludes(r.out, "cancelled the slurm job of 'long'");
    assertStringIncludes(
      r.out,
      "a previous run of 'long' was interrupted; its previous outputs were put back",
    );
    assertEquals(toy.runs(), { long: 2 }, "the cancelled job and exactly one new run");
    assertEquals(toy.read("out.txt"), "new\n");
  },
);

Deno.test("slurm: a job past its time limit reports TIMEOUT", opts, async () => {
  await using toy = await makeToy({
    stages: { slow: { cmd: "sleep 300 && touch out.txt", outs: ["out.txt"], resources: { time: 1 } } },
  }, {});
  const r = await runCli(toy.dir, ["repro", "--executor", "slurm"]);
  assertEquals(r.code, 1, r.out);
  assertMatch(r.out, /Slurm job \d+ TIMEOUT: it ran past its time limit \(00:01:00\)/);
  assertStringIncludes(r.out, "raise 'time'");
  assertMatch(
    r.out,
    /--- last \d+ lines of slow's log [^\n]*\n(.*\n)*.*DUE TO TIME LIMIT/,
    "no log tail with Slurm's message",
  );
});

Deno.test(
  "slurm: a node dying mid-job fails at node level (NODE_FAIL or JobLaunchFailure); --retries 1 completes elsewhere",
  opts,
  async () => {
    await using toy = await makeToy({
      stages: {
        work: {
          cmd: counted(
            "work",
            '[ -e first.attempt ] || { touch first.attempt; sleep 300; }; echo "$SLURMD_NODENAME" > node.txt',
          ),
          outs: ["node.txt"],
          resources: { cpus: 1, mem: 50 },
        },
      },
    }, {});
    const child = spawnCli(toy.dir, ["repro", "--executor", "slurm", "--retries", "1"]);
    const [id, node] = await waitFor("the job to run", 60, () => {
      const id = journaledJob(toy.dir, "work");
      const [state, node] = id ? slurmCmd("squeue", "-h", "-j", id, "-o", "%T|%N").trim().split("|") : [];
      return state === "RUNNING" ? [id!, node] : undefined;
    });
    try {
      serviceScript("stop-node", node);
      const r = await finish(child);
      assertEquals(r.code, 0, r.out);
      // Slurm reports the dead node as NODE_FAIL, or, when it dies as the step starts, FAILED (signal 9) with
      // reason JobLaunchFailure; both are the node's failure, not the stage's.
      assertMatch(
        r.out,
        new RegExp(
          `Slurm job ${id} (NODE_FAIL|FAILED with exit code 0:9, reason JobLaunchFailure).*; resubmitting ` +
            `\\(retry 1 of 1\\)`,
        ),
      );
      const other = toy.read("node.txt").trim();
      assert(other !== "" && other !== node, `the retry ran on ${other}, the dead node was ${node}`);
      assertEquals(toy.runs(), { work: 2 });
    } finally {
      serviceScript("start-node", node);
      await waitFor(
        `node ${node} back in service`,
        60,
        () => /idle|mixed/.test(slurmCmd("sinfo", "-h", "-n", node, "-o", "%T")) ? true : undefined,
      );
    }
  },
);

Deno.test("slurm: a refused submission names the option to fix", opts, async () => {
  await using toy = await makeToy({ stages: { a: { cmd: "touch a.txt", outs: ["a.txt"] } } }, {});
  const r = await runCli(toy.dir, ["repro", "--executor", "slurm", "--slurm", "partition=nosuchpartition"]);
  assertEquals(r.code, 1, r.out);
  assertMatch(r.out, /sbatch refused the job: .*invalid partition.*; check 'partition'/i);
  assert(!toy.exists(".pipeline/running/a.json"), "a refused job left a journal record");
});
