/**
 * One Markdown line from a train-stage run record for run.sh's end-to-end check: the training images/s the stage
 * recorded (what the pipeline gets; overall and per epoch), the backend and device, what step graphs did, the
 * wall time. The stage writes these facts to the file named in `PIPELINE_RUN_RECORD`
 * (stages/support/run_facts.ts), never to its metrics.
 *
 * Usage: deno run -A bench/gpu/e2e_summary.ts facts.json
 */
import type { TrainRunFacts } from "../../stages/train.ts";

const [file] = Deno.args;
if (!file) throw new Error("usage: e2e_summary.ts FACTS_JSON");
let m: TrainRunFacts;
try {
  m = JSON.parse(Deno.readTextFileSync(file));
} catch (e) {
  console.log(
    `**End to end (train stage):** no run facts ${file} (${(e as Error).message}); see e2e_train.log`,
  );
  Deno.exit(0);
}
// The first epoch also compiles the pipelines.
const epochs = `; per epoch ${m.epoch_images_per_sec.map((x) => Math.round(x)).join(" / ")} img/s`;
const g = m.step_graphs;
const graphs = g
  ? `step graphs: ${g.replays} replays, ${g.captures} captures, ${g.dispatchesPerStep} dispatches a step${
    g.unreplayable ? `, unreplayable: ${g.unreplayable}` : ""
  }`
  : "through tfjs (no step graphs)";
console.log(
  `**End to end (train stage, synthetic 28×28×1):** ${
    Math.round(m.images_per_sec)
  } img/s training${epochs} ` +
    `on ${m.backend.name} (${m.backend.device}), ${graphs}; stage wall ${m.wall_seconds.toFixed(1)} s.`,
);
