/**
 * Prints, as JSON for `PIPELINE_PARAMS`, one stage's params for run.sh's end-to-end `prepare-data` → `train`
 * check on webgpu: `prepare` gets a synthetic 28×28×1 dataset (`data` section), `train` gets params.yaml's
 * sections that the train stage's schema declares (keys it does not know dropped), with `epochs` set. The train
 * stage's images/s in its metrics file is the speed the pipeline gets.
 *
 * Usage: deno run -A bench/gpu/e2e_params.ts prepare DATA_DIR TRAIN_IMAGES
 *        deno run -A bench/gpu/e2e_params.ts train EPOCHS
 */
import { parse } from "yaml";
import { trainParamsSchema } from "../../stages/train.ts";

const [stage, arg1, arg2] = Deno.args;
const params = parse(Deno.readTextFileSync("params.yaml")) as Record<string, Record<string, unknown>>;
if (stage === "prepare" && arg1 && arg2) {
  const synthetic = { train: Number(arg2), test: 512, classes: 10, shape: [28, 28, 1], noise: 16 };
  console.log(
    JSON.stringify({ data: { name: "synthetic", val_fraction: 0.1, seed: 0, out: arg1, synthetic } }),
  );
} else if (stage === "train" && arg1) {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [section, schema] of Object.entries(trainParamsSchema.shape)) {
    const s = schema as unknown as { shape?: object; unwrap(): { shape: object } };
    const known = Object.keys(s.shape ?? s.unwrap().shape);
    out[section] = Object.fromEntries(
      Object.entries(params[section] ?? {}).filter(([k]) => known.includes(k)),
    );
  }
  out.train.epochs = Number(arg1);
  console.log(JSON.stringify(out));
} else {
  throw new Error("usage: e2e_params.ts prepare DATA_DIR TRAIN_IMAGES | e2e_params.ts train EPOCHS");
}
