/**
 * Test fixture of threads_identity_test.ts: trains the project's cnn for 3 steps on wasm with `--threads N`
 * (train_steps.ts) and prints the SHA-256 of its weights' bytes.
 */
import * as tf from "@tensorflow/tfjs-core";
import { parseArgs } from "node:util";
import { createHash } from "node:crypto";
import { initBackend } from "../../../../lib/backends/select.ts";
import { cnnWeightsAfterSteps } from "./train_steps.ts";

const { values } = parseArgs({ args: Deno.args, options: { threads: { type: "string", default: "1" } } });
await initBackend("wasm", { threads: Number(values.threads) });
const hash = createHash("sha256");
for (const bytes of await cnnWeightsAfterSteps()) hash.update(bytes);
console.log(`WEIGHTS ${hash.digest("hex")} ${tf.getBackend()}`);
Deno.exit(0);
