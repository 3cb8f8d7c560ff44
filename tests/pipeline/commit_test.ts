import { deepStrictEqual as assertEquals, match as assertMatch, ok as assert } from "node:assert/strict";
import { makeToy } from "./helpers.ts";

const PIPELINE = {
  stages: {
    model: {
      cmd: "echo model >> runs.log && cat data.txt code.txt > model.txt",
      deps: ["data.txt", "code.txt"],
      outs: ["model.txt"],
    },
    score: {
      cmd: "echo score >> runs.log && wc -c < model.txt > score.txt",
      deps: ["model.txt"],
      outs: ["score.txt"],
    },
  },
};

Deno.test("commit: a changed dep is vouched for without running; the run-cache and lock carry the result", async () => {
  await using toy = await makeToy(PIPELINE, {});
  toy.write("data.txt", "d\n");
  toy.write("code.txt", "c\n");
  assertEquals((await toy.cli("repro")).code, 0);
  assertEquals(toy.runs(), { model: 1, score: 1 });
  const model = toy.read("model.txt");

  toy.write("code.txt", "c\n"); // same bytes: nothing to commit
  const none = await toy.cli("commit");
  assertEquals(none.code, 0, none.out);
  assertMatch(none.out, /0 of 2 stage\(s\) committed without running\./);

  toy.write("code.txt", "c # a comment that changes nothing the stage writes\n");
  assertEquals((await toy.cli("status", "-q")).code, 1, "the changed dep makes model out of date");
  const lockBefore = toy.read("pipeline.lock");
  const done = await toy.cli("commit", "model");
  assertEquals(done.code, 0, done.out);
  assertMatch(done.out, /committed model \([^)]*code\.txt[^)]*\)/);
  assertMatch(done.out, /1 of 1 stage\(s\) committed without running\./);
  assertEquals(toy.runs(), { model: 1, score: 1 }, "commit ran a command");
  assertEquals(toy.read("model.txt"), model, "commit changed the out");
  assert(toy.read("pipeline.lock") !== lockBefore, "the lock records the new dep");
  const status = await toy.cli("status", "-q");
  assertEquals(status.code, 0, `everything up to date after the commit: ${status.out}`);
  assertMatch((await toy.cli("repro")).out, /Everything is up to date/);
  assertEquals(toy.runs(), { model: 1, score: 1 });

  // The run-cache entry: back to the old code (restored from the first run's entry), then to the committed code
  // again, which only the commit's run-cache entry can restore without running.
  toy.write("code.txt", "c\n");
  assertEquals((await toy.cli("repro")).code, 0);
  toy.write("code.txt", "c # a comment that changes nothing the stage writes\n");
  Deno.removeSync(`${toy.dir}/model.txt`);
  const again = await toy.cli("repro");
  assertEquals(again.code, 0, again.out);
  assertMatch(again.out, /model: restored/);
  assertEquals(toy.runs(), { model: 1, score: 1 }, "the committed result was not in the run-cache");
  assertEquals(toy.read("model.txt"), model);
});

Deno.test("commit: a missing out is an error naming it, and nothing is recorded", async () => {
  await using toy = await makeToy(PIPELINE, {});
  toy.write("data.txt", "d\n");
  toy.write("code.txt", "c\n");
  assertEquals((await toy.cli("repro")).code, 0);
  toy.write("code.txt", "c2\n");
  Deno.removeSync(`${toy.dir}/score.txt`);
  const lockBefore = toy.read("pipeline.lock");
  const r = await toy.cli("commit");
  assert(r.code !== 0, r.out);
  assertMatch(r.out, /cannot commit 'score': its out 'score\.txt' is not in the workspace/);
  assertEquals(toy.read("pipeline.lock"), lockBefore, "a failed commit changed the lock");
  assertEquals((await toy.cli("status", "-q")).code, 1);
});
