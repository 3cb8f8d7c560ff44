#!/usr/bin/env bash
# Debian's bubblewrap (`bwrap`), which the stage sandbox runs commands under (pipeline/sandbox.ts), and xxhash
# (`xxhsum`), with which the fault-injection tests check cache objects independently. Not a daemon: `start` and
# `stop` only check and print what the tests look for.
#   tools/services/bubblewrap.sh install|start|stop
set -euo pipefail
case "${1:-}" in
  install)
    need=()
    command -v bwrap >/dev/null 2>&1 || need+=(bubblewrap)
    command -v xxhsum >/dev/null 2>&1 || need+=(xxhash)
    if [ ${#need[@]} -gt 0 ]; then
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
    fi
    bwrap --version
    ;;
  start)
    # Nothing runs in the background; fail early when bwrap cannot build a sandbox on this machine.
    bwrap --ro-bind / / --dev /dev --proc /proc --unshare-net --unshare-pid --die-with-parent true
    echo "BWRAP=$(command -v bwrap)"
    ;;
  stop) ;;
  *)
    echo "usage: $0 install|start|stop" >&2
    exit 2
    ;;
esac
