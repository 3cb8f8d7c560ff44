/**
 * How a stage reads its parameters.
 *
 * The runner passes each stage exactly the params it declared in `pipeline.yaml` (after `--set` overrides) as
 * JSON in the `PIPELINE_PARAMS` environment variable, so a stage cannot read a value it did not declare. Run by
 * hand, outside the runner, a stage falls back to the whole of `params.yaml` in the working directory.
 *
 * JSON has no NaN or infinities, so the runner writes YAML's `.nan`, `.inf` and `-.inf` as
 * `{"$numberDouble": "NaN" | "Infinity" | "-Infinity"}` (pipeline/canonical.ts); they arrive here as numbers
 * again, so each stage's schema decides whether such a value is meaningful. {@link parseSection} validates one
 * section with the stage's zod schema, naming each bad key.
 *
 * @module
 */
import { parse } from "yaml";
import type { z } from "zod";

/** Environment variable through which the runner hands a stage its declared params as JSON. */
export const PARAMS_ENV = "PIPELINE_PARAMS";

/**
 * The params of the running stage, as a nested object.
 *
 * @example
 * ```ts
 * const params = stageParams();
 * const lr = (params.train as { lr: number }).lr;
 * ```
 */
export function stageParams(): Record<string, unknown> {
  const fromRunner = Deno.env.get(PARAMS_ENV);
  if (fromRunner !== undefined) return JSON.parse(fromRunner, reviveNonFinite);
  let text: string;
  try {
    text = Deno.readTextFileSync("params.yaml");
  } catch {
    throw new Error(
      `no params: ${PARAMS_ENV} is unset (the stage was not started by the runner) and there is no params.yaml ` +
        `in ${Deno.cwd()}; run the stage through 'deno task repro' or from the project root`,
    );
  }
  return (parse(text) ?? {}) as Record<string, unknown>;
}

/** JSON.parse reviver turning the runner's `{"$numberDouble": "NaN" | "Infinity" | "-Infinity"}` back into numbers. */
function reviveNonFinite(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  const tag = (value as Record<string, unknown>)["$numberDouble"];
  if (keys.length === 1 && (tag === "NaN" || tag === "Infinity" || tag === "-Infinity")) return Number(tag);
  return value;
}

/**
 * Validates `params[section]` (missing → `{}`, so defaults apply) with `schema`; errors name each bad key as
 * `section.key`.
 */
export function parseSection<S extends z.ZodType>(
  stage: string,
  params: Record<string, unknown>,
  section: string,
  schema: S,
): z.infer<S> {
  const parsed = schema.safeParse(params[section] ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) =>
      `${section}${i.path.map((p) => `.${String(p)}`).join("")}: ${i.message}`
    );
    throw new Error(`${stage}: invalid params: ${issues.join("; ")}`);
  }
  return parsed.data;
}
