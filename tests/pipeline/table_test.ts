import assert from "node:assert/strict";
import { cell } from "../../pipeline/table.ts";

Deno.test("table cells: integers as they are, other numbers to 5 significant digits, text as text, absent as —", () => {
  assert.equal(cell(42), "42");
  assert.equal(cell(1 / 3), "0.33333");
  assert.equal(cell(123456.789), "123460");
  assert.equal(cell(0.000012345678, 3), "0.0000123");
  assert.equal(cell("pgd-linf"), "pgd-linf");
  assert.equal(cell(true), "true");
  assert.equal(cell(undefined), "—");
});
