/**
 * One Markdown line from a train-stage metrics file for run.sh's end-to-end check: the training images/s the
 * stage recorded (what the pipeline gets; overall and per epoch from the curves file beside it), the backend and
 * device, what step graphs did, the wall time.
 *
 * Usage: deno run -A bench/gpu/e2e_summary.ts outputs/models/a0-s1.metrics.json
 */
const [file] = Deno.args;
if (!file) throw new Error("usage: e2e_summary.ts METRICS_JSON");
let m: {
  images_per_sec: number;
  wall_seconds: number;
  backend: { backend: string; device: string };
  step_graphs?:
    | { captures: number; replays: number; dispatchesPerStep: number; unreplayable: string | null }
    | null;
};
try {
  m = JSON.parse(Deno.readTextFileSync(file));
} catch (e) {
  console.log(
    `**End to end (train stage):** no metrics file ${file} (${(e as Error).message}); see e2e_train.log`,
  );
  Deno.exit(0);
}
// The per-epoch speed from the curves next to the metrics: the first epoch also compiles the pipelines.
let epochs = "";
try {
  const curves = JSON.parse(Deno.readTextFileSync(file.replace(/\.metrics\.json$/, ".curves.json"))) as {
    images_per_sec: number;
  }[];
  epochs = `; per epoch ${curves.map((c) => Math.round(c.images_per_sec)).join(" / ")} img/s`;
} catch {
  // no curves: the overall figure only
}
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
    `on ${m.backend.backend} (${m.backend.device}), ${graphs}; stage wall ${m.wall_seconds.toFixed(1)} s.`,
);
