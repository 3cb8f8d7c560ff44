/**
 * Top-level `env` and the fingerprint: a plain entry is part of every stage's key (changing it reruns, and the
 * lock says why); `{value, execution_only: true}` is not; malformed entries and `env_allow` are named errors.
 */
import { deepStrictEqual as assertEquals, match as assertMatch } from "node:assert/strict";
import { parse } from "yaml";
import { counted, makeToy } from "./helpers.ts";

Deno.test("a plain top-level env entry is in every stage's fingerprint: changing it reruns, saying why", async () => {
  await using toy = await makeToy({
    env: { SCALE: "${scale}", THREADS: { value: "${threads}", execution_only: true } },
    stages: { a: { cmd: counted("a", "echo $SCALE > a.txt"), outs: ["a.txt"] } },
  }, { scale: 2, threads: 1 });
  assertEquals((await toy.cli("repro")).code, 0);
  const lock = parse(toy.read("pipeline.lock")) as { stages: { a: { env: Record<string, string> } } };
  assertEquals(lock.stages.a.env, { SCALE: "2" }, "the lock records the keyed entries only");
  assertMatch((await toy.cli("repro", "--set", "threads=4")).out, /Everything is up to date/);
  const status = await toy.cli("status", "--set", "scale=3");
  assertMatch(status.out, /env 'SCALE' changed: "2" -> "3"/);
  assertEquals((await toy.cli("repro", "--set", "scale=3")).code, 0);
  assertEquals(toy.read("a.txt"), "3\n");
  assertEquals(toy.runs(), { a: 2 });
});

Deno.test("a pipeline without keyed env entries keeps its stage keys (no 'env' in the key or the lock)", async () => {
  await using toy = await makeToy({
    stages: { a: { cmd: "echo $PIPELINE_STAGE_KEY > a.txt", outs: ["a.txt"] } },
  }, {});
  await toy.cli("repro");
  const before = toy.read("a.txt");
  toy.write(
    "pipeline.yaml",
    'env:\n  X: {value: "1", execution_only: true}\nstages:\n  a: {cmd: "echo $PIPELINE_STAGE_KEY > a.txt", outs: [a.txt]}\n',
  );
  assertMatch((await toy.cli("repro")).out, /Everything is up to date/);
  assertEquals(toy.read("a.txt"), before);
  assertEquals(toy.read("pipeline.lock").includes("env:"), false);
});

Deno.test("malformed env entries and env_allow are errors naming the line and the fix", async () => {
  const cases: [string, RegExp][] = [
    [
      "env:\n  X: {value: 1, fingerprint: false}\n",
      /pipeline\.yaml:2:\d+: unknown key 'fingerprint' in env 'X'.*allowed: value, execution_only/,
    ],
    [
      "env:\n  X: {value: 1, execution_only: yes}\n",
      /pipeline\.yaml:2:\d+: 'execution_only' must be true or false/,
    ],
    [
      "env:\n  X: {execution_only: true}\n",
      /env 'X' must be a string or a number, or \{value: …, execution_only: true\}/,
    ],
    ["env_allow: HOME\n", /pipeline\.yaml:1:\d+: 'env_allow' must be a list of variable names/],
    ["env_allow: [BAD-NAME]\n", /"BAD-NAME" is not a variable name/],
  ];
  for (const [top, expected] of cases) {
    await using toy = await makeToy(`${top}stages:\n  a: {cmd: "echo > a.txt", outs: [a.txt]}\n`, {});
    const r = await toy.cli("status");
    assertEquals(r.code, 2, r.out);
    assertMatch(r.out, expected);
  }
});
