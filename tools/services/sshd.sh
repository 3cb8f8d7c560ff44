#!/usr/bin/env bash
# A local OpenSSH server (Debian openssh-server) on 127.0.0.1 for the SSH remote tests and bench: its own
# sshd_config and host key on a high port, one generated client key for the current user, and a known_hosts.
#   tools/services/sshd.sh install   # apt-get openssh-server when missing
#   tools/services/sshd.sh start     # background; prints KEY=VALUE lines that reach it
#   tools/services/sshd.sh stop
# State under ${SERVICES_DIR:-/tmp}/pipeline-sshd. Needs root (sshd's privilege separation) or a user sshd.
set -euo pipefail
state="${SERVICES_DIR:-/tmp}/pipeline-sshd"
port="${SSHD_PORT:-22422}"
case "${1:-}" in
  install)
    if [[ ! -x /usr/sbin/sshd ]]; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-server >/dev/null
    fi
    ;;
  start)
    mkdir -p "$state" /run/sshd
    chmod 700 "$state"
    [[ -f "$state/host_key" ]] || ssh-keygen -q -t ed25519 -N '' -f "$state/host_key"
    [[ -f "$state/client_key" ]] || ssh-keygen -q -t ed25519 -N '' -f "$state/client_key"
    cp "$state/client_key.pub" "$state/authorized_keys"
    chmod 600 "$state/authorized_keys"
    cat >"$state/sshd_config" <<CFG
Port $port
ListenAddress 127.0.0.1
HostKey $state/host_key
PidFile $state/sshd.pid
AuthorizedKeysFile $state/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
MaxSessions 32
MaxStartups 64
Subsystem sftp internal-sftp
CFG
    started=0
    if [[ -f "$state/sshd.pid" ]] && kill -0 "$(cat "$state/sshd.pid")" 2>/dev/null; then
      :
    else
      started=1
      /usr/sbin/sshd -f "$state/sshd_config" -E "$state/sshd.log"
      for _ in $(seq 1 50); do
        [[ -f "$state/sshd.pid" ]] && (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break
        sleep 0.1
      done
    fi
    echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$state/host_key.pub")" >"$state/known_hosts"
    cat >"$state/env" <<ENV
PIPELINE_TEST_SSH_URL=ssh://$(id -un)@127.0.0.1:$port
PIPELINE_SSH_KEY_FILE=$state/client_key
PIPELINE_SSH_KNOWN_HOSTS=$state/known_hosts
ENV
    cat "$state/env"
    [[ $started = 1 ]] && echo PIPELINE_SERVICE_STARTED=1
    true
    ;;
  stop)
    if [[ -f "$state/sshd.pid" ]]; then kill "$(cat "$state/sshd.pid")" 2>/dev/null || true; rm -f "$state/sshd.pid" "$state/env"; fi
    ;;
  *) echo "usage: $0 install|start|stop" >&2; exit 2 ;;
esac
