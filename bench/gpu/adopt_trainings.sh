#!/usr/bin/env bash
# Carries issue 17's finished ResNet20 trainings across a code change that leaves trained weights as they are
# (e.g. the webgpu pool bound of free_pool.ts), so the device does not train them again. A stage key covers its
# code deps, so a change under lib/backends (a dep of `train`) gives every train stage a new key, and the carried
# remote (bench/gpu/README.md), keyed by the old code, no longer matches. This script, run here (not on the
# device), from the repository root, with the Fashion-MNIST IDX files in .data/fashion-mnist:
#   1. restores the trainings in a worktree of OLD_COMMIT from the carried remote (`repro --pull train`);
#   2. copies them into a clone of HEAD and records them there with `runner commit train` (README: the runner),
#      which writes run-cache entries under HEAD's keys without running anything;
#   3. pushes them with those entries to a fresh directory remote and packs it into .gpu-carry/remote.tar.partNN
#      (≤ 15 MiB each), replacing the parts there.
# Usage: bash bench/gpu/adopt_trainings.sh OLD_COMMIT OLD_PARTS_DIR (the remote.tar.part* a device call
# returned under OLD_COMMIT's code)
# Check afterwards on the GPU that HEAD trains the same weights: the `runner verify train@0-1` command in
# bench/gpu/README.md.
set -euo pipefail
old="$1"
old_parts="$(cd "$2" && pwd)"
mkdir -p .gpu-carry
parts="$(cd .gpu-carry && pwd)"
root="$PWD"
work=$(mktemp -d)
trap 'git -C "$root" worktree remove --force "$work/old" 2>/dev/null; rm -rf "$work"' EXIT
mkdir -p "$work/remote-old" "$work/remote-new"
cat "$old_parts"/remote.tar.part* | tar -x -C "$work/remote-old"
# The run's train stages, as resnet20_fashion_mnist.sh selects them.
source "$(dirname "$0")/fashion_mnist_sets.sh"
sets=(--set model.name=resnet20 --set train.epochs="${EPOCHS:-8}" "${FMNIST_DATA[@]}" "${R20_MATRIX[@]}")
git worktree add --detach "$work/old" "$old" >/dev/null
git clone -q "$root" "$work/new"
for tree in "$work/old" "$work/new"; do ln -s "$root/.data" "$tree/.data"; done
(cd "$work/old" && deno task -q repro "${sets[@]}" --pull --remote "$work/remote-old" train | tail -1)
(cd "$work/new" && deno task -q repro "${sets[@]}" prepare-data | tail -1)
for model in "$work"/old/outputs/models/a*-s[0-9]; do
  name=$(basename "$model")
  rm -rf "$work/new/outputs/models/$name"
  cp -r "$model" "$work/new/outputs/models/"
  cp "$model.metrics.json" "$model.curves.json" "$work/new/outputs/models/"
done
(cd "$work/new" && deno task -q runner commit "${sets[@]}" train | tail -1 &&
  deno task -q runner push --run-cache --remote "$work/remote-new" "${sets[@]}" train | tail -2)
rm -f "$parts"/remote.tar.part*
(cd "$work/remote-new" && tar -cf - .) | split -b 15M -d - "$parts/remote.tar.part"
ls -la "$parts"
