/**
 * `dag [STAGE...]`: the stage graph (or the part a target needs) as text, Mermaid or dot.
 *
 * @module
 */
import { type Command, Option } from "commander";
import { renderDag } from "../dag_render.ts";
import { selectStages } from "../graph.ts";
import { type CliContext, rootOf, withProject } from "./context.ts";

/** Add `dag` to `program`. */
export function register(program: Command, ctx: CliContext): void {
  program.command("dag")
    .description("the stage graph")
    .argument("[stage...]", "show only these stages and their ancestors")
    .addOption(new Option("--mermaid", "Mermaid flowchart").conflicts("dot"))
    .option("--dot", "Graphviz dot")
    .option("-o, --outs", "a graph of outputs instead of stages (an edge: an out read to make another)")
    .action(
      ctx.act((targets: string[], opts: { mermaid?: boolean; dot?: boolean; outs?: boolean }, cmd: Command) =>
        withProject(rootOf(cmd), [], (project) => {
          const format = opts.mermaid ? "mermaid" : opts.dot ? "dot" : "text";
          const stages = selectStages(project.graph, targets);
          console.log(renderDag(project.graph, format, { stages, outs: opts.outs }));
          return Promise.resolve(0);
        })
      ),
    );
}
