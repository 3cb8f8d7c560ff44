/**
 * YAML files that remember where each value came from, so errors can name `file:line:col`.
 *
 * @module
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import { PipelineError } from "./errors.ts";

/** A parsed YAML file and a way to point at any of its values. */
export interface YamlFile {
  /** Path as given, used in messages. */
  readonly path: string;
  /** The parsed value (plain JS data). */
  readonly value: unknown;
  /** `path:line:col` of the node at a key path, or of the nearest existing ancestor. */
  where(keyPath: readonly (string | number)[]): string;
}

/**
 * Parse YAML text; syntax errors and duplicate keys throw a {@link PipelineError} naming file, line and column.
 *
 * @example
 * ```ts
 * const f = parseYaml("params.yaml", "train:\n  lr: 0.1\n");
 * f.where(["train", "lr"]); // "params.yaml:2:7"
 * ```
 */
export function parseYaml(path: string, text: string): YamlFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const pos = lineCounter.linePos(e.pos[0]);
    const what = e.message.split("\n")[0].replace(/ at line \d+, column \d+.*$/, "");
    throw new PipelineError(`${path}:${pos.line}:${pos.col}: invalid YAML: ${what}`);
  }
  const value = doc.toJS({ maxAliasCount: 100 });
  const where = (keyPath: readonly (string | number)[]): string => {
    let node: unknown = doc.contents;
    let offset = (node as { range?: number[] } | null)?.range?.[0] ?? 0;
    for (const key of keyPath) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && p.key.value === key);
        if (!pair) break;
        offset = (pair.key as { range?: number[] }).range?.[0] ?? offset;
        node = pair.value;
      } else if (isSeq(node) && typeof key === "number" && key < node.items.length) {
        node = node.items[key];
        offset = (node as { range?: number[] } | null)?.range?.[0] ?? offset;
      } else break;
    }
    const pos = lineCounter.linePos(offset);
    return `${path}:${pos.line}:${pos.col}`;
  };
  return { path, value, where };
}

/**
 * Read and parse a YAML file, naming it `name` in messages; a missing file throws a {@link PipelineError}.
 *
 * @example
 * ```ts
 * const params = await readYaml("/proj/params.yaml", "params.yaml");
 * ```
 */
export async function readYaml(path: string, name = path): Promise<YamlFile> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new PipelineError(`${name}: file not found`);
    throw e;
  }
  return parseYaml(name, text);
}
