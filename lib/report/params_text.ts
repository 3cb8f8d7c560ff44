/**
 * The configuration block of a report as YAML text.
 *
 * @module
 */
import { stringify } from "yaml";

/**
 * `params` as YAML with keys in the order given (the order of params.yaml), for a report's configuration block.
 *
 * @example
 * ```ts
 * paramsYaml({ grid: { alpha: [0, 1] } }); // "grid:\n  alpha:\n    - 0\n    - 1\n"
 * ```
 */
export function paramsYaml(params: Record<string, unknown>): string {
  return stringify(params, { lineWidth: 0 });
}
