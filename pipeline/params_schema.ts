/**
 * The params check the runner makes before it plans or runs anything: params.yaml with the `--set` overrides
 * applied must satisfy the JSON Schema file that pipeline.yaml names as `params_schema`. The runner knows
 * nothing of what the params mean: the project generates the schema (here from the stages' zod schemas,
 * `deno task params-schema`). Each error names the `--set` that caused it, else the params.yaml position.
 *
 * @example
 * ```ts
 * await checkParamsSchema(project.root, project.params, "params.schema.json", "pipeline.yaml:3:16");
 * // PipelineError: --set train.epochs=abc: train.epochs must be integer (params.schema.json)
 * ```
 *
 * @module
 */
import type { Ajv2020 } from "ajv/dist/2020.js";
import { PipelineError } from "./errors.ts";
import { keySegments, type Params, PARAMS_FILE } from "./params.ts";

/** One schema violation, located. */
export interface ParamsIssue {
  /** Dotted key of the offending value. */
  readonly key: string;
  readonly message: string;
  /** The override responsible (`key=value` as given), when one is. */
  readonly set?: string;
}

/** A dotted key from a JSON pointer (`/train/epochs` → `train.epochs`, `/grid/alpha/1` → `grid.alpha[1]`). */
function pointerToKey(pointer: string, extra?: string): string {
  const parts = pointer.split("/").slice(1).map((p) => p.replaceAll("~1", "/").replaceAll("~0", "~"));
  if (extra !== undefined) parts.push(extra);
  return parts.reduce((key, p) => /^\d+$/.test(p) ? `${key}[${p}]` : key ? `${key}.${p}` : p, "");
}

/** The override that set `key` or a section around or inside it. */
function overrideFor(key: string, overrides: Readonly<Record<string, unknown>>): string | undefined {
  const within = (a: string, b: string) => a === b || a.startsWith(`${b}.`) || a.startsWith(`${b}[`);
  return Object.keys(overrides).find((k) => within(key, k) || within(k, key));
}

function show(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

type AjvError = NonNullable<ReturnType<Ajv2020["compile"]>["errors"]>[number];

/**
 * Errors of a `oneOf` (a tagged union) told as a person would: when one branch's tag matched, only that
 * branch's errors; when none did, one error listing the allowed tags.
 */
function explainUnions(errors: readonly AjvError[]): AjvError[] {
  const groups = new Map<string, Map<number, AjvError[]>>();
  const out: AjvError[] = [];
  for (const e of errors) {
    const m = e.schemaPath.match(/^(.*\/oneOf)\/(\d+)\//);
    if (!m) {
      out.push(e);
      continue;
    }
    const branches = groups.get(m[1]) ?? new Map<number, AjvError[]>();
    branches.set(Number(m[2]), [...(branches.get(Number(m[2])) ?? []), e]);
    groups.set(m[1], branches);
  }
  for (const branches of groups.values()) {
    const tagged = [...branches.values()].map((errs) => ({
      errs,
      tag: errs.find((e) => e.keyword === "const"),
    }));
    const matched = tagged.filter((b) => !b.tag);
    if (matched.length > 0) {
      out.push(...matched.sort((a, b) => a.errs.length - b.errs.length)[0].errs);
    } else {
      const first = tagged[0].tag!;
      const allowed = tagged.map((b) => show((b.tag!.params as { allowedValue: unknown }).allowedValue));
      out.push({ ...first, message: `must be one of: ${allowed.join(", ")}`, params: {} });
    }
  }
  return out;
}

/**
 * Violations of `schema` by `params`, each blamed on an override where one is responsible. (ajv is loaded
 * here, not at start-up, so commands that check nothing do not pay for it.)
 */
export async function paramsIssues(schema: object, params: Params): Promise<ParamsIssue[]> {
  const { Ajv2020 } = await import("ajv/dist/2020.js");
  const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);
  if (validate(params.values)) return [];
  const byKey = new Map<string, Set<string>>();
  for (const e of explainUnions(validate.errors ?? [])) {
    if (e.keyword === "oneOf" || e.keyword === "anyOf" || e.keyword === "if") continue;
    const p = e.params as {
      missingProperty?: string;
      additionalProperty?: string;
      allowedValues?: unknown[];
    };
    const key = pointerToKey(e.instancePath, p.additionalProperty ?? p.missingProperty);
    let message = e.message ?? e.keyword;
    if (p.additionalProperty) message = "is not a known param";
    if (p.missingProperty) message = "is required";
    if (p.allowedValues) message = `${message}: ${p.allowedValues.map(show).join(", ")}`;
    byKey.set(key, (byKey.get(key) ?? new Set()).add(message));
  }
  return [...byKey].map(([key, messages]) => {
    const k = overrideFor(key, params.overrides);
    return {
      key,
      message: [...messages].join("; "),
      ...(k !== undefined && { set: `${k}=${show(params.overrides[k])}` }),
    };
  });
}

/**
 * Throw a {@link PipelineError} listing every violation of the schema in `schemaPath` (root-relative);
 * `where` locates `params_schema` in pipeline.yaml for a missing or unreadable schema.
 */
export async function checkParamsSchema(root: string, params: Params, schemaPath: string, where: string) {
  let schema: object;
  try {
    schema = JSON.parse(await Deno.readTextFile(`${root}/${schemaPath}`));
  } catch (e) {
    throw new PipelineError(
      `${where}: params_schema '${schemaPath}' cannot be read (${(e as Error).message.split("\n")[0]}); ` +
        `generate it (deno task params-schema) or remove the key`,
    );
  }
  const issues = await paramsIssues(schema, params);
  if (issues.length === 0) return;
  const lines = issues.map((i) =>
    i.set !== undefined
      ? `--set ${i.set}: ${i.key} ${i.message}`
      : `${params.file?.where(keySegments(i.key)) ?? PARAMS_FILE} (${i.key}): ${i.message}`
  );
  throw new PipelineError(
    `params do not satisfy ${schemaPath}, nothing was run:\n  ${lines.join("\n  ")}`,
  );
}
