/**
 * Non-finite params (`.nan`, `.inf`, `-.inf`) and `null` are four different values: each gets its own stage key
 * and reaches the stage as itself through PIPELINE_PARAMS.
 */
import { deepStrictEqual as assertEquals, match as assertMatch, ok as assert } from "node:assert/strict";
import { canonicalJson, decodeNonFinite, encodeNonFinite } from "../../pipeline/canonical.ts";
import { counted, makeToy } from "./helpers.ts";

const STAGE_PARAMS = new URL("../../stages/support/params.ts", import.meta.url).href;

Deno.test("canonical JSON keeps NaN, Infinity, -Infinity and null apart, and decodes back", () => {
  const values = [NaN, Infinity, -Infinity, null, 0];
  const texts = values.map((v) => canonicalJson({ p: v }));
  assertEquals(new Set(texts).size, values.length, texts.join(" "));
  for (const v of values) assertEquals(decodeNonFinite(JSON.parse(canonicalJson({ p: [v] }))), { p: [v] });
  assertEquals(canonicalJson({ b: 1, a: 2.5 }), '{"a":2.5,"b":1}', "finite values unchanged");
  assertEquals(decodeNonFinite({ $numberDouble: "7" }), { $numberDouble: "7" }, "only the three tags decode");
});

Deno.test("changing a param between .nan, .inf, -.inf and null reruns the stage, and each value reaches it", async () => {
  await using toy = await makeToy({
    stages: {
      s: { cmd: counted("s", 'echo "$PIPELINE_PARAMS" > p.json'), params: ["t.x"], outs: ["p.json"] },
    },
  }, "t:\n  x: .nan\n");
  const seen: string[] = [];
  for (
    const [yaml, shown] of [[".nan", "NaN"], [".inf", "Infinity"], ["-.inf", "-Infinity"], ["null", "null"]]
  ) {
    toy.write("params.yaml", `t:\n  x: ${yaml}\n`);
    const r = await toy.cli("repro");
    assertEquals(r.code, 0, r.out);
    const sent = toy.read("p.json").trim();
    seen.push(sent);
    assertEquals(decodeNonFinite(JSON.parse(sent)), { t: { x: yaml === "null" ? null : Number(shown) } });
    assertMatch(toy.read("pipeline.lock"), new RegExp(`t\\.x: ${yaml.replace(/\./g, "\\.")}\\n`));
  }
  assertEquals(toy.runs(), { s: 4 }, "each change reran the stage");
  assertEquals(new Set(seen).size, 4);
  toy.write("params.yaml", "t:\n  x: .inf\n");
  const status = await toy.cli("status");
  assertMatch(status.out, /param 't\.x' changed: null -> Infinity/);
  const back = await toy.cli("repro");
  assertMatch(back.out, /0 ran, 1 restored/, "the .inf result comes back from the run-cache");
  assertEquals(toy.runs(), { s: 4 });
  assertMatch(toy.read("pipeline.lock"), /t\.x: \.inf\n/, "restored run-cache entry keeps the number");
});

Deno.test("a stage's param reader turns the encoded values back into numbers", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `import { stageParams } from "${STAGE_PARAMS}"; const p = stageParams();` +
      `console.log(String(p.a), String(p.b[0]), String(p.b[1]), String(p.c), JSON.stringify(p.d));`,
    ],
    env: {
      PIPELINE_PARAMS: JSON.stringify(
        encodeNonFinite({ a: NaN, b: [Infinity, -Infinity], c: null, d: { e: 1 } }),
      ),
    },
  }).output();
  assert(out.success, new TextDecoder().decode(out.stderr));
  assertEquals(new TextDecoder().decode(out.stdout).trim(), 'NaN Infinity -Infinity null {"e":1}');
});
