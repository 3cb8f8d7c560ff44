/**
 * Multi-output view of a model: `[logits, ...selectivity activations]`, sharing the model's layers and weights.
 *
 * How to get logits and selectivity activations in training mode (for `CE − α·μ_SI`, lib/selectivity):
 *
 * ```ts
 * const { model, selectivityLayers } = buildModel("cnn", { inputShape: [28, 28, 1], numClasses: 10, seed: 0 });
 * const tap = withSelectivityOutputs(model, selectivityLayers);
 * const { value, grads } = tf.variableGrads(() => {
 *   const [logits, ...acts] = tap.apply(x, { training: true }) as tf.Tensor[];
 *   return regularizedLoss(logits, acts, labels, { alpha, numClasses: 10 }).loss;
 * });
 * optimizer.applyGradients(grads);
 * ```
 *
 * `training: true` makes the batch-norm layers normalise with batch statistics and update their moving
 * statistics (of the shared layers, so `model` sees them too). Use `training: false` for evaluation and
 * selectivity measurement. `tf.variableGrads` differentiates all trainable variables, i.e. those of `model`.
 */
import * as tfl from "@tensorflow/tfjs-layers";

/**
 * Wraps a single-output functional model into one that outputs `[logits, ...activations of layerNames]`.
 * Throws naming any layer the model lacks.
 */
export function withSelectivityOutputs(model: tfl.LayersModel, layerNames: string[]): tfl.LayersModel {
  if (model.outputs.length !== 1) {
    throw new Error(
      `withSelectivityOutputs expects a single-output model, '${model.name}' has ${model.outputs.length}`,
    );
  }
  const taps = layerNames.map((name) => {
    const layer = model.layers.find((l) => l.name === name);
    if (!layer) throw new Error(`model '${model.name}' has no layer '${name}'`);
    return layer.output as tfl.SymbolicTensor;
  });
  return tfl.model({
    inputs: model.inputs,
    outputs: [model.outputs[0], ...taps],
    name: `${model.name}_with_selectivity`,
  });
}
