/**
 * `deno task params-schema [--check]`: write `params.schema.json`, the JSON Schema of params.yaml generated
 * from the stages' own zod schemas (one entry per section a stage validates), or with `--check` exit 1 when it
 * is stale. The runner checks `--set` values against it before anything runs, without knowing what the stages
 * do (pipeline.yaml `params_schema`, pipeline/params_schema.ts). It lives here, not in stages/support, so that
 * it is no dep of any stage.
 *
 * @example
 * ```ts
 * const schema = paramsJsonSchema();
 * schema.properties.train; // { type: "object", properties: { epochs: { type: "integer", ... }, ... } }
 * ```
 *
 * @module
 */
import { z } from "zod";
import { aggregateParamsSchema } from "../stages/aggregate.ts";
import { attackParamsSchema } from "../stages/attack_eval.ts";
import { corruptParamsSchema } from "../stages/support/corrupt_params.ts";
import { dimSchema } from "../stages/measure_dimensionality.ts";
import { gradSchema } from "../stages/measure_gradients.ts";
import { selectivitySchema, siSchema } from "../stages/measure_selectivity.ts";
import { dataParamsSchema } from "../stages/prepare_data.ts";
import { bidirectionalSchema, trainParamsSchema } from "../stages/train.ts";
import { runtimeSchema } from "../stages/support/run_cli.ts";

/** Each params section with the schema of every stage that validates it (several: all must hold). */
export const SECTION_SCHEMAS: readonly (readonly [section: string, stage: string, schema: z.ZodType])[] = [
  ["data", "prepare-data", dataParamsSchema],
  ["train", "train", trainParamsSchema.shape.train],
  ["model", "train", trainParamsSchema.shape.model],
  ["si", "train", trainParamsSchema.shape.si],
  ["bidirectional", "train-methods", bidirectionalSchema],
  ["si", "measure-selectivity", siSchema],
  ["selectivity", "measure-selectivity", selectivitySchema],
  ["grad", "measure-gradients", gradSchema],
  ["dim", "measure-dimensionality", dimSchema],
  ["corrupt", "corrupt-data, corrupt-eval", corruptParamsSchema],
  ["attack", "attack-eval", attackParamsSchema],
  ["aggregate", "aggregate", aggregateParamsSchema],
  ["runtime", "every per-network stage (PIPELINE_BACKEND, PIPELINE_THREADS)", runtimeSchema],
  // The matrices of pipeline.yaml: each value becomes a per-network stage's --alpha / --seed (run_cli.ts).
  [
    "grid",
    "every per-network stage (--alpha, --seed)",
    z.strictObject({ alpha: z.array(z.number()).min(1), seeds: z.array(z.number().int()).min(1) }),
  ],
];

/** The JSON Schema (draft 2020-12) of the whole params object; sections no stage validates are left open. */
export function paramsJsonSchema() {
  const properties: Record<string, unknown> = {};
  const sections = [...new Set(SECTION_SCHEMAS.map(([s]) => s))];
  for (const section of sections) {
    const parts = SECTION_SCHEMAS.filter(([s]) => s === section).map(([, stage, schema]) => {
      const { $schema: _, ...json } = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" });
      return { $comment: `validated by stage ${stage}`, ...json };
    });
    properties[section] = parts.length === 1 ? parts[0] : { allOf: parts };
  }
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $comment: "Generated from the stages' zod schemas by `deno task params-schema`; do not edit by hand.",
    type: "object",
    properties,
  };
}

/** Where the schema goes, relative to the project root (pipeline.yaml names it as `params_schema`). */
export const PARAMS_SCHEMA_FILE = "params.schema.json";

/** The file's text for the current stage schemas. */
export function paramsSchemaText(): string {
  return JSON.stringify(paramsJsonSchema(), null, 2) + "\n";
}

if (import.meta.main) {
  const root = new URL("../", import.meta.url).pathname;
  const path = `${root}${PARAMS_SCHEMA_FILE}`;
  const want = paramsSchemaText();
  if (Deno.args.includes("--check")) {
    const have = await Deno.readTextFile(path).catch(() => "");
    if (have !== want) {
      console.error(`${PARAMS_SCHEMA_FILE} is stale: run 'deno task params-schema'`);
      Deno.exit(1);
    }
  } else {
    await Deno.writeTextFile(`${path}.tmp`, want);
    await Deno.rename(`${path}.tmp`, path);
    console.log(`wrote ${PARAMS_SCHEMA_FILE}`);
  }
  Deno.exit(0);
}
