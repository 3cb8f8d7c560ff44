/**
 * Drops the functions a WGSL module never calls, before the device parses it. tfjs prepends the same ~25
 * helper functions (coordinates, indices, NaN tests, output setters) to every shader, most unused; WebGPU
 * parses and validates all of them for every shader module, and does it again in every process. Without them
 * a module is about 40 % of its size, and creating tfjs's modules takes about a third of the time (99 modules
 * of a cnn training step: 109 → 41 ms on llvmpipe). Only code that cannot run is removed, so what a shader
 * computes is unchanged.
 *
 * Kept: every entry point (a function with `@compute`, `@vertex` or `@fragment`), every function a kept
 * function names, and everything that is not a function (structs, bindings, private variables). Comments go.
 * A module this reader cannot follow (unbalanced braces or comments, no entry point) is returned as it was.
 *
 * @example
 * ```ts
 * const code = "fn unused() {}\nfn helper() -> f32 { return 1.0; }\n" +
 *   "@compute @workgroup_size(1) fn main() { let x = helper(); }";
 * pruneWgsl(code); // "\nfn helper() -> f32 { return 1.0; }\n@compute @workgroup_size(1) fn main() { … }"
 * ```
 *
 * @module
 */

/** `code` without comments, or null when a block comment is not closed. WGSL block comments nest. */
function withoutComments(code: string): string | null {
  let out = "";
  let i = 0;
  while (i < code.length) {
    if (code.startsWith("//", i)) {
      const end = code.indexOf("\n", i);
      i = end < 0 ? code.length : end;
    } else if (code.startsWith("/*", i)) {
      let depth = 0;
      do {
        if (code.startsWith("/*", i)) {
          depth++;
          i += 2;
        } else if (code.startsWith("*/", i)) {
          depth--;
          i += 2;
        } else if (i >= code.length) {
          return null;
        } else i++;
      } while (depth > 0);
      out += " ";
    } else {
      out += code[i++];
    }
  }
  return out;
}

interface FnSpan {
  name: string;
  /** From the first attribute after the previous top-level item (or `fn`) to the closing brace. */
  start: number;
  end: number;
  entry: boolean;
}

const ENTRY_ATTRIBUTE = /@(compute|vertex|fragment)\b/;
const IDENTIFIER = /[A-Za-z_][A-Za-z0-9_]*/g;

/** The top-level functions of comment-free `code`, or null when its braces do not balance. */
function topLevelFunctions(code: string): FnSpan[] | null {
  const spans: FnSpan[] = [];
  const fnHead = /\bfn\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(/y;
  let depth = 0;
  let itemStart = 0; // where the current top-level item's text (attributes included) begins
  for (let i = 0; i < code.length; i++) {
    const c = code[i];
    if (c === "{") depth++;
    else if (c === "}") {
      if (--depth < 0) return null;
      if (depth === 0) itemStart = i + 1;
    } else if (c === ";" && depth === 0) itemStart = i + 1;
    else if (depth === 0 && c === "f" && (i === 0 || !/[A-Za-z0-9_]/.test(code[i - 1]))) {
      fnHead.lastIndex = i;
      const head = fnHead.exec(code);
      if (!head) continue;
      const open = code.indexOf("{", fnHead.lastIndex);
      if (open < 0) return null;
      let d = 0, close = open;
      for (; close < code.length; close++) {
        if (code[close] === "{") d++;
        else if (code[close] === "}" && --d === 0) break;
      }
      if (close >= code.length) return null;
      const attributes = code.slice(itemStart, i);
      const at = attributes.search(/@/);
      spans.push({
        name: head[1],
        start: at < 0 ? i : itemStart + at,
        end: close + 1,
        entry: ENTRY_ATTRIBUTE.test(attributes),
      });
      i = close;
      itemStart = close + 1;
    }
  }
  return depth === 0 ? spans : null;
}

/** `code` without the functions no entry point reaches, and without comments (see the module doc). */
export function pruneWgsl(code: string): string {
  const text = withoutComments(code);
  if (text === null) return code;
  const spans = topLevelFunctions(text);
  if (spans === null || !spans.some((s) => s.entry)) return code;
  const byName = new Map(spans.map((s) => [s.name, s]));
  const kept = new Set<string>();
  const keep = (name: string) => {
    if (kept.has(name)) return;
    kept.add(name);
    const s = byName.get(name)!;
    for (const id of text.slice(s.start, s.end).match(IDENTIFIER) ?? []) {
      if (byName.has(id)) keep(id);
    }
  };
  for (const s of spans) if (s.entry) keep(s.name);
  // The text between functions; names used there (none in tfjs's shaders) keep their functions too.
  const gaps = spans.map((s, i) => text.slice(i === 0 ? 0 : spans[i - 1].end, s.start));
  gaps.push(text.slice(spans.at(-1)!.end));
  for (const id of gaps.join(" ").match(IDENTIFIER) ?? []) if (byName.has(id)) keep(id);
  if (kept.size === spans.length) return text;
  return spans.map((s, i) => gaps[i] + (kept.has(s.name) ? text.slice(s.start, s.end) : "")).join("") +
    gaps.at(-1);
}
