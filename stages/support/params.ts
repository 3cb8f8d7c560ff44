/**
 * How a stage reads its parameters.
 *
 * The runner passes each stage exactly the params it declared in `pipeline.yaml` (after `--set` overrides) as
 * JSON in the `PIPELINE_PARAMS` environment variable, so a stage cannot read a value it did not declare. Run by
 * hand, outside the runner, a stage falls back to the whole of `params.yaml` in the working directory.
 *
 * @module
 */
import { parse } from "yaml";

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
  if (fromRunner !== undefined) return JSON.parse(fromRunner);
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
