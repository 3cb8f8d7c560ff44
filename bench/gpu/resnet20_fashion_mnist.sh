#!/usr/bin/env bash
# Issue 17's run: ResNet20 on all of Fashion-MNIST on one GPU, the paper's α grid (9 α × 3 seeds) and the
# bidirectional experiment at α = 0 (Gaussian-noise and PGD-adversarial training, 3 seeds each), through
# bench/gpu/pipeline.sh (carry .offline/ and .gl/ and, in a call of its own, .data/fashion-mnist: see
# bench/gpu/README.md). ResNet20 keeps its CIFAR layout but takes the 28×28×1 images as they are: the stem
# convolution has 1 input channel and the three stages run at 28×28, 14×14 and 7×7 (no padding to 32×32).
#
# The run spans several device calls and sessions through the runner's own remote (README "Sharing results"):
#   - at the start, if .gpu-carry/remote.tar.part* exist (carried), they are unpacked into a directory remote
#     and `repro --pull` restores every stage the remote already holds instead of running it; so do
#     .gpu-carry/scratch.tar.part* (training checkpoints of stages a time bound stopped: they resume);
#   - at the end, whatever finished is pushed with its run-cache entries to that remote and packed into
#     $OUT/remote.tar.partNN (≤ 15 MiB each) and $OUT/scratch.tar.partNN (PACK_SCRATCH=0: not), to be carried by the next call (as
#     .gpu-carry/, git-ignored). prepare-data is not pushed: it is recomputed from .data in a second.
# After a code change that leaves trained weights as they are, bench/gpu/adopt_trainings.sh re-keys the carried
# trainings (`runner commit`), so they are not trained again.
# LIMIT_S bounds the `repro` (default 480 s, leaving the rest of a 600 s call for packing). CHECKS=1 also runs
# issue 17's two checks beside it (resnet20_checks.sh: the carried trainings reproduced on the GPU, and the
# no-regularizer network trained twice as long); their logs and metrics go into results.tgz under checks/.
# Results (report, figures, per-network metrics, log) go to $OUT/results.tgz (the device returns at most 8
# files); commit them under docs/results/<date>-resnet20-fashion-mnist/.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
OUT="${OUT:-$PWD/bench-gpu-out}"
results=$(mktemp -d)
remote=/tmp/sr-remote
mkdir -p "$OUT" "$remote"
# Restored once per machine: a later call on the warm machine must not put older checkpoints back.
carried=$(cat .gpu-carry/* 2>/dev/null | sha256sum | cut -c1-16)
if [ -d .gpu-carry ] && [ "$carried" != "$(cat .pipeline/gpu-carry-restored 2>/dev/null)" ]; then
  if compgen -G ".gpu-carry/remote.tar.part*" >/dev/null; then
    cat .gpu-carry/remote.tar.part* | tar -x -C "$remote"
    echo "restored the carried remote: $(find "$remote" -type f | wc -l) files"
  fi
  if compgen -G ".gpu-carry/scratch.tar.part*" >/dev/null; then
    cat .gpu-carry/scratch.tar.part* | tar -x && echo "restored training checkpoints"
  fi
  mkdir -p .pipeline && echo "$carried" > .pipeline/gpu-carry-restored
fi
# RESTORE_ONLY=1: a call of its own that carries only .gpu-carry (with .data it exceeds the 64 MiB carry).
[ "${RESTORE_ONLY:-0}" = 1 ] && exit 0

source "$here/fashion_mnist_sets.sh"
sets=("${R20_RUN[@]}" "$@")
if [ "${CHECKS:-0}" = 1 ]; then
  LIMIT_S="${LIMIT_S:-480}" bash "$here/resnet20_checks.sh" "$remote" "$results" "$@" > "$results/checks.out" 2>&1 &
  checks=$!
fi
# --keep-going: a failed stage must not leave the GPU idle for the rest of the call.
OUT="$results" LIMIT_S="${LIMIT_S:-480}" bash "$here/full_fashion_mnist.sh" "${sets[@]}" --pull --remote "$remote" \
  --keep-going
if [ -n "${checks:-}" ]; then wait "$checks"; cat "$results/checks.out"; fi
tar -C "$results" -czf "$OUT/results.tgz" .

export DENO_DIR="$PWD/.offline-denodir" PATH="/tmp/bin:$PATH"
deno task runner push --run-cache --remote "$remote" "${R20_MATRIX[@]}" "$@" train measure-selectivity measure-gradients \
  measure-dimensionality corrupt-eval attack-eval aggregate train-methods measure-selectivity-methods \
  measure-gradients-methods measure-dimensionality-methods corrupt-eval-methods attack-eval-methods 2>&1 | tail -3
(cd "$remote" && tar -cf - .) | split -b 15M -d - "$OUT/remote.tar.part"
if [ "${PACK_SCRATCH:-1}" = 1 ] && [ -d .pipeline/scratch ]; then
  tar -cf - .pipeline/scratch | split -b 15M -d - "$OUT/scratch.tar.part"
fi
ls -la "$OUT"
