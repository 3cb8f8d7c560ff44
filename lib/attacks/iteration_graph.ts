/**
 * An attack's iteration on webgpu through step graphs (lib/backends/webgpu/step_graph.ts), as training steps
 * run (lib/train/graph_steps.ts): the iteration reads and assigns only `tf.Variable`s (the attack's state) and
 * closes over tensors that stay fixed (the clean batch, labels, weights). Its first two runs go through tfjs
 * while being captured; when the two recordings agree, later runs replay the second capture as one command
 * buffer, without tfjs's CPU cost per kernel (~17,800 kernels made most of an H100 host's attack-eval CPU time).
 * A replay runs the captured kernels on the same shapes, so the results are the eager ones, bit for bit. An
 * iteration that cannot be replayed (recordings that differ, a read inside) runs through tfjs, and
 * {@link iterationGraphTally} says why.
 *
 * @example
 * ```ts
 * const { graphs } = iterationGraphsFor(tf.backend(), steps);
 * const step = new IterationGraph(() => tf.tidy(() => { xk.assign(project(x, tf.add(xk, delta(xk)))); }), graphs);
 * try {
 *   for (let k = 0; k < steps; k++) step.run();
 * } finally {
 *   step.dispose();
 * }
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { captureStep, type Recording, sameRecording, type StepGraph } from "../backends/webgpu/step_graph.ts";
import { dispatchCacheStats } from "../backends/webgpu/backend.ts";

/**
 * Captures in a row that may differ from the one before before an iteration is run through tfjs for good: the
 * first run of a process can differ from the second (constants tfjs creates lazily), as in training.
 */
const MAX_MISMATCHES = 3;

/** Whether an attack's iterations run through step graphs, and why. */
export interface IterationGraphDecision {
  graphs: boolean;
  reason: string;
}

/**
 * Iterations a graph needs to pay: the first two runs are captures (each an eager run and a recording), so
 * with fewer than 4 at most one would be replayed (PGD training's 3-step attacks).
 */
export const MIN_GRAPH_ITERATIONS = 4;

/**
 * Step graphs for an attack of `iterations` iterations on `backend`, where they can run and pay: our webgpu
 * backend with its dispatch cache (which `initBackend("webgpu")` turns on; capture records on its path), and at
 * least {@link MIN_GRAPH_ITERATIONS} iterations.
 *
 * @example
 * iterationGraphsFor(tf.backend(), 10); // on webgpu: { graphs: true, reason: "webgpu with the dispatch cache: …" }
 */
export function iterationGraphsFor(backend: tf.KernelBackend, iterations: number): IterationGraphDecision {
  if (dispatchCacheStats(backend) === null) {
    return {
      graphs: false,
      reason: "not our webgpu backend with its dispatch cache: iterations run through tfjs",
    };
  }
  return iterations >= MIN_GRAPH_ITERATIONS
    ? { graphs: true, reason: "webgpu with the dispatch cache: iterations are captured and replayed" }
    : { graphs: false, reason: `${iterations} iterations: too few to replay after two captures` };
}

/** A state variable made from `initial`, which it takes over (disposed here, so the variable owns its data). */
export function stateVariable(initial: tf.Tensor): tf.Variable {
  const v = tf.variable(initial, false);
  initial.dispose();
  return v;
}

/**
 * A copy of `t` [B, …] in a buffer of its own, bit for bit (a row select, no arithmetic): `tf.clone` shares the
 * data, and two state variables must not (a capture whose step writes shared data cannot be replayed).
 */
export function ownCopy<T extends tf.Tensor>(t: T): T {
  return tf.tidy(() => {
    const all = tf.reshape(tf.ones([t.shape[0]], "bool"), [t.shape[0], ...new Array(t.rank - 1).fill(1)]);
    return tf.where(all, t, t) as T;
  });
}

/** What the iteration graphs of this process did: runs captured, replayed and run eagerly, and why not replayed. */
export interface IterationGraphTally {
  captured: number;
  replayed: number;
  /** Runs through tfjs without capture (graphs not asked for, or refused). */
  eager: number;
  /** The first reason an iteration asked to be replayed could not be, or null. */
  unreplayable: string | null;
}

const tally: IterationGraphTally = { captured: 0, replayed: 0, eager: 0, unreplayable: null };

/**
 * The runs of every {@link IterationGraph} since the `before` snapshot (or since the process started), for a
 * stage's run record.
 *
 * @example
 * const before = iterationGraphTally();
 * await evaluateAttacks(f, set, options);
 * iterationGraphTally(before); // { captured: 30, replayed: 240, eager: 15, unreplayable: null }
 */
export function iterationGraphTally(before?: IterationGraphTally): IterationGraphTally {
  return {
    captured: tally.captured - (before?.captured ?? 0),
    replayed: tally.replayed - (before?.replayed ?? 0),
    eager: tally.eager - (before?.eager ?? 0),
    unreplayable: tally.unreplayable,
  };
}

/** Runs one iteration body, captured and replayed when `graphs` (see the module doc). */
export class IterationGraph {
  readonly #body: () => void;
  #graphs: boolean;
  #graph: StepGraph | null = null;
  #pending: Recording | null = null;
  #mismatches = 0;

  /**
   * `body` must read and assign only variables and fixed tensors, and read nothing back from the device;
   * `graphs`: capture and replay it (see {@link iterationGraphsFor}), else run it through tfjs.
   */
  constructor(body: () => void, graphs: boolean) {
    this.#body = body;
    this.#graphs = graphs;
  }

  /** Runs the body once: replayed when a verified graph is current, else through tfjs (captured if due). */
  run(): void {
    if (this.#graph?.isCurrent()) {
      this.#graph.replay([]);
      tally.replayed++;
      return;
    }
    if (!this.#graphs) {
      this.#body();
      tally.eager++;
      return;
    }
    const graph = captureStep(() => {
      this.#body();
      return [];
    }, []);
    tally.captured++;
    if (graph.unreplayable !== null) {
      this.#refuse(graph.unreplayable);
    } else if (this.#pending === null) {
      this.#pending = graph.recording;
    } else if (sameRecording(this.#pending, graph.recording)) {
      this.#graph = graph;
      return;
    } else if (++this.#mismatches < MAX_MISMATCHES) {
      this.#pending = graph.recording;
    } else {
      this.#refuse(
        `${MAX_MISMATCHES} captures in a row recorded different uploads or uniforms than the one before (a ` +
          "value computed on the CPU)",
      );
    }
    graph.dispose();
  }

  /** Gives back the graph's buffers; the state variables stay the caller's. */
  dispose(): void {
    this.#graph?.dispose();
    this.#graph = null;
  }

  #refuse(why: string): void {
    this.#graphs = false;
    tally.unreplayable ??= why;
  }
}
