/**
 * Checkpoint files of a training run: a directory holding `checkpoint.json` (format, run fingerprint, epochs
 * done, RNG position, history, tensor manifest) and `epoch-<k>.bin` (all tensors as little-endian float32, in
 * manifest order). The binary is written first under a new name, then the JSON is replaced atomically, then
 * older binaries are removed — so a kill at any moment leaves the previous complete checkpoint or the new one.
 *
 * @module
 */
import { join } from "node:path";
import type { EpochRecord, NamedArray, TrainState } from "./state.ts";

/** Name of the manifest file in a checkpoint directory. */
export const CHECKPOINT_JSON = "checkpoint.json";
const FORMAT = 1;

interface TensorEntry {
  name: string;
  shape: number[];
}

interface Manifest {
  format: number;
  /** Identifies the run settings; a checkpoint is only resumed by a run with the same fingerprint. */
  fingerprint: string;
  epochs_done: number;
  /** Epoch e draws from deriveSeed(seed, "shuffle"|"augment", e): the next epoch is all a resume needs. */
  rng: { scheme: string; next_epoch: number };
  train_seconds: number;
  train_images: number;
  history: EpochRecord[];
  bin: string;
  weights: TensorEntry[];
  velocities: TensorEntry[];
}

async function writeAtomic(path: string, data: Uint8Array): Promise<void> {
  const tmp = `${path}.${Deno.pid}.tmp`;
  await Deno.writeFile(tmp, data);
  await Deno.rename(tmp, path);
}

const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * Writes `state` as the checkpoint in `dir` (created if needed).
 *
 * @example
 * await saveCheckpoint("outputs/checkpoints/a0.3-s1", state, fingerprint);
 */
export async function saveCheckpoint(dir: string, state: TrainState, fingerprint: string): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  const arrays = [...state.weights, ...state.velocities];
  const total = arrays.reduce((n, a) => n + a.data.length, 0);
  const all = new Float32Array(total);
  let offset = 0;
  for (const a of arrays) {
    all.set(a.data, offset);
    offset += a.data.length;
  }
  const bin = `epoch-${state.epochsDone}.bin`;
  await writeAtomic(join(dir, bin), new Uint8Array(all.buffer));
  const manifest: Manifest = {
    format: FORMAT,
    fingerprint,
    epochs_done: state.epochsDone,
    rng: { scheme: "deriveSeed(seed, purpose, epoch)", next_epoch: state.epochsDone },
    train_seconds: state.trainSeconds,
    train_images: state.trainImages,
    history: state.history,
    bin,
    weights: state.weights.map(({ name, shape }) => ({ name, shape })),
    velocities: state.velocities.map(({ name, shape }) => ({ name, shape })),
  };
  await writeAtomic(join(dir, CHECKPOINT_JSON), new TextEncoder().encode(JSON.stringify(manifest, null, 1)));
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && /^epoch-\d+\.bin$/.test(e.name) && e.name !== bin) await Deno.remove(join(dir, e.name));
  }
}

/** Result of {@link loadCheckpoint}: the state, or why there is none to resume. */
export type LoadedCheckpoint = { state: TrainState } | { state: null; reason: string };

/**
 * Reads the checkpoint in `dir` if there is one made with `fingerprint`. A missing directory, another
 * fingerprint or an older format give `state: null` with the reason; a damaged checkpoint throws, naming the
 * file and how to recover (delete the directory).
 */
export async function loadCheckpoint(dir: string, fingerprint: string): Promise<LoadedCheckpoint> {
  const jsonPath = join(dir, CHECKPOINT_JSON);
  let text: string;
  try {
    text = await Deno.readTextFile(jsonPath);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { state: null, reason: `no checkpoint in ${dir}` };
    throw e;
  }
  const damaged = (why: string) =>
    new Error(`damaged checkpoint ${jsonPath}: ${why}; delete ${dir} to train from scratch`);
  let m: Manifest;
  try {
    m = JSON.parse(text);
  } catch (e) {
    throw damaged((e as Error).message);
  }
  if (m.format !== FORMAT) return { state: null, reason: `checkpoint format ${m.format} is not ${FORMAT}` };
  if (m.fingerprint !== fingerprint) {
    return { state: null, reason: `checkpoint in ${dir} was made with other settings (fingerprint differs)` };
  }
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(join(dir, m.bin));
  } catch (e) {
    throw damaged(`cannot read ${m.bin} (${(e as Error).message})`);
  }
  const entries = [...m.weights, ...m.velocities];
  const total = entries.reduce((n, t) => n + sizeOf(t.shape), 0);
  if (bytes.byteLength !== total * 4) {
    throw damaged(`${m.bin} has ${bytes.byteLength} bytes, expected ${total * 4}`);
  }
  const all = new Float32Array(bytes.buffer, bytes.byteOffset, total);
  let offset = 0;
  const take = (t: TensorEntry): NamedArray => {
    const n = sizeOf(t.shape);
    const data = all.slice(offset, offset + n);
    offset += n;
    return { name: t.name, shape: t.shape, data };
  };
  const weights = m.weights.map(take);
  const velocities = m.velocities.map(take);
  return {
    state: {
      epochsDone: m.epochs_done,
      weights,
      velocities,
      history: m.history,
      trainSeconds: m.train_seconds,
      trainImages: m.train_images,
    },
  };
}
