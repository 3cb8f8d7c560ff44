/**
 * `${key}` substitution in commands and paths, from params, `vars` and the matrix `item`.
 *
 * @module
 */
import { didYouMean, PipelineError } from "./errors.ts";
import { allKeys, lookup } from "./params.ts";

/** `${key}`, or `$${key}` (escaped: stays a literal `${key}`, e.g. for a shell variable in a `cmd`). */
const PLACEHOLDER = /\$(\$?)\{\s*([^}\s]+)\s*\}/g;

/**
 * Replace each `${key}` in `text` with the value at that dotted key of `context`. A string that is exactly one
 * placeholder returns the value itself (so a list stays a list); otherwise values are stringified, and a
 * missing key throws an error that says where (`at`) and suggests a near key. `$${name}` is the escape: it
 * becomes a literal `${name}` (a shell variable in a command).
 *
 * @example
 * ```ts
 * interpolate("--lr ${train.lr}", { train: { lr: 0.1 } }, "pipeline.yaml:4:10"); // "--lr 0.1"
 * interpolate("${grid.alpha}", { grid: { alpha: [0, 1] } }, "here"); // [0, 1]
 * interpolate("echo $${HOME}/${n}", { n: 3 }, "here"); // "echo ${HOME}/3"
 * ```
 */
export function interpolate(text: string, context: Record<string, unknown>, at: string): unknown {
  const whole = text.match(/^\$\{\s*([^}\s]+)\s*\}$/);
  if (whole) return resolve(whole[1], context, at);
  return text.replace(PLACEHOLDER, (whole: string, escaped: string, key: string) => {
    if (escaped) return whole.slice(1);
    const value = resolve(key, context, at);
    if (value !== null && typeof value === "object") {
      throw new PipelineError(
        `${at}: '\${${key}}' is a ${Array.isArray(value) ? "list" : "mapping"}; ` +
          `only a scalar can be placed inside a string`,
      );
    }
    return String(value);
  });
}

/** Like {@link interpolate}, but the result must be a string. */
export function interpolateString(text: string, context: Record<string, unknown>, at: string): string {
  const value = interpolate(text, context, at);
  return typeof value === "string" ? value : String(value);
}

/** Interpolate every string inside a nested value. */
export function interpolateDeep(value: unknown, context: Record<string, unknown>, at: string): unknown {
  if (typeof value === "string") return interpolate(value, context, at);
  if (Array.isArray(value)) return value.map((v) => interpolateDeep(v, context, at));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateDeep(v, context, at)]));
  }
  return value;
}

/** The dotted keys that `${…}` placeholders in `text` refer to. */
export function placeholders(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].filter((m) => !m[1]).map((m) => m[2]);
}

function resolve(key: string, context: Record<string, unknown>, at: string): unknown {
  const value = lookup(context, key);
  if (value === undefined) {
    throw new PipelineError(
      `${at}: '\${${key}}' names nothing in params.yaml, vars or the matrix item${
        didYouMean(key, allKeys(context))
      }`,
    );
  }
  return value;
}
