import assert from "node:assert/strict";
import { parseRunArgs } from "../../../stages/support/run_cli.ts";

const env = (vars: Record<string, string>) => ({ get: (k: string) => vars[k] });
const base = ["--alpha", "0.5", "--seed", "1"];

Deno.test("threads: any whole number ≥ 1 from the flag or PIPELINE_THREADS, else unset", () => {
  assert.equal(parseRunArgs("s", [...base, "--threads", "1"], {}, env({})).threads, 1);
  assert.equal(parseRunArgs("s", base, {}, env({ PIPELINE_THREADS: "3" })).threads, 3);
  assert.equal(parseRunArgs("s", base, {}, env({ PIPELINE_THREADS: "" })).threads, undefined);
  for (const bad of ["0", "1.5", "x"]) {
    assert.throws(
      () => parseRunArgs("s", [...base, "--threads", bad], {}, env({})),
      /threads .* positive integer/,
    );
  }
});
