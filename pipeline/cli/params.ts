/**
 * `params diff [A [B]]`: params that differ between two revisions, or a revision and the workspace.
 *
 * @module
 */
import { type Command, Option } from "commander";
import { parse as parseYamlText } from "yaml";
import { canonicalJson } from "../canonical.ts";
import { gitShow } from "../git.ts";
import { leafKeys, lookup, PARAMS_FILE } from "../params.ts";
import { cell, renderTable } from "../table.ts";
import { baseRev, type CliContext, rootOf } from "./context.ts";

/** Options of `params diff`. */
export interface ParamsDiffOptions {
  all?: boolean;
  md?: boolean;
  json?: boolean;
}

/** Add `params` and its subcommands to `program`. */
export function register(program: Command, ctx: CliContext): void {
  const params = program.command("params").description("params of the pipeline");
  params.command("diff")
    .description("params changed since REV (default HEAD; the merge base in CI)")
    .argument("[rev]", "revision to compare with")
    .option("--all", "list unchanged params too")
    .addOption(new Option("--md", "Markdown table").conflicts("json"))
    .option("--json", "JSON")
    .action(ctx.act(async (rev: string | undefined, opts: ParamsDiffOptions, cmd: Command) => {
      const root = rootOf(cmd);
      const base = await baseRev(root, rev);
      const oldText = await gitShow(root, base, PARAMS_FILE);
      const old = oldText ? (parseYamlText(oldText) ?? {}) : {};
      const now = parseYamlText(await Deno.readTextFile(`${root}/${PARAMS_FILE}`).catch(() => "")) ?? {};
      const keys = [...new Set([...leafKeys(old), ...leafKeys(now)])].sort();
      const rows = keys
        .map((k) => [k, lookup(old, k), lookup(now, k)] as const)
        .filter(([, a, b]) => opts.all || canonicalJson(a) !== canonicalJson(b));
      if (opts.json) {
        console.log(
          JSON.stringify(Object.fromEntries(rows.map(([k, a, b]) => [k, { old: a, new: b }])), null, 2),
        );
      } else if (rows.length === 0) {
        console.log(`No params changed since ${base}.`);
      } else {
        console.log(
          renderTable(["Param", base, "workspace"], rows.map(([k, a, b]) => [k, cell(a), cell(b)]), opts.md),
        );
      }
      return 0;
    }));
}
