import assert from "node:assert/strict";
import { applyMutant, findMutants } from "../../../bench/mutation/mutants.ts";

const SOURCE = `// a < b in a comment
const label: Array<number> = [];
export function f(a: number, b: number): number {
  console.log(\`a+b \${a + b}\`);
  const msg = "x" + a;
  if (a < b) return Math.max(a, 2);
  label.push(a * b);
  return !msg ? 0 : a - 1;
}
`;

Deno.test("mutants: one per operator site, none in comments, strings, types or console calls", () => {
  const found = findMutants("f.ts", SOURCE).map((m) =>
    `${m.line} ${m.operator} ${m.original} -> ${m.replacement}`
  );
  assert.deepEqual(found, [
    "6 negate a < b -> !(a < b)",
    "6 binary < -> <=",
    "6 minmax max -> min",
    "6 constant 2 -> 3",
    "7 delete label.push(a * b); -> ;",
    "7 binary * -> /",
    "8 negate !msg -> !(!msg)",
    "8 negate !msg -> msg",
    "8 constant 0 -> 1",
    "8 binary - -> +",
    "8 constant 1 -> 0",
  ]);
});

Deno.test("applyMutant replaces exactly the mutant's text and refuses a file that moved", () => {
  const [, lessThan] = findMutants("f.ts", SOURCE);
  const mutated = applyMutant(SOURCE, lessThan);
  assert.equal(mutated.split("\n")[5], "  if (a <= b) return Math.max(a, 2);");
  assert.equal(mutated.replace("a <= b", "a < b"), SOURCE);
  assert.throws(
    () => applyMutant("\n" + SOURCE, lessThan),
    /f\.ts:6: the text at the mutant's place is not '<'/,
  );
});
