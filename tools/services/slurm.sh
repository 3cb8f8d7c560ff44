#!/usr/bin/env bash
# tools/services/slurm.sh: a real Slurm (Debian slurm-wlm 22.05 + munge) on loopback for the Slurm executor's
# tests and bench. No systemd, no cgroups, no accounting database; N emulated nodes on this one host.
#
#   bash tools/services/slurm.sh install      # apt-get the packages when a binary is missing
#   bash tools/services/slurm.sh start        # start munged, slurmctld, the slurmds; wait until idle;
#                                             # prints the env that reaches it (SLURM_CONF=..., SLURM_SERVICE_DIR=...)
#                                             # and PIPELINE_SERVICE_STARTED=1 when it started a daemon
#   bash tools/services/slurm.sh stop         # cancel leftover jobs, stop the daemons by pid
#   bash tools/services/slurm.sh stop-node N  # kill emulated node N's slurmd and its jobs' processes (a node dying)
#
# State lives in $SERVICES_DIR/slurm (default /tmp/slurm): slurm.conf, pid files, logs, and `env`, the file tests
# read to find the cluster (munge's key and socket: /tmp/pipeline-munge-<hash of that dir>).
# Environment: SLURM_CI_NODES (emulated nodes, default 2),
# SLURM_CI_CTLD_PORT (default 6817; node i listens on the next ports). Must run as root (slurmd is root).
set -euo pipefail

DIR=${SERVICES_DIR:-/tmp}/slurm
CONF=$DIR/slurm.conf
# munged insists that every parent of its socket is traversable by all and its key dir owned by munge; $DIR may be
# inside a private checkout, so munge's key and socket live in a world-traversable /tmp dir named after $DIR.
MUNGE=/tmp/pipeline-munge-$(printf '%s' "$DIR" | md5sum | cut -c1-8)
NNODES=${SLURM_CI_NODES:-2}
CTLD_PORT=${SLURM_CI_CTLD_PORT:-6817}
export SLURM_CONF=$CONF

say() { echo "[slurm.sh] $*" >&2; }
started=0 # set when this call starts a daemon
die() { say "error: $*"; exit 1; }

# is_live PID: the process exists and is not a zombie (PID 1 here may reap late).
is_live() {
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}
# pid_of PIDFILE COMM: the pid in PIDFILE when it is a live process named COMM.
pid_of() {
  local pid
  pid=$(cat "$1" 2>/dev/null) || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] && is_live "$pid" && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ] && echo "$pid"
}
# halt PIDFILE COMM: TERM the process, KILL it after 20 s, remove the pid file.
halt() {
  local pid
  if pid=$(pid_of "$1" "$2"); then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 200); do is_live "$pid" || break; sleep 0.1; done
    is_live "$pid" && kill -KILL "$pid" 2>/dev/null
    say "stopped $2 (pid $pid)"
  fi
  rm -f "$1"
}
node_name() { echo "ci-$1"; }

install_packages() {
  local missing=0
  for b in munged mungekey slurmctld slurmd sbatch squeue scontrol scancel sinfo; do
    command -v "$b" >/dev/null 2>&1 || missing=1
  done
  [ "$missing" = 0 ] && return 0
  say "installing munge and slurm-wlm from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    munge slurmctld slurmd slurm-client >/dev/null
}

write_conf() {
  local hw mem nodes="" i
  hw=$(slurmd -C | head -1 | sed 's/^NodeName=[^ ]* //')
  mem=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$hw")
  hw=${hw/RealMemory=$mem/RealMemory=$((mem / NNODES))}
  for i in $(seq "$NNODES"); do
    nodes+="NodeName=$(node_name "$i") NodeHostname=localhost NodeAddr=127.0.0.1 Port=$((CTLD_PORT + i)) $hw Gres=gpu:2"$'\n'
  done
  # Choices: loopback names (no hostname resolution); linuxproc/none plugins (no cgroups here); no accounting
  # (sacct is unavailable, the executor must not need it); DefMemPerCPU so jobs without --mem share a node;
  # batch_sched_delay=0 for fast starts; SlurmdTimeout=10 so a dead node is noticed within seconds; JobRequeue=0
  # so a node failure ends the job NODE_FAIL rather than requeueing it behind the runner's back.
  # Two stand-in "GPUs" per node, so --gres=gpu:N is scheduled and shows in the job's TRES. Slurm drops a GPU
  # without a device file, so each is a character device with /dev/null's numbers.
  for i in 0 1; do [ -c "$DIR/fake-gpu$i" ] || { rm -f "$DIR/fake-gpu$i"; mknod "$DIR/fake-gpu$i" c 1 3; }; done
  printf 'AutoDetect=off\nName=gpu File=%s/fake-gpu[0-1]\n' "$DIR" >"$DIR/gres.conf"
  cat >"$CONF.tmp" <<EOF
ClusterName=pipelineci
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE/run/munge.socket
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MinJobAge=300
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
GresTypes=gpu
DefMemPerCPU=256
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
ReturnToService=2
SlurmdTimeout=10
JobRequeue=0
KillWait=3
StateSaveLocation=$DIR/state/ctld
SlurmdSpoolDir=$DIR/state/d/%n
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd-%n.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd-%n.log
${nodes}PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
  if ! cmp -s "$CONF.tmp" "$CONF"; then
    mv "$CONF.tmp" "$CONF"
    return 0 # changed
  fi
  rm -f "$CONF.tmp"
  return 1
}

start() {
  [ "$(id -u)" = 0 ] || die "must run as root (slurmd runs as root)"
  [[ "$NNODES" =~ ^[1-9]$ ]] || die "SLURM_CI_NODES must be 1..9"
  install_packages
  install -d -m 0755 "$DIR" "$DIR/run" "$DIR/log" "$DIR/state/ctld" "$DIR/state/d"
  install -d -m 0755 "$MUNGE"
  install -d -o munge -g munge -m 0700 "$MUNGE/key"
  install -d -o munge -g munge -m 0755 "$MUNGE/run"
  [ -s "$MUNGE/key/munge.key" ] || runuser -u munge -- mungekey --create --keyfile="$MUNGE/key/munge.key"
  chmod 0400 "$MUNGE/key/munge.key"
  if write_conf; then # new config: daemons started with the old one must restart
    for pf in "$DIR"/run/slurmd-*.pid; do [ -e "$pf" ] && halt "$pf" slurmd; done
    halt "$DIR/run/slurmctld.pid" slurmctld
  fi
  if ! pid_of "$MUNGE/run/munged.pid" munged >/dev/null; then
    rm -f "$MUNGE/run/"munge.socket*
    runuser -u munge -- munged --socket="$MUNGE/run/munge.socket" --pid-file="$MUNGE/run/munged.pid" \
      --key-file="$MUNGE/key/munge.key" --log-file="$MUNGE/key/munged.log" --seed-file="$MUNGE/key/munged.seed"
    started=1
  fi
  if ! pid_of "$DIR/run/slurmctld.pid" slurmctld >/dev/null; then
    rm -rf "${DIR:?}/state/ctld/"*
    slurmctld -f "$CONF"
    started=1
    for _ in $(seq 100); do scontrol ping 2>/dev/null | grep -q 'is UP' && break; sleep 0.1; done
    pid_of "$DIR/run/slurmctld.pid" slurmctld >/dev/null || { tail -20 "$DIR/log/slurmctld.log" >&2; die "slurmctld did not start"; }
  fi
  for i in $(seq "$NNODES"); do
    start_node "$(node_name "$i")"
  done
  local ready=0 want=$NNODES
  for _ in $(seq 600); do
    ready=0
    for i in $(seq "$NNODES"); do
      case $(sinfo -h -n "$(node_name "$i")" -o %T 2>/dev/null) in
        idle | mixed | allocated) ready=$((ready + 1)) ;;
        *drain* | down*) scontrol update NodeName="$(node_name "$i")" State=RESUME 2>/dev/null || true ;;
      esac
    done
    [ "$ready" = "$want" ] && break
    sleep 0.1
  done
  [ "$ready" = "$want" ] || { sinfo -N >&2; die "only $ready of $want nodes became idle; see $DIR/log/"; }
  printf 'SLURM_CONF=%s\nSLURM_SERVICE_DIR=%s\nSLURM_CI_NODES=%s\n' "$CONF" "$DIR" "$NNODES" >"$DIR/env"
  say "up: $NNODES node(s) idle"
  cat "$DIR/env"
  if [ "$started" = 1 ]; then echo PIPELINE_SERVICE_STARTED=1; fi
}

start_node() {
  local pf="$DIR/run/slurmd-$1.pid"
  pid_of "$pf" slurmd >/dev/null && return 0
  rm -rf "${DIR:?}/state/d/$1" && mkdir -p "$DIR/state/d/$1"
  slurmd -f "$CONF" -N "$1"
  started=1
  for _ in $(seq 50); do pid_of "$pf" slurmd >/dev/null && return 0; sleep 0.1; done
  tail -20 "$DIR/log/slurmd-$1.log" >&2
  die "slurmd $1 did not start"
}

# A node dying: its slurmd is killed, and so are the processes of the jobs it runs (each job's slurmstepd names
# the job id in its command line; the job ids come from squeue for that node).
stop_node() {
  local node=$1 pid job
  [ -n "$node" ] || die "usage: slurm.sh stop-node NODE"
  for job in $(squeue -h -w "$node" -t R -o %A 2>/dev/null); do
    for pid in $(grep -lx "slurmstepd: \[$job\.[a-z0-9]*\]" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3); do
      pkill_tree "$pid"
    done
  done
  if pid=$(pid_of "$DIR/run/slurmd-$node.pid" slurmd); then kill -KILL "$pid"; fi
  say "node $node is down (slurmd and its jobs killed)"
}
# pkill_tree PID: SIGKILL PID and its descendants, children first found through /proc.
pkill_tree() {
  local child
  for child in $(cat /proc/"$1"/task/*/children 2>/dev/null); do pkill_tree "$child"; done
  kill -KILL "$1" 2>/dev/null || true
}

stop() {
  if pid_of "$DIR/run/slurmctld.pid" slurmctld >/dev/null; then
    if [ -n "$(squeue -h -t PD,R,CG -o %A 2>/dev/null)" ]; then
      scancel --partition=debug 2>/dev/null || true
      for _ in $(seq 100); do [ -z "$(squeue -h -t PD,R,CG -o %A 2>/dev/null)" ] && break; sleep 0.1; done
    fi
  fi
  for pf in "$DIR"/run/slurmd-*.pid; do [ -e "$pf" ] && halt "$pf" slurmd; done
  halt "$DIR/run/slurmctld.pid" slurmctld
  halt "$MUNGE/run/munged.pid" munged
  rm -f "$DIR/env"
}

case ${1:-} in
  install) install_packages ;;
  start) start ;;
  stop) stop ;;
  stop-node) stop_node "${2:-}" ;;
  start-node) start_node "${2:?usage: slurm.sh start-node NODE}" ;;
  *) die "usage: slurm.sh install | start | stop | stop-node NODE | start-node NODE" ;;
esac
