/**
 * `plots show [TARGET...]` and `plots diff [REV...]`: the plots declared in pipeline.yaml rendered server-side
 * to SVG with Vega-Lite (lib/plots/render.ts, which knows no ML) into one self-contained HTML page; `diff`
 * overlays the revisions and the workspace.
 *
 * @module
 */
import { dirname, relative, resolve } from "node:path";
import { type Command, Option } from "commander";
import { writeFileAtomic } from "../atomic.ts";
import { selectOuts } from "../out_targets.ts";
import { parsePlotData, type PlotFigure, type PlotSeries, plotsPage, plotSpec } from "../plots.ts";
import type { Project } from "../project.ts";
import { revisionReader } from "../revision_files.ts";
import { baseRev, type CliContext, collect, rootOf, withProject } from "./context.ts";

/** Where the page goes unless `--out` says otherwise (root-relative). */
export const PLOTS_PAGE = ".pipeline/plots/index.html";

/** Options of `plots show` and `plots diff`. */
export interface PlotsCliOptions {
  out?: string;
  targets?: string[];
}

type Reader = (path: string) => Promise<string | undefined>;

async function buildPage(
  project: Project,
  title: string,
  targets: readonly string[],
  sources: readonly { rev: string; read: Reader }[],
): Promise<{ html: string; figures: PlotFigure[] }> {
  const { renderSvg } = await import("../../lib/plots/render.ts"); // vega is heavy: load it only here
  const figures: PlotFigure[] = [];
  for (const out of selectOuts(project, "plots", targets)) {
    const series: PlotSeries[] = [];
    for (const { rev, read } of sources) {
      const text = await read(out.path);
      if (text !== undefined) {
        series.push({
          rev,
          rows: parsePlotData(text, rev === "workspace" ? out.path : `${rev}:${out.path}`),
        });
      }
    }
    if (series.length === 0) {
      figures.push({ path: out.path, note: "no data in any revision shown (has its stage run?)" });
      continue;
    }
    const specFile = out.plot?.spec;
    const custom = specFile
      ? JSON.parse(await Deno.readTextFile(resolve(project.root, specFile)))
      : undefined;
    figures.push({ path: out.path, svg: await renderSvg(plotSpec(out, series, custom)) });
  }
  return { html: plotsPage(title, figures), figures };
}

async function writePage(
  project: Project,
  out: string | undefined,
  page: { html: string; figures: PlotFigure[] },
) {
  const path = resolve(project.root, out ?? PLOTS_PAGE);
  await Deno.mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, page.html);
  const drawn = page.figures.filter((f) => f.svg).length;
  for (const f of page.figures.filter((f) => !f.svg)) console.error(`warning: ${f.path}: ${f.note}`);
  console.log(`${drawn} of ${page.figures.length} plots -> ${relative(Deno.cwd(), path) || path}`);
  return 0;
}

function outOption(): Option {
  return new Option("-o, --out <file>", `where the HTML page goes (default ${PLOTS_PAGE})`);
}

/** Add `plots` and its subcommands to `program`. */
export function register(program: Command, ctx: CliContext): void {
  const plots = program.command("plots").description("plots declared in pipeline.yaml, as one HTML page");
  plots.command("show")
    .description("render the workspace's plots")
    .argument("[target...]", "plot files, directories of them, or stages (default: all)")
    .addOption(outOption())
    .action(
      ctx.act((targets: string[], opts: PlotsCliOptions, cmd: Command) =>
        withProject(rootOf(cmd), [], async (project) => {
          const workspace: Reader = (p) => Deno.readTextFile(`${project.root}/${p}`).catch(() => undefined);
          return await writePage(
            project,
            opts.out,
            await buildPage(project, "Plots", targets, [{ rev: "workspace", read: workspace }]),
          );
        })
      ),
    );
  plots.command("diff")
    .description("overlay the plots of revisions (default HEAD; the merge base in CI) and the workspace")
    .argument("[rev...]", "git revisions to overlay on the workspace")
    .addOption(
      new Option("-t, --targets <target>", "only these plot files, directories or stages (repeatable)")
        .argParser(collect),
    )
    .addOption(outOption())
    .action(
      ctx.act((revs: string[], opts: PlotsCliOptions, cmd: Command) =>
        withProject(rootOf(cmd), [], async (project) => {
          const chosen = revs.length ? revs : [undefined];
          const sources: { rev: string; read: Reader }[] = [];
          for (const given of chosen) {
            const rev = await baseRev(project.root, given);
            sources.push({ rev, read: await revisionReader(project, rev) });
          }
          sources.push({
            rev: "workspace",
            read: (p) => Deno.readTextFile(`${project.root}/${p}`).catch(() => undefined),
          });
          const title = `Plots: ${sources.map((s) => s.rev).join(" vs ")}`;
          return await writePage(
            project,
            opts.out,
            await buildPage(project, title, opts.targets ?? [], sources),
          );
        })
      ),
    );
}
