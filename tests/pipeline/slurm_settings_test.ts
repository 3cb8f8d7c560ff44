/** Slurm settings: resource mapping, precedence, validation of the config file, stages and --slurm. */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  throws as assertThrows,
} from "node:assert/strict";
import { loadConfig } from "../../pipeline/config.ts";
import {
  mergeSlurmSettings,
  parseSlurmOverrides,
  sbatchResourceArgs,
} from "../../pipeline/executors/slurm_settings.ts";
import { RunningJournal } from "../../pipeline/running.ts";
import { makeToy } from "./helpers.ts";

Deno.test("slurm settings: resources become sbatch options, the stage's resources over the site defaults", () => {
  const site = { partition: "gpu", account: "lab", qos: "normal", cpus: 2, mem: "4G", time: "1:00:00" };
  assertEquals(sbatchResourceArgs(site, { gpu: 2, mem: 8000, threads: 3 }), [
    "--partition=gpu",
    "--account=lab",
    "--qos=normal",
    "--gres=gpu:2",
    "--cpus-per-task=2",
    "--mem=8000",
    "--time=1:00:00",
  ]);
  assertEquals(sbatchResourceArgs({ gpu_flag: "gpus" }, { gpu: 1, time: 90 }), ["--gpus=1", "--time=90"]);
  assertEquals(sbatchResourceArgs({}, { gpu: 0 }), []);
});

Deno.test("slurm settings: later layers win key by key, extra_args accumulate", () => {
  const merged = mergeSlurmSettings(
    { partition: "a", time: 10, extra_args: ["--nice=5"] },
    { partition: "b", extra_args: ["--exclusive"] },
    { time: 20 },
  );
  assertEquals(merged, { partition: "b", time: 20, extra_args: ["--nice=5", "--exclusive"] });
});

Deno.test("slurm settings: --slurm values are parsed and validated", () => {
  assertEquals(parseSlurmOverrides(["partition=gpu", "cpus=4", 'extra_args=["--exclusive"]']), {
    partition: "gpu",
    cpus: 4,
    extra_args: ["--exclusive"],
  });
  assertThrows(() => parseSlurmOverrides(["partitio=gpu"]), /partitio/);
  assertThrows(() => parseSlurmOverrides(["time=soon"]), /--slurm time: .*Slurm time/);
  assertThrows(() => parseSlurmOverrides(["gpu"]), /expected key=value/);
});

Deno.test("config: tracked and local files merge; a bad key names the file, line and key", async () => {
  await using toy = await makeToy({ stages: { a: { cmd: "true" } } }, {});
  toy.write("pipeline.config.yaml", "executor: slurm\nslurm:\n  partition: gpu\n  time: 30\n");
  toy.write(".pipeline/config.local.yaml", "slurm:\n  account: mylab\n");
  assertEquals(await loadConfig(toy.dir), {
    executor: "slurm",
    slurm: { partition: "gpu", time: 30, account: "mylab" },
  });
  toy.write(".pipeline/config.local.yaml", "slurm:\n  acount: mylab\n");
  const e = await loadConfig(toy.dir).then(() => undefined, (e) => e as Error);
  assertMatch(e!.message, /^\.pipeline\/config\.local\.yaml:2:3: 'slurm\.acount': /);
  toy.write(".pipeline/config.local.yaml", "executor: kubernetes\n");
  const e2 = await loadConfig(toy.dir).then(() => undefined, (e) => e as Error);
  assertMatch(e2!.message, /config\.local\.yaml:1:\d+: 'executor'/);
});

Deno.test("pipeline.yaml: a stage's slurm settings are validated where they are written", async () => {
  await using toy = await makeToy({ stages: { a: { cmd: "true", slurm: { partion: "gpu" } } } }, {});
  const r = await toy.cli("status");
  assertEquals(r.code, 2, r.out);
  assertMatch(r.out, /pipeline\.yaml:5:7: slurm setting 'partion'/);
});

Deno.test("running journal: records round-trip, keep unknown sections, and a bad file is reported", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const journal = new RunningJournal(dir);
    const rec = {
      stage: "train@0-1",
      key: "ab",
      executor: "slurm",
      log: "/x.log",
      started: "2026-01-01T00:00:00Z",
      slurm: { job_id: "7", job_name: "train@0-1@ab", exit_base: "/x", attempt: 1 },
      local: { pgid: 123 },
    };
    await journal.write(rec);
    Deno.writeTextFileSync(`${dir}/running/bad.json`, "{}");
    const bad: string[] = [];
    assertEquals(await journal.list((p) => bad.push(p)), [rec]);
    assertEquals(bad, [`${dir}/running/bad.json`]);
    await journal.remove("train@0-1");
    assertEquals(await journal.list(), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--executor slurm without Slurm's client says what to install, before running anything", async () => {
  await using toy = await makeToy({ stages: { a: { cmd: "touch a.txt", outs: ["a.txt"] } } }, {});
  const cli = new URL("../../pipeline/cli.ts", import.meta.url).pathname;
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", cli, "-C", toy.dir, "repro", "--executor", "slurm"],
    env: { PATH: "/nonexistent", CI: "" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = new TextDecoder().decode(r.stderr) + new TextDecoder().decode(r.stdout);
  assertEquals(r.code, 2, out);
  assertMatch(out, /'sbatch' not found: --executor slurm needs Slurm's client commands/);
  assertEquals(toy.exists("a.txt"), false);
});
