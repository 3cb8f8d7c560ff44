/**
 * The bidirectional variants' training stages in the project's pipeline.yaml declare only their own method's
 * params, so growing bidirectional.methods or .seeds retrains none of the networks already trained, and what
 * they declare is enough for stages/train.ts to build the method.
 */
import assert from "node:assert/strict";
import { loadParams, lookup, parseOverrides } from "../../pipeline/params.ts";
import { loadPipeline } from "../../pipeline/spec.ts";
import { nestParams } from "../../pipeline/stage_run.ts";
import { echoedParams, methodOf, parseTrainParams } from "../../stages/train.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** The declared params (name → value) of every train-methods stage under the `--set` overrides. */
async function declared(sets: string[]): Promise<Map<string, Record<string, unknown>>> {
  const params = await loadParams(ROOT, parseOverrides(sets));
  const spec = await loadPipeline(ROOT, params);
  return new Map(
    spec.stages.filter((s) => s.group === "train-methods").map((s) => [
      s.name,
      Object.fromEntries(s.params.map((k) => [k, lookup(params.values, k)])),
    ]),
  );
}

Deno.test("train-methods: adding a method or a seed leaves the other stages' params as they were", async () => {
  const before = await declared(["bidirectional.methods=[noise, pgd]", "bidirectional.seeds=[1]"]);
  const after = await declared(["bidirectional.methods=[noise, augmix, pgd]", "bidirectional.seeds=[1, 2]"]);
  assert.deepEqual([...before.keys()].sort(), ["train-methods@noise-1", "train-methods@pgd-1"]);
  assert.equal(after.size, 6);
  for (const [name, p] of before) assert.deepEqual(after.get(name), p, name);
});

Deno.test("train-methods: a method's own params reach its stage, another method's do not", async () => {
  const stages = await declared([
    "bidirectional.methods=[noise, pgd]",
    "bidirectional.pgd.steps=7",
    "bidirectional.noise.sigma=0.2",
  ]);
  const noise = nestParams(stages.get("train-methods@noise-1")!);
  const pgd = nestParams(stages.get("train-methods@pgd-1")!);
  assert.deepEqual(methodOf("noise", parseTrainParams(noise).bidirectional), { kind: "noise", sigma: 0.2 });
  assert.equal(lookup(noise, "bidirectional.pgd"), undefined);
  const m = methodOf("pgd", parseTrainParams(pgd).bidirectional);
  assert.equal(m.kind === "pgd" && m.steps, 7);
  assert.equal(lookup(pgd, "bidirectional.noise"), undefined);
});

Deno.test("train-methods: the metrics file echoes α and the run's own method, not the schema's defaults for the rest", async () => {
  const echo = async (methods: string) => {
    const stages = await declared([`bidirectional.methods=${methods}`]);
    return echoedParams(parseTrainParams(nestParams(stages.get("train-methods@noise-1")!)), "noise");
  };
  const before = await echo("[noise, pgd]");
  assert.deepEqual(before.bidirectional, { alpha: 0, noise: { sigma: 0.1 } });
  assert.deepEqual(await echo("[noise, augmix, pgd]"), before);
  const standard = parseTrainParams({ train: before.train, model: before.model, si: before.si });
  assert.equal("bidirectional" in echoedParams(standard, "standard"), false);
});
