/**
 * Stage `corrupt-data`: the corrupted copies of the test subset that every `corrupt-eval` reads, made once for
 * all networks (lib/corruptions/corrupted_sets.ts; docs/corruptions.md). A corrupted image depends on the
 * clean image, the corruption, the severity and `corrupt.seed`, not on the network.
 *
 * Run: `deno run -A stages/corrupt_data.ts [--data DIR] [--out DIR]`. Params (section `corrupt`, shared with
 * corrupt-eval: stages/support/corrupt_params.ts) come from the runner, or params.yaml by hand; this stage reads
 * `corruptions`, `severities`, `seed`, `limit` and `official_dir`. Reads `{data}` (default outputs/data) and
 * writes the folder `{out}` (default outputs/corrupted): `meta.json` and one uint8 `.npy` per corruption. With
 * `official_dir` set, corrupt-eval reads the official files instead and this stage writes only `meta.json`,
 * saying so.
 *
 * @module
 */
import { join } from "node:path";
import { loadPrepared } from "../lib/data/prepared.ts";
import { CORRUPTED_META, writeCorruptedSets } from "../lib/corruptions/corrupted_sets.ts";
import { parseCorruptParams, selectedCorruptions, selectedSeverities } from "./support/corrupt_params.ts";
import { stageParams } from "./support/params.ts";
import { runStage, stageEntry } from "./support/entry.ts";
import { stageProgress } from "./support/progress.ts";
import { perSecond, recordRunFacts } from "./support/run_facts.ts";
import { parseStageArgs } from "./support/stage_command.ts";

const STAGE = "corrupt-data";

/** Parses the command line: the prepared data and the output folder. */
export function parseCorruptDataArgs(argv: readonly string[]): { data: string; out: string } {
  const values = parseStageArgs(
    STAGE,
    "corrupted copies of the test subset for every network; params from the runner (or params.yaml)",
    [
      { name: "data", description: "prepared data directory", default: "outputs/data" },
      { name: "out", description: "output folder of the corrupted sets", default: "outputs/corrupted" },
    ],
    argv,
  );
  return { data: values.data!, out: values.out! };
}

/** The stage's entry point (stages/support/entry.ts): argv in, exit code out. */
export const main = stageEntry(async (argv) => {
  const started = performance.now();
  const args = parseCorruptDataArgs(argv);
  const p = parseCorruptParams(STAGE, stageParams());
  if (p.official_dir) {
    await Deno.remove(args.out, { recursive: true }).catch(() => {});
    await Deno.mkdir(args.out, { recursive: true });
    const note = { official_dir: p.official_dir, note: "corrupt-eval reads the official files" };
    await Deno.writeTextFile(join(args.out, CORRUPTED_META), JSON.stringify(note) + "\n");
    console.log(`${STAGE}: corrupt.official_dir is set; corrupt-eval reads ${p.official_dir}`);
    return;
  }
  const { test } = await loadPrepared(args.data);
  const progress = stageProgress();
  const meta = await writeCorruptedSets(args.out, test, {
    corruptions: selectedCorruptions(p.corruptions),
    severities: selectedSeverities(p.severities),
    seed: p.seed,
    limit: p.limit,
  }, (done, total, name) => progress.update(done, total, name));
  const seconds = (performance.now() - started) / 1000;
  const images = meta.corruptions.length * meta.severities.length * meta.subset.length;
  console.log(
    `${STAGE}: ${meta.corruptions.length} corruptions × ${meta.severities.length} severities of ` +
      `${meta.subset.length} test images -> ${args.out} in ${seconds.toFixed(1)} s`,
  );
  await recordRunFacts({
    time_s: { total: seconds },
    images_per_sec: { corrupt: perSecond(images, seconds) },
  });
});

if (import.meta.main) await runStage(main);
