#!/usr/bin/env bash
# The pipeline (`deno task repro`) on the GPU machine, on webgpu: the stage times a GPU user gets. Run from the
# repository root with .offline/ and .gl/ (see README.md); the log, the report, the per-network metrics and
# every stage's run record (`runs.txt`: wall time, the stage's seconds and images/s) go to $OUT. Arguments go
# to `repro` (e.g. --jobs 8, --set ...). With SYNTHETIC=1 (the default) the data is a synthetic 28×28×1 set
# of the default subsample's size (the device has no dataset package); SYNTHETIC=0 uses what the arguments
# say (e.g. --set data.dir=.data/fashion-mnist, carried). LIMIT_S bounds the run (default 540 s); what
# finished is copied to $OUT either way. SETUP_ONLY=1 only unpacks Deno and the Vulkan loader (they stay on a
# warm machine for the next call).
set -uo pipefail
OUT="${OUT:-$PWD/bench-gpu-out}"
mkdir -p "$OUT"
if [ ! -x /tmp/bin/deno ]; then
  mkdir -p /tmp/bin && xz -dc .offline/deno.xz > /tmp/bin/deno && chmod +x /tmp/bin/deno
fi
[ -d .offline-denodir ] || tar xJf .offline/deps.tar.xz
export DENO_DIR="$PWD/.offline-denodir" PATH="/tmp/bin:$PATH" DENO_NO_UPDATE_CHECK=1
if [ -d .gl ]; then for f in .gl/*.deb; do [ -e "$f" ] && dpkg -x "$f" /; done; fi
ldconfig 2>/dev/null || true
export VK_DRIVER_FILES="${VK_DRIVER_FILES:-/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json}"
export XDG_RUNTIME_DIR="$(mktemp -d)"
if [ "${SETUP_ONLY:-0}" = 1 ]; then deno --version | head -1; exit 0; fi
sets=(--set runtime.backend=webgpu)
if [ "${SYNTHETIC:-1}" = 1 ]; then
  sets+=(--set data.name=synthetic --set data.synthetic.train=2000 --set data.synthetic.test=1000
    --set data.synthetic.classes=10 --set 'data.synthetic.shape=[28, 28, 1]')
fi
launch_ms=$(date +%s%3N)
timeout "${LIMIT_S:-540}" deno task repro "${sets[@]}" "$@" > "$OUT/pipeline.log" 2>&1
rc=$?
exit_ms=$(date +%s%3N)
echo "repro exit $rc in $(( (exit_ms - launch_ms) / 1000 )).$(printf %03d $(( (exit_ms - launch_ms) % 1000 ))) s" \
  "(launch $launch_ms, exit $exit_ms ms)" | tee -a "$OUT/pipeline.log"
grep -aE "ran in|stages? (ran|checked)|ran, " "$OUT/pipeline.log" | sed 's/\x1b\[[0-9;]*m//g'
# The runner's own start and exit, with nothing to run: the same command again, now up to date.
again_ms=$(date +%s%3N)
deno task repro "${sets[@]}" "$@" 2>&1 | grep -a "Everything is up to date" | tee -a "$OUT/pipeline.log"
echo "up-to-date rerun in $(( $(date +%s%3N) - again_ms )) ms" | tee -a "$OUT/pipeline.log"
# Each stage's run record (wall time, peak memory, the stage's own facts: backend, seconds, images/s).
NO_COLOR=1 deno task metrics show --runs --last 1 > "$OUT/runs.txt" 2>&1
mkdir -p "$OUT/report" "$OUT/metrics"
cp outputs/report/summary.md outputs/report/verdicts.json outputs/report/table.csv outputs/report/per_alpha.csv \
  outputs/report/sensitivity.json outputs/report/index.html "$OUT/report/" 2>/dev/null
mkdir -p "$OUT/report/plots" && cp outputs/report/plots/*.svg "$OUT/report/plots/" 2>/dev/null
for d in models selectivity gradients dimensionality corruption attack; do
  mkdir -p "$OUT/metrics/$d" && cp outputs/$d/*.json "$OUT/metrics/$d/" 2>/dev/null
done
(cd "$OUT" && tar czf metrics.tgz metrics && rm -rf metrics)
