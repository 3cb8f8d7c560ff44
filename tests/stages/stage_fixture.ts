/**
 * A tiny saved model and prepared synthetic data on disk, and a runner for a per-network stage script as the
 * pipeline runs it (a subprocess with its params in `PIPELINE_PARAMS`), for the stage tests. Tests go through
 * the entry point and its output file only, so they survive refactors of the stage's internals.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parseDataParams, prepareData } from "../../stages/prepare_data.ts";
import { buildModel } from "../../lib/models/registry.ts";
import { saveModel } from "../../lib/models/io.ts";
import { initBackend } from "../../lib/backends/select.ts";
import { loadPrepared } from "../../lib/data/prepared.ts";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";

/** Where a fixture lives: prepared data, a models folder holding `a0-s1`, and scratch space. */
export interface StageFixture {
  dir: string;
  data: string;
  models: string;
}

/**
 * Prepares `test` synthetic images of `shape` in `classes` classes and saves an untrained `cnn` as run
 * `a0-s1` (seeded, so every run of the fixture is the same).
 *
 * @example
 * const fx = await stageFixture([28, 28, 1], 40);
 */
export async function stageFixture(
  shape: [number, number, number],
  test: number,
  classes = 4,
): Promise<StageFixture> {
  await initBackend("cpu");
  const dir = await Deno.makeTempDir({ prefix: "stage-test-" });
  globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
  const data = join(dir, "data");
  await prepareData(parseDataParams({
    data: {
      name: "synthetic",
      out: data,
      synthetic: { train: 10 * classes, test, classes, shape, noise: 40 },
    },
  }));
  const { model } = buildModel("cnn", { inputShape: shape, numClasses: classes, seed: 1 });
  await nearestMeanHead(model, data, classes);
  await saveModel(model, join(dir, "models", "a0-s1"));
  return { dir, data, models: join(dir, "models") };
}

/**
 * Replaces the logits layer of `model` by a nearest-class-mean rule on its penultimate features over the
 * training split (an untrained network predicts one class for every image, which hides what accuracies test).
 */
async function nearestMeanHead(model: tfl.LayersModel, data: string, classes: number): Promise<void> {
  const { train } = await loadPrepared(data);
  const n = model.layers.length;
  const features = tfl.model({
    inputs: model.inputs,
    outputs: model.layers[n - 2].output as tfl.SymbolicTensor,
  });
  const [w, b] = tf.tidy(() => {
    const x = tf.div(tf.tensor4d(Float32Array.from(train.images), [train.n, ...train.shape]), 255);
    const f = features.predict(x) as tf.Tensor2D;
    const mu = tf.mean(f, 0);
    const y = tf.oneHot(tf.tensor1d(Array.from(train.labels), "int32"), classes);
    const means = tf.div(tf.matMul(y, f, true, false), tf.reshape(tf.sum(y, 0), [classes, 1]));
    const variance = tf.add(tf.mean(tf.square(tf.sub(f, mu)), 0), 1e-6);
    const w = tf.transpose(tf.div(tf.sub(means, mu), variance));
    return [w, tf.reshape(tf.neg(tf.matMul(tf.reshape(mu, [1, -1]), w)), [classes])];
  });
  model.layers[n - 1].setWeights([w, b]);
  tf.dispose([w, b]);
  await Promise.resolve();
}

/** A stage run's output: the parsed metrics JSON and the folder it was written to. */
export interface StageOutput {
  // deno-lint-ignore no-explicit-any
  json: any;
  out: string;
}

let runs = 0;

/**
 * Runs `stages/<script>` on run `a0-s1` of `fx` with `params` (what the runner would pass) and returns its
 * metrics file `{out}/a0-s1.json`; fails the test with the stage's stderr if it exits non-zero.
 */
export async function runStageScript(
  fx: StageFixture,
  script: string,
  params: Record<string, unknown>,
  extraArgs: string[] = [],
  backend = "cpu",
): Promise<StageOutput> {
  const out = join(fx.dir, `out${++runs}`);
  const r = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      `stages/${script}`,
      "--alpha",
      "0",
      "--seed",
      "1",
      "--backend",
      backend,
      "--data",
      fx.data,
      "--models",
      fx.models,
      "--out",
      out,
      ...extraArgs,
    ],
    env: { PIPELINE_PARAMS: JSON.stringify(params) },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(r.code, 0, `${script} failed: ${new TextDecoder().decode(r.stderr)}`);
  return { json: JSON.parse(await Deno.readTextFile(join(out, "a0-s1.json"))), out };
}

/**
 * Runs `stages/corrupt_data.ts` on the test split of `fx` with `params` (what the runner would pass), writing
 * the corrupted sets to `out`; fails the test with the stage's stderr if it exits non-zero.
 */
export async function runCorruptData(fx: StageFixture, params: Record<string, unknown>, out: string) {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "stages/corrupt_data.ts", "--data", fx.data, "--out", out],
    env: { PIPELINE_PARAMS: JSON.stringify(params) },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(r.code, 0, `corrupt_data.ts failed: ${new TextDecoder().decode(r.stderr)}`);
}

/** Runs several stage invocations two at a time (the machine has two cores). */
export async function runAll<T>(jobs: (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]();
    }
  };
  await Promise.all([worker(), worker()]);
  return results;
}

/** A .npy v1.0 file holding uint8 `data` of `shape` (C order). */
export function npyUint8(shape: number[], data: Uint8Array): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  let header = `{'descr': '|u1', 'fortran_order': False, 'shape': ${shapeText}, }`;
  header += " ".repeat(63 - ((10 + header.length) % 64)) + "\n";
  const out = new Uint8Array(10 + header.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(data, 10 + header.length);
  return out;
}

/** Width and height of a PNG from its IHDR chunk. */
export function pngSize(png: Uint8Array): { width: number; height: number } {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/** Asserts two JSON values differ somewhere (a param that changes nothing is ignored). */
export function assertDiffer(a: unknown, b: unknown, what: string): void {
  assert.notDeepEqual(a, b, `${what}: changing the param left the output unchanged`);
}
