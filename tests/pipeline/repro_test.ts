import { deepStrictEqual as assertEquals, match as assertMatch, ok as assert } from "node:assert/strict";
import { counted, makeToy, spawnCli } from "./helpers.ts";

/** prep -> (left, right) -> join; left reads param p.left, right reads p.right. */
function diamond() {
  return {
    stages: {
      prep: { cmd: counted("prep", "echo base > base.txt"), deps: ["input.txt"], outs: ["base.txt"] },
      left: {
        cmd: counted("left", "cat base.txt > left.txt && echo ${p.left} >> left.txt"),
        deps: ["base.txt"],
        params: ["p.left"],
        outs: ["left.txt"],
      },
      right: {
        cmd: counted("right", "mkdir -p right && cp base.txt right/a && echo ${p.right} > right/b"),
        deps: ["base.txt"],
        params: ["p.right"],
        outs: ["right"],
      },
      join: {
        cmd: counted("join", "cat left.txt right/b > join.txt"),
        deps: ["left.txt", "right"],
        outs: ["join.txt"],
      },
    },
  };
}

Deno.test("a second repro runs nothing", async () => {
  await using toy = await makeToy(diamond(), { p: { left: 1, right: 2 } });
  toy.write("input.txt", "x");
  assertEquals((await toy.cli("repro")).code, 0);
  assertEquals(toy.runs(), { prep: 1, left: 1, right: 1, join: 1 });
  const second = await toy.cli("repro");
  assertEquals(second.code, 0);
  assertMatch(second.out, /Everything is up to date/);
  assertEquals(toy.runs(), { prep: 1, left: 1, right: 1, join: 1 });
});

Deno.test("changing one param reruns only its dependants; reverting restores from the run-cache", async () => {
  await using toy = await makeToy(diamond(), { p: { left: 1, right: 2 } });
  toy.write("input.txt", "x");
  await toy.cli("repro");
  toy.write("params.yaml", "p:\n  left: 10\n  right: 2\n");
  const status = await toy.cli("status", "--json");
  const plan = Object.fromEntries(
    JSON.parse(status.out).map((d: { stage: string; action: string }) => [d.stage, d.action]),
  );
  assertEquals(plan, { prep: "up-to-date", left: "run", right: "up-to-date", join: "run" });
  await toy.cli("repro");
  assertEquals(toy.runs(), { prep: 1, left: 2, right: 1, join: 2 });
  assertEquals(toy.read("left.txt"), "base\n10\n");

  toy.write("params.yaml", "p:\n  left: 1\n  right: 2\n");
  const dry = await toy.cli("repro", "--dry");
  assertMatch(dry.out, /restore\s+left/);
  assertMatch(dry.out, /restore\s+join/);
  const back = await toy.cli("repro");
  assertMatch(back.out, /0 ran, 2 restored/);
  assertEquals(toy.runs(), { prep: 1, left: 2, right: 1, join: 2 }, "nothing ran");
  assertEquals(toy.read("left.txt"), "base\n1\n");
  assertEquals(toy.read("join.txt"), "base\n1\n2\n");
});

Deno.test("--set overrides params for one run, records them in the lock, and leaves params.yaml alone", async () => {
  await using toy = await makeToy(diamond(), { p: { left: 1, right: 2 } });
  toy.write("input.txt", "x");
  assertEquals((await toy.cli("repro", "--set", "p.left=7")).code, 0);
  assertEquals(toy.read("left.txt"), "base\n7\n");
  assertMatch(toy.read("pipeline.lock"), /p\.left: 7/);
  assertEquals(toy.read("params.yaml"), "p:\n  left: 1\n  right: 2\n");
  const bad = await toy.cli("repro", "--set", "p.lft=7");
  assertEquals(bad.code, 2);
  assertMatch(bad.out, /no key 'p\.lft'.*did you mean 'p\.left'/);
});

Deno.test("a failed stage leaves the previous outputs and the lock as they were", async () => {
  await using toy = await makeToy(diamond(), { p: { left: 1, right: 2 } });
  toy.write("input.txt", "x");
  await toy.cli("repro");
  const lock = toy.read("pipeline.lock");
  toy.write(
    "pipeline.yaml",
    toy.read("pipeline.yaml").replace("echo ${p.left} >> left.txt", "echo partial > left.txt && exit 3"),
  );
  const r = await toy.cli("repro");
  assertEquals(r.code, 1);
  assertMatch(r.out, /left: command exited with code 3; previous outputs were put back/);
  assertMatch(r.out, /last \d+ lines of left's log/);
  assertMatch(r.out, /not run \([^)]*join/);
  assertEquals(toy.read("left.txt"), "base\n1\n");
  assertEquals(toy.read("pipeline.lock"), lock);
});

Deno.test("a stage that does not write a declared out fails and records nothing", async () => {
  await using toy = await makeToy({ stages: { a: { cmd: "true", outs: ["never.txt"] } } }, {});
  const r = await toy.cli("repro");
  assertEquals(r.code, 1);
  assertMatch(r.out, /did not write its declared out 'never\.txt'/);
  assert(!toy.exists("pipeline.lock"));
});

Deno.test("a killed repro changes nothing, and the next repro picks up where it stopped", async () => {
  await using toy = await makeToy({
    stages: {
      fast: { cmd: counted("fast", "echo ${v} > fast.txt"), params: ["v"], outs: ["fast.txt"] },
      slow: {
        cmd: counted("slow", "echo partial > slow.txt && sleep 30 && echo ${v} > slow.txt"),
        deps: ["fast.txt"],
        params: ["v"],
        outs: ["slow.txt"],
      },
    },
  }, { v: 1 });
  toy.write("pipeline.yaml", toy.read("pipeline.yaml").replace("sleep 30 && ", ""));
  await toy.cli("repro");
  const lock = toy.read("pipeline.lock");
  toy.write(
    "pipeline.yaml",
    toy.read("pipeline.yaml").replace(
      "echo partial > slow.txt && ",
      "echo partial > slow.txt && sleep 30 && ",
    ),
  );
  toy.write("params.yaml", "v: 2\n");
  const child = spawnCli(toy.dir, ["repro"]);
  for (let i = 0; i < 100 && (toy.runs().slow ?? 0) < 2; i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 300));
  assertEquals(toy.read("slow.txt"), "partial\n", "the stage was running");
  child.kill("SIGTERM");
  const status = await child.status;
  await child.stdout.cancel();
  await child.stderr.cancel();
  assertEquals(status.code, 130);
  assertEquals(toy.read("slow.txt"), "1\n", "previous output put back");
  assertEquals(toy.read("fast.txt"), "2\n", "the finished stage kept its result");
  assert(toy.read("pipeline.lock") !== lock, "the finished stage was recorded");
  assertMatch(toy.read("pipeline.lock"), /slow:[\s\S]*v: 1/);
  toy.write("pipeline.yaml", toy.read("pipeline.yaml").replace("sleep 30 && ", ""));
  const again = await toy.cli("repro");
  assertMatch(again.out, /1 ran, 0 restored, 1 up to date/);
  assertEquals(toy.read("slow.txt"), "2\n");
});

Deno.test("--jobs 2 runs two independent stages at once: each waits for the other to have started", async () => {
  const marks = await Deno.makeTempDir();
  // Each stage announces itself, then waits (up to 30 s) for the other: run one after the other, the first fails.
  const rendezvous = (me: string, other: string) =>
    `touch ${marks}/${me} && for i in $(seq 300); do [ -e ${marks}/${other} ] && break; sleep 0.1; done && ` +
    `[ -e ${marks}/${other} ] && echo ${me} > ${me}.txt`;
  try {
    await using toy = await makeToy({
      stages: {
        a: { cmd: rendezvous("a", "b"), outs: ["a.txt"] },
        b: { cmd: rendezvous("b", "a"), outs: ["b.txt"] },
      },
    }, {});
    const r = await toy.cli("repro", "--jobs", "2");
    assertEquals(r.code, 0, r.out);
    assertEquals([toy.read("a.txt"), toy.read("b.txt")], ["a\n", "b\n"]);
  } finally {
    await Deno.remove(marks, { recursive: true });
  }
});

Deno.test("resources limit concurrency: two gpu:1 stages with a pool of one gpu run one after the other", async () => {
  await using toy = await makeToy({
    resources: { gpu: 1 },
    stages: {
      // Each records its GPU and when it started and ended (ns); the intervals must not overlap.
      a: {
        cmd: "s=$(date +%s%N); sleep 0.3; echo $CUDA_VISIBLE_DEVICES $s $(date +%s%N) > a.txt",
        outs: ["a.txt"],
        resources: { gpu: 1 },
      },
      b: {
        cmd: "s=$(date +%s%N); sleep 0.3; echo $CUDA_VISIBLE_DEVICES $s $(date +%s%N) > b.txt",
        outs: ["b.txt"],
        resources: { gpu: 1 },
      },
    },
  }, {});
  assertEquals((await toy.cli("repro", "--jobs", "2")).code, 0);
  const [ga, sa, ea] = toy.read("a.txt").trim().split(" ");
  const [gb, sb, eb] = toy.read("b.txt").trim().split(" ");
  assertEquals([ga, gb], ["0", "0"]);
  assert(BigInt(ea) <= BigInt(sb) || BigInt(eb) <= BigInt(sa), "stages sharing one gpu must not overlap");
  const tooMany = await toy.cli("repro", "--force", "--resources", "gpu=0");
  assertEquals(tooMany.code, 2);
  assertMatch(tooMany.out, /needs gpu=1 but the pool has gpu=0/);
});

Deno.test("--keep-going runs what does not depend on the failure", async () => {
  await using toy = await makeToy({
    stages: {
      bad: { cmd: "exit 1", outs: ["bad.txt"] },
      after: { cmd: "cat bad.txt > after.txt", deps: ["bad.txt"], outs: ["after.txt"] },
      other: { cmd: "echo ok > other.txt", outs: ["other.txt"] },
    },
  }, {});
  const r = await toy.cli("repro", "--keep-going");
  assertEquals(r.code, 1);
  assertEquals(toy.read("other.txt"), "ok\n");
  assert(!toy.exists("after.txt"));
  assertMatch(r.out, /not run \(after\)/);
});

Deno.test("a second repro waits for the first and neither corrupts the lock", async () => {
  await using toy = await makeToy({
    stages: { a: { cmd: counted("a", "sleep 1 && echo a > a.txt"), outs: ["a.txt"] } },
  }, {});
  const first = spawnCli(toy.dir, ["repro"]);
  await new Promise((r) => setTimeout(r, 400));
  const second = await toy.cli("repro");
  const firstOut = await first.output();
  assertEquals(firstOut.code, 0);
  assertEquals(second.code, 0);
  assertMatch(second.out, /another repro \(pid \d+\) is running in this project; waiting/);
  assertMatch(second.out, /Everything is up to date/);
  assertEquals(toy.runs(), { a: 1 });
  const status = await toy.cli("status");
  assertMatch(status.out, /Everything is up to date/);
});

Deno.test("a damaged cache object is detected before restore, and the stage reruns", async () => {
  await using toy = await makeToy({
    stages: { a: { cmd: counted("a", "echo ${v} > a.txt"), params: ["v"], outs: ["a.txt"] } },
  }, { v: 1 });
  await toy.cli("repro");
  toy.write("params.yaml", "v: 2\n");
  await toy.cli("repro");
  const digest = await new Deno.Command("sha256sum", { args: [`${toy.dir}/a.txt`] }).output();
  assert(digest.success);
  // damage the object of the v=1 result
  const objects = [...Deno.readDirSync(`${toy.dir}/.pipeline/cache/objects`)];
  let damaged = 0;
  for (const p of objects) {
    for (const o of Deno.readDirSync(`${toy.dir}/.pipeline/cache/objects/${p.name}`)) {
      const path = `${toy.dir}/.pipeline/cache/objects/${p.name}/${o.name}`;
      if (Deno.readTextFileSync(path) === "1\n") {
        Deno.chmodSync(path, 0o644);
        Deno.writeTextFileSync(path, "9\n");
        damaged++;
      }
    }
  }
  assertEquals(damaged, 1);
  toy.write("params.yaml", "v: 1\n");
  const r = await toy.cli("repro");
  assertEquals(r.code, 0);
  assertMatch(r.out, /damaged on disk; it was removed; running the stage instead/);
  assertEquals(toy.read("a.txt"), "1\n");
  assertEquals(toy.runs(), { a: 3 });
});

Deno.test("deleted outputs are restored from the cache without running", async () => {
  await using toy = await makeToy({
    stages: { a: { cmd: counted("a", "mkdir -p d/sub && echo 1 > d/x && echo 2 > d/sub/y"), outs: ["d"] } },
  }, {});
  await toy.cli("repro");
  Deno.removeSync(`${toy.dir}/d`, { recursive: true });
  const status = await toy.cli("status");
  assertMatch(status.out, /restore\s+out 'd' deleted/);
  await toy.cli("repro");
  assertEquals(toy.read("d/sub/y"), "2\n");
  assertEquals(toy.runs(), { a: 1 });
});

Deno.test("after a runner killed with SIGKILL, the next repro puts the previous outputs back first", async () => {
  await using toy = await makeToy({
    stages: { slow: { cmd: counted("slow", "echo ${v} > out.txt"), params: ["v"], outs: ["out.txt"] } },
  }, { v: 1 });
  await toy.cli("repro");
  const marker = `hardkill-${crypto.randomUUID().slice(0, 8)}`;
  toy.write(
    "pipeline.yaml",
    toy.read("pipeline.yaml").replace(
      "echo ${v} > out.txt",
      `echo partial > out.txt && sleep 30 # ${marker}`,
    ),
  );
  toy.write("params.yaml", "v: 2\n");
  const child = spawnCli(toy.dir, ["repro"]);
  for (let i = 0; i < 100 && (toy.runs().slow ?? 0) < 2; i++) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 300));
  child.kill("SIGKILL");
  await child.status;
  await child.stdout.cancel();
  await child.stderr.cancel();
  await new Deno.Command("pkill", { args: ["-KILL", "-f", marker] }).output(); // the machine "crashed": no orphan
  assertEquals(toy.read("out.txt"), "partial\n", "the half-written output is in place");
  toy.write(
    "pipeline.yaml",
    toy.read("pipeline.yaml").replace(
      `echo partial > out.txt && sleep 30 # ${marker}`,
      "echo ${v} > out.txt",
    ),
  );
  toy.write("params.yaml", "v: 1\n");
  const r = await toy.cli("repro");
  assertMatch(r.out, /a previous run of 'slow' was interrupted; its previous outputs were put back/);
  assertMatch(r.out, /Everything is up to date/, "the restored outputs match the lock: nothing to run");
  assertEquals(toy.read("out.txt"), "1\n");
});
