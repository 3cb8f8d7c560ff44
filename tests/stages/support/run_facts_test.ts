import assert from "node:assert/strict";
import { backendFacts, recordRunFacts, RUN_RECORD_ENV } from "../../../stages/support/run_facts.ts";
import { PROGRESS_ENV, stageProgress } from "../../../stages/support/progress.ts";
import { parseProgressLine } from "../../../pipeline/progress.ts";

const env = (vars: Record<string, string>) => ({ get: (k: string) => vars[k] });

Deno.test("recordRunFacts merges calls into the runner's file, and does nothing by hand", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/facts.json`;
    assert.equal(await recordRunFacts({ a: 1 }, env({})), undefined);
    await recordRunFacts({ a: 1, b: { x: 1 } }, env({ [RUN_RECORD_ENV]: path }));
    await recordRunFacts({ b: { y: 2 }, c: "z" }, env({ [RUN_RECORD_ENV]: path }));
    assert.deepEqual(JSON.parse(await Deno.readTextFile(path)), { a: 1, b: { y: 2 }, c: "z" });
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["facts.json"]); // no temporary left
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("backendFacts: the backend as every stage records it", () => {
  assert.deepEqual(backendFacts({ backend: "wasm", device: "cpu x", threads: 2, tfjsVersion: "4.22.0" }), {
    backend: { name: "wasm", device: "cpu x", threads: 2, tfjs: "4.22.0" },
  });
});

Deno.test("stageProgress: lines the runner parses, throttled except for a new label and the last unit", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/p.jsonl`;
    const p = stageProgress(env({ [PROGRESS_ENV]: path }), 60_000);
    for (let i = 1; i <= 100; i++) p.update(i, 100, i <= 50 ? "first" : "second");
    const lines = (await Deno.readTextFile(path)).trimEnd().split("\n").map(parseProgressLine);
    assert.deepEqual(lines, [
      { done: 1, total: 100, label: "first" },
      { done: 51, total: 100, label: "second" },
      { done: 100, total: 100, label: "second" },
    ]);
    stageProgress(env({})).update(1, 2); // by hand: nothing, no error
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
