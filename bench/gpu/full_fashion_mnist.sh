#!/usr/bin/env bash
# The full-Fashion-MNIST run of issue 15 on one GPU: the α grid (7 α × 3 seeds) and the bidirectional
# experiment (noise, AugMix-style and PGD-adversarially trained networks, 3 seeds each, at α = 0) with the cnn,
# through bench/gpu/pipeline.sh (see its header: .offline/ and .gl/ carried, Fashion-MNIST IDX files carried as
# .data/fashion-mnist). The runner caches finished stages, so when one call's LIMIT_S ends the run, the same
# command on the still-warm machine continues where it stopped. Results (report, SVG figures, per-network
# metrics) go to $OUT; commit them under docs/results/<date>-gpu-fashion-mnist-bidirectional/.
set -uo pipefail
source "$(dirname "$0")/fashion_mnist_sets.sh"
exec env SYNTHETIC=0 LIMIT_S="${LIMIT_S:-560}" bash "$(dirname "$0")/pipeline.sh" --jobs "${JOBS:-12}" \
  "${FMNIST_DATA[@]}" "${FULL_RUN[@]}" "$@"
