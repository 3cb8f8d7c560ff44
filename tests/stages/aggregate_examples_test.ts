import assert from "node:assert/strict";
import { join } from "node:path";
import { aggregate } from "../../stages/aggregate.ts";
import { fixtureArgs, writeFixture } from "./aggregate_fixture.ts";

Deno.test("aggregate: a missing adversarial PNG leaves that example out; 100 resamples is the allowed minimum", async () => {
  const root = await Deno.makeTempDir({ prefix: "aggregate-examples-" });
  try {
    await writeFixture(root);
    const args = fixtureArgs(root);
    await Deno.remove(join(args.attack, "a-1-s1.png"));
    const content = await aggregate(args, { aggregate: { seed: 1, resamples: 100, permutations: 100 } });
    const captions = content.examples.map((e) => e.caption.split(":")[0]);
    assert.deepEqual(captions, ["a-1-s1 fog", "a1-s1 adversarial", "a1-s1 fog"]);
    await assert.rejects(
      aggregate(args, { aggregate: { seed: 1, resamples: 99, permutations: 100 } }),
      /aggregate\.resamples/,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
