import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { parse } from "yaml";
import { Ajv2020 } from "ajv/dist/2020.js";
import { PARAMS_SCHEMA_FILE, paramsSchemaText } from "../../tools/params_schema.ts";
import { SECTION_SCHEMAS } from "../../tools/params_schema.ts";

const root = new URL("../../", import.meta.url).pathname;

Deno.test("params.schema.json is what the stages' zod schemas generate (else: deno task params-schema)", () => {
  assertEquals(Deno.readTextFileSync(`${root}${PARAMS_SCHEMA_FILE}`), paramsSchemaText());
});

Deno.test("the JSON Schema and the stages' zod schemas agree on params.yaml and on bad values", () => {
  const params = parse(Deno.readTextFileSync(`${root}params.yaml`));
  const validate = new Ajv2020({ strict: false }).compile(JSON.parse(paramsSchemaText()));
  const zodAccepts = (p: Record<string, unknown>) =>
    SECTION_SCHEMAS.every(([section, , schema]) => schema.safeParse(p[section] ?? {}).success);
  assertEquals([validate(params), zodAccepts(params)], [true, true]);
  const bad: [string, string, unknown][] = [
    ["train", "epochs", "abc"],
    ["train", "augment", "sideways"],
    ["attack", "attacks", []],
    ["data", "val_fraction", 1],
    ["selectivity", "histogram_bins", 0],
    ["si", "layer_grouping", "unit"],
    ["runtime", "backend", "gpu"],
    ["runtime", "threads", 0],
    ["grid", "alpha", ["a"]],
    ["grid", "seeds", [0.5]],
  ];
  for (const [section, key, value] of bad) {
    const p = structuredClone(params);
    p[section][key] = value;
    assertEquals([validate(p), zodAccepts(p)], [false, false], `${section}.${key}=${JSON.stringify(value)}`);
  }
});
