import { deepStrictEqual as assertEquals, match as assertMatch, ok as assert } from "node:assert/strict";
import { parseLock } from "../../pipeline/lock.ts";
import { readRunRecords, renderRunRecords } from "../../pipeline/run_records.ts";
import { makeToy } from "./helpers.ts";

Deno.test("run records: the runner's facts and the stage's own, beside the logs, shown by metrics show --runs", async () => {
  await using toy = await makeToy({
    stages: {
      fast: {
        cmd:
          `sleep 0.3 && echo '{"seconds": 1.25, "backend": {"device": "toy-gpu"}}' > "$PIPELINE_RUN_RECORD" && echo 1 > a.txt`,
        outs: ["a.txt"],
      },
      silent: { cmd: "echo 2 > b.txt", outs: ["b.txt"] },
      torn: { cmd: `echo '{"half' > "$PIPELINE_RUN_RECORD" && echo 3 > c.txt`, outs: ["c.txt"] },
    },
  }, {});
  assertEquals((await toy.cli("repro")).code, 0);
  const records = await readRunRecords(`${toy.dir}/.pipeline`);
  assertEquals(records.map((r) => r.stage).sort(), ["fast", "silent", "torn"]);
  const fast = records.find((r) => r.stage === "fast")!;
  assertEquals(fast.facts, { seconds: 1.25, backend: { device: "toy-gpu" } });
  assertEquals([fast.exit_code, fast.host], [0, Deno.hostname()]);
  // Peak RSS is sampled from /proc (Linux) while the command runs; the stage lives long enough to be seen.
  assert(fast.wall_seconds >= 0 && fast.max_rss_kb! > 0, JSON.stringify(fast));
  assert(toy.exists(fast.log), `log ${fast.log} missing`);
  assertEquals(fast.key, parseLock(toy.read("pipeline.lock"), "pipeline.lock").fast.key);
  assertEquals(records.find((r) => r.stage === "silent")!.facts, undefined);
  assertMatch(records.find((r) => r.stage === "torn")!.facts_error!, /facts\.json: /);
  // The stage's facts file is folded into the record and removed; nothing else is left beside the records.
  assertEquals(
    [...Deno.readDirSync(`${toy.dir}/.pipeline/runs/fast`)].map((e) => e.name.endsWith(".facts.json")),
    [
      false,
    ],
  );
  assertEquals(toy.read("a.txt"), "1\n");

  const shown = await toy.cli("metrics", "show", "--runs", "fast");
  assertEquals(shown.code, 0, shown.out);
  assertMatch(shown.out, /^Stage +Started +Wall +Exit +Peak RSS +Host +Stage facts\n/);
  assertMatch(
    shown.out,
    /fast +\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ +\d+\.\ds +0 +\d+ MiB +\S+ +seconds=1\.25 backend\.device=toy-gpu/,
  );
  assert(!shown.out.includes("silent"));
  assertEquals((await toy.cli("metrics", "show", "--runs", "--last", "x")).code, 2);
});

Deno.test("run records: a failed run is recorded with its exit code; --last keeps the newest per stage", async () => {
  await using toy = await makeToy({
    stages: { flaky: { cmd: `test -e ok || exit 3; echo 1 > a.txt`, outs: ["a.txt"] } },
  }, {});
  assertEquals((await toy.cli("repro")).code, 1);
  toy.write("ok", "");
  assertEquals((await toy.cli("repro")).code, 0);
  const all = await readRunRecords(`${toy.dir}/.pipeline`);
  assertEquals(all.map((r) => r.exit_code), [0, 3]); // newest first
  assertEquals((await readRunRecords(`${toy.dir}/.pipeline`, { last: 1 })).map((r) => r.exit_code), [0]);
  const json = await toy.cli("metrics", "show", "--runs", "--json");
  assertEquals(JSON.parse(json.out).map((r: { exit_code: number }) => r.exit_code), [0, 3]);
});

Deno.test("run records: an unreadable record is skipped with a warning naming it; none yet is said so", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assertMatch(renderRunRecords(await readRunRecords(dir)), /No run records yet/);
    await Deno.mkdir(`${dir}/runs/s`, { recursive: true });
    await Deno.writeTextFile(`${dir}/runs/s/2026-01-01T00-00-00-000Z.json`, '{"stage": 1}');
    const warnings: string[] = [];
    assertEquals(await readRunRecords(dir, {}, (m) => warnings.push(m)), []);
    assertMatch(warnings[0], /skipping run record .*runs\/s\/2026-01-01T00-00-00-000Z\.json: field 'stage' /);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
