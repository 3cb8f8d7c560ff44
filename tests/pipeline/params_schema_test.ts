import { deepStrictEqual as assertEquals, match as assertMatch, ok as assert } from "node:assert/strict";
import { counted, makeToy, runCli } from "./helpers.ts";

/** up (no params) -> down (reads p.n, which the schema says is an integer ≥ 1, and p.mode, one of two tags). */
function toy(withSchema = true) {
  return {
    ...(withSchema ? { params_schema: "schema.json" } : {}),
    stages: {
      up: { cmd: counted("up", "echo up > up.txt"), outs: ["up.txt"] },
      down: {
        cmd: counted("down", "cat up.txt > down.txt && echo ${p.n} >> down.txt"),
        deps: ["up.txt"],
        params: ["p"],
        outs: ["down.txt"],
      },
      fan: {
        matrix: { x: "${grid}" },
        cmd: counted("fan", "echo ${item.x} > f${item.x}.txt"),
        outs: ["f${item.x}.txt"],
      },
    },
  };
}

const SCHEMA = {
  type: "object",
  properties: {
    p: {
      type: "object",
      properties: {
        n: { type: "integer", minimum: 1 },
        mode: {
          oneOf: [
            {
              type: "object",
              properties: { kind: { const: "a" }, k: { type: "number" } },
              required: ["kind"],
              additionalProperties: false,
            },
            {
              type: "object",
              properties: { kind: { const: "b" } },
              required: ["kind"],
              additionalProperties: false,
            },
          ],
        },
      },
      additionalProperties: false,
    },
  },
};

const PARAMS = "p:\n  n: 3\n  mode:\n    kind: b\ngrid: [1, 2]\n";

Deno.test("a bad --set is refused before anything runs, naming the --set", async () => {
  await using t = await makeToy(toy(), PARAMS);
  t.write("schema.json", JSON.stringify(SCHEMA));
  for (const cmd of ["repro", "status"]) {
    const r = await t.cli(cmd, "--set", "p.n=abc", "--set", "p.mode.kind=c");
    assertEquals(r.code, 2, r.out);
    assertMatch(r.out, /nothing was run/);
    assertMatch(r.out, /--set p\.n=abc: p\.n must be integer/);
    assertMatch(r.out, /--set p\.mode\.kind=c: p\.mode\.kind must be one of: a, b/);
    assert(!r.out.includes("pipeline.yaml:"), "the --set is named, not a pipeline.yaml position");
  }
  assertEquals(t.runs(), {}, "not even the upstream stage ran");
  assert(!t.exists("pipeline.lock"));
  assertEquals((await t.cli("repro", "--set", "p.n=7")).code, 0);
  assertEquals(t.runs(), { up: 1, down: 1, fan: 2 });
});

Deno.test("a bad value in params.yaml is named by file, line and column", async () => {
  await using t = await makeToy(toy(), PARAMS.replace("n: 3", "n: 0"));
  t.write("schema.json", JSON.stringify(SCHEMA));
  const r = await t.cli("repro");
  assertEquals(r.code, 2);
  assertMatch(r.out, /params\.yaml:2:3 \(p\.n\): must be >= 1/);
  assertEquals(t.runs(), {});
});

Deno.test("a missing schema file is an error that says how to make it", async () => {
  await using t = await makeToy(toy(), PARAMS);
  const r = await t.cli("status");
  assertEquals(r.code, 2);
  assertMatch(
    r.out,
    /pipeline\.yaml:1:\d+: params_schema 'schema\.json' cannot be read.*deno task params-schema/,
  );
});

Deno.test("a --set that breaks pipeline.yaml is named (without a schema too)", async () => {
  await using t = await makeToy(toy(false), PARAMS);
  const r = await t.cli("repro", "--set", "p.n=2", "--set", "grid=5");
  assertEquals(r.code, 2);
  assertMatch(r.out, /^error: --set grid=5: pipeline\.yaml:\d+:\d+: expected a list/m);
  assertEquals(t.runs(), {});
});

Deno.test("the real pipeline refuses --set train.epochs=abc at once (params.schema.json from the stages' zod schemas)", async () => {
  const root = new URL("../../", import.meta.url).pathname;
  const r = await runCli(root, ["status", "--set", "train.epochs=abc", "--set", "attack.pgd.steps=-1"]);
  assertEquals(r.code, 2, r.out);
  assertMatch(r.out, /--set train\.epochs=abc: train\.epochs must be integer/);
  assertMatch(r.out, /--set attack\.pgd\.steps=-1: attack\.pgd\.steps must be > 0/);
  const ok = await runCli(root, ["status", "--json", "--set", "train.epochs=2"]);
  assertEquals(ok.code, 0, ok.out);
});
