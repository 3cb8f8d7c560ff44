/**
 * `deno task params-schema [--check]`: write `params.schema.json` (the JSON Schema of params.yaml generated from
 * the stages' zod schemas, stages/support/params_schema.ts), or with `--check` exit 1 when it is stale.
 *
 * @module
 */
import { paramsJsonSchema } from "../stages/support/params_schema.ts";

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
