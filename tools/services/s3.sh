#!/usr/bin/env bash
# A local S3 server (npm s3rver 3.7 under Deno) for the remote tests and bench.
#   tools/services/s3.sh install   # npm packages into node_modules (deno install)
#   tools/services/s3.sh start     # background; prints KEY=VALUE lines that reach it
#   tools/services/s3.sh stop
# The server needs no --unsafe-proto under Deno 2.9.6 (checked: put, get, head, list, copy, delete, and the
# NoSuchKey, NoSuchBucket and InvalidAccessKeyId errors all work without it), so it is not passed.
# State (pid, port, data) under ${SERVICES_DIR:-/tmp}/pipeline-s3. Credentials S3RVER/S3RVER, bucket 'pipeline'.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
state="${SERVICES_DIR:-/tmp}/pipeline-s3"
case "${1:-}" in
  install)
    cd "$repo" && "${DENO:-$(command -v deno || echo "$repo/.tools/deno/node_modules/.bin/deno")}" install >/dev/null
    ;;
  start)
    mkdir -p "$state/data"
    started=0
    if [[ -f "$state/pid" ]] && kill -0 "$(cat "$state/pid")" 2>/dev/null; then
      :
    else
      started=1
      deno="${DENO:-$(command -v deno || echo "$repo/.tools/deno/node_modules/.bin/deno")}"
      rm -f "$state/out"
      (cd "$repo" && exec "$deno" run -A tools/services/s3rver.ts "$state/data" pipeline "${S3_PORT:-0}") \
        >"$state/out" 2>&1 &
      echo $! >"$state/pid"
      for _ in $(seq 1 150); do
        grep -q '^port ' "$state/out" 2>/dev/null && break
        kill -0 "$(cat "$state/pid")" 2>/dev/null || { cat "$state/out" >&2; exit 1; }
        sleep 0.2
      done
      grep -q '^port ' "$state/out" || { echo "s3rver did not start: $(cat "$state/out")" >&2; exit 1; }
    fi
    port="$(awk '/^port /{print $2}' "$state/out")"
    cat >"$state/env" <<ENV
PIPELINE_TEST_S3_ENDPOINT=http://127.0.0.1:$port
PIPELINE_TEST_S3_BUCKET=pipeline
AWS_ACCESS_KEY_ID=S3RVER
AWS_SECRET_ACCESS_KEY=S3RVER
ENV
    cat "$state/env"
    [[ $started = 1 ]] && echo PIPELINE_SERVICE_STARTED=1
    true
    ;;
  stop)
    if [[ -f "$state/pid" ]]; then kill "$(cat "$state/pid")" 2>/dev/null || true; rm -f "$state/pid" "$state/env"; fi
    ;;
  *) echo "usage: $0 install|start|stop" >&2; exit 2 ;;
esac
