/**
 * Saving and loading models in the TensorFlow.js layers format on the local file system: a directory holding
 * `model.json` (topology + weights manifest) and `weights.bin`. Each file is written atomically (temporary file
 * in the same directory, then rename); `weights.bin` is written first, so a complete `model.json` never points
 * at missing weights.
 */
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import "./custom_layers.ts"; // registers the custom layers so saved models can be deserialised
import "./fast_batch_norm.ts"; // registers FastBatchNormalization (the models' batch norm), likewise
import "./lazy_grad_conv2d.ts"; // saved Conv2D layers load as LazyGradConv2D

/** File name of the topology + manifest inside a model directory. */
export const MODEL_JSON = "model.json";
/** File name of the weights inside a model directory. */
export const WEIGHTS_BIN = "weights.bin";

const BYTES_PER_ELEMENT: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  uint8: 1,
  uint16: 2,
  float16: 2,
};

async function writeAtomic(path: string, data: Uint8Array): Promise<void> {
  const tmp = `${path}.${Deno.pid}-${crypto.randomUUID()}.tmp`;
  try {
    await Deno.writeFile(tmp, data);
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

async function readOrExplain(path: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new Error(`model file missing: ${path}`);
    throw new Error(`cannot read model file ${path}: ${(e as Error).message}`);
  }
}

function expectedBytes(specs: tf.io.WeightsManifestEntry[]): number {
  return specs.reduce((total, spec) => {
    const dtype = spec.quantization?.dtype ?? spec.dtype;
    const bytes = BYTES_PER_ELEMENT[dtype];
    if (bytes === undefined) throw new Error(`weight '${spec.name}' has unsupported dtype '${dtype}'`);
    return total + bytes * spec.shape.reduce((a, b) => a * b, 1);
  }, 0);
}

async function loadArtifacts(dir: string): Promise<tf.io.ModelArtifacts> {
  const jsonPath = `${dir}/${MODEL_JSON}`;
  let modelJSON: tf.io.ModelJSON;
  try {
    modelJSON = JSON.parse(new TextDecoder().decode(await readOrExplain(jsonPath)));
  } catch (e) {
    if (e instanceof SyntaxError) throw new Error(`corrupt model file ${jsonPath}: ${e.message}`);
    throw e;
  }
  if (modelJSON?.modelTopology == null || !Array.isArray(modelJSON.weightsManifest)) {
    throw new Error(`corrupt model file ${jsonPath}: needs 'modelTopology' and a 'weightsManifest' list`);
  }
  return await tf.io.getModelArtifactsForJSON(modelJSON, async (manifest) => {
    const specs: tf.io.WeightsManifestEntry[] = [];
    const buffers: ArrayBuffer[] = [];
    for (const group of manifest) {
      const groupBytes: Uint8Array[] = [];
      for (const file of group.paths) {
        if (file.includes("/") || file.includes("\\") || file === "..") {
          throw new Error(`corrupt model file ${jsonPath}: weights path '${file}' must be a plain file name`);
        }
        groupBytes.push(await readOrExplain(`${dir}/${file}`));
      }
      const got = groupBytes.reduce((n, b) => n + b.byteLength, 0);
      const want = expectedBytes(group.weights);
      if (got !== want) {
        const files = group.paths.map((f) => `${dir}/${f}`).join(", ");
        throw new Error(`corrupt weights ${files}: ${got} bytes, but ${jsonPath} describes ${want}`);
      }
      specs.push(...group.weights);
      buffers.push(...groupBytes.map((b) => b.slice().buffer));
    }
    return [specs, tf.io.concatenateArrayBuffers(buffers)];
  });
}

async function saveArtifacts(dir: string, artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
  if (artifacts.modelTopology == null || artifacts.weightSpecs == null || artifacts.weightData == null) {
    throw new Error(`saving to ${dir}: the model gave no topology or weights`);
  }
  await Deno.mkdir(dir, { recursive: true });
  const weights = new Uint8Array(tf.io.concatenateArrayBuffers(artifacts.weightData));
  const modelJSON: tf.io.ModelJSON = {
    modelTopology: artifacts.modelTopology,
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy,
    weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs }],
    ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
    ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
  };
  await writeAtomic(`${dir}/${WEIGHTS_BIN}`, weights);
  await writeAtomic(`${dir}/${MODEL_JSON}`, new TextEncoder().encode(JSON.stringify(modelJSON)));
  return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
}

/**
 * An `io.IOHandler` that saves to / loads from the model directory `dir`.
 *
 * @example
 * await model.save(directoryHandler("outputs/models/a0-s1"));
 * const again = await tfl.loadLayersModel(directoryHandler("outputs/models/a0-s1"));
 */
export function directoryHandler(dir: string): tf.io.IOHandler {
  return { save: (artifacts) => saveArtifacts(dir, artifacts), load: () => loadArtifacts(dir) };
}

/** Saves `model` (topology, all weights incl. batch-norm statistics, metadata) into directory `dir`. */
export async function saveModel(model: tfl.LayersModel, dir: string): Promise<void> {
  await model.save(directoryHandler(dir));
}

/** Loads a model saved by {@link saveModel}; errors name the missing or corrupt file. */
export function loadModel(dir: string): Promise<tfl.LayersModel> {
  return tfl.loadLayersModel(directoryHandler(dir));
}
