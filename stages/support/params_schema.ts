/**
 * The JSON Schema of params.yaml, generated from the stages' own zod schemas (one entry per section a stage
 * validates), so the runner can check `--set` values before anything runs without knowing what the stages do
 * (pipeline.yaml `params_schema`, pipeline/params_schema.ts). Regenerate `params.schema.json` with
 * `deno task params-schema` after changing a stage's schema; a test fails while it is stale.
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
import { aggregateParamsSchema } from "../aggregate.ts";
import { attackParamsSchema } from "../attack_eval.ts";
import { corruptParamsSchema } from "../corrupt_eval.ts";
import { dimSchema } from "../measure_dimensionality.ts";
import { gradSchema } from "../measure_gradients.ts";
import { selectivitySchema, siSchema } from "../measure_selectivity.ts";
import { dataParamsSchema } from "../prepare_data.ts";
import { trainParamsSchema } from "../train.ts";

/** Each params section with the schema of every stage that validates it (several: all must hold). */
export const SECTION_SCHEMAS: readonly (readonly [section: string, stage: string, schema: z.ZodType])[] = [
  ["data", "prepare-data", dataParamsSchema],
  ["train", "train", trainParamsSchema.shape.train],
  ["model", "train", trainParamsSchema.shape.model],
  ["si", "train", trainParamsSchema.shape.si],
  ["si", "measure-selectivity", siSchema],
  ["selectivity", "measure-selectivity", selectivitySchema],
  ["grad", "measure-gradients", gradSchema],
  ["dim", "measure-dimensionality", dimSchema],
  ["corrupt", "corrupt-eval", corruptParamsSchema],
  ["attack", "attack-eval", attackParamsSchema],
  ["aggregate", "aggregate", aggregateParamsSchema],
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
