/**
 * The new commands on the real pipeline, shrunk to its cheapest stage (prepare-data on a few hundred images) in
 * a scratch copy: two `--set` variants in `exp show`, `status -q` exit codes, a bad `--set` refused at once.
 */
import { deepStrictEqual as assertEquals, match as assertMatch, ok as assert } from "node:assert/strict";
import { runCli } from "./helpers.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const DATASET = "/usr/share/datasets/fashion-mnist";
const haveData = (() => {
  try {
    return Deno.statSync(DATASET).isDirectory;
  } catch {
    return false;
  }
})();
if (!haveData) {
  if (Deno.env.get("CI")) {
    throw new Error(`real_pipeline_test: ${DATASET} missing in CI (apt-get install dataset-fashion-mnist)`);
  }
  console.warn(
    `\n*** real_pipeline_test: SKIPPED, ${DATASET} not found (apt-get install dataset-fashion-mnist) ***\n`,
  );
}

async function scratchCopy(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "real-pipeline-" });
  for (const f of ["pipeline.yaml", "params.yaml", "params.schema.json", "deno.json", "deno.lock"]) {
    await Deno.copyFile(`${ROOT}${f}`, `${dir}/${f}`);
  }
  for (const d of ["stages", "lib"]) {
    const r = await new Deno.Command("cp", { args: ["-r", `${ROOT}${d}`, `${dir}/${d}`] }).output();
    assert(r.success);
  }
  await Deno.symlink(`${ROOT}node_modules`, `${dir}/node_modules`);
  return dir;
}

Deno.test({
  name:
    "real pipeline (prepare-data only): exp show lists two --set variants; status -q; a bad --set runs nothing",
  ignore: !haveData,
  fn: async () => {
    const dir = await scratchCopy();
    try {
      const small = (n: number) => ["--set", `data.limit_train=${n}`, "--set", "data.limit_test=100"];
      const bad = await runCli(dir, ["repro", "prepare-data", "--set", "data.limit_train=abc"]);
      assertEquals(bad.code, 2);
      assertMatch(bad.out, /--set data\.limit_train=abc: data\.limit_train must be integer/);
      assert(!bad.out.includes("▶"), "nothing started");
      assertEquals((await runCli(dir, ["status", "-q", "prepare-data", ...small(300)])).code, 1);
      assertEquals((await runCli(dir, ["repro", "prepare-data", ...small(300)])).code, 0);
      assertEquals((await runCli(dir, ["repro", "prepare-data", ...small(200)])).code, 0);
      const q = await runCli(dir, ["status", "-q", "prepare-data", ...small(200)]);
      assertEquals([q.code, q.out], [0, ""]);
      assertEquals(
        (await runCli(dir, ["status", "-q", "prepare-data", ...small(300)])).code,
        1,
        "a restore is a change",
      );
      const rows = JSON.parse((await runCli(dir, ["exp", "show", "prepare-data", "--json"])).out);
      assertEquals(
        rows.map((
          r: { params: Record<string, unknown>; current: boolean },
        ) => [r.params["data.limit_train"], r.current]),
        [[200, true], [300, false]],
      );
      const table = (await runCli(dir, ["exp", "show", "prepare-data"])).out;
      assertMatch(table.split("\n")[0], /^Stage\s+Created\s+data\.limit_train$/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
