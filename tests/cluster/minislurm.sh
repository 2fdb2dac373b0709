#!/bin/sh
# minislurm.sh: a one-node Slurm cluster on loopback for tests, all state under DIR.
#   minislurm.sh start DIR   start munged (as the munge user), slurmctld and slurmd; wait until the node is idle
#   minislurm.sh stop DIR    stop all three
# Clients need SLURM_CONF=DIR/slurm.conf (start prints the export line). Runs as root.
set -eu
cmd=$1; D=$2
conf=$D/slurm.conf
stop() {
  for p in slurmd slurmctld munged; do
    [ -f "$D/$p.pid" ] && kill "$(cat "$D/$p.pid")" 2>/dev/null || true
  done
  sleep 1
  for p in slurmd slurmctld munged; do
    [ -f "$D/$p.pid" ] && kill -9 "$(cat "$D/$p.pid")" 2>/dev/null || true
    rm -f "$D/$p.pid"
  done
}
case $cmd in
stop) stop; exit 0 ;;
start) ;;
*) echo "usage: minislurm.sh start|stop DIR" >&2; exit 2 ;;
esac

mkdir -p "$D/munge" "$D/state" "$D/spool" "$D/log"
chmod 755 "$D"
# munged refuses keys and sockets that others could write
dd if=/dev/urandom of="$D/munge/munge.key" bs=1024 count=1 2>/dev/null
chown -R munge:munge "$D/munge"; chmod 700 "$D/munge"; chmod 400 "$D/munge/munge.key"
mkdir -p "$D/munge-run"; chown munge:munge "$D/munge-run"; chmod 755 "$D/munge-run"
runuser -u munge -- /usr/sbin/munged --key-file="$D/munge/munge.key" --socket="$D/munge-run/munge.socket" \
  --pid-file="$D/munge-run/munged.pid" --log-file="$D/munge/munged.log" --seed-file="$D/munge/munged.seed" --force
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -S "$D/munge-run/munge.socket" ] && break; sleep 0.5; done
cp "$D/munge-run/munged.pid" "$D/munged.pid"

host=$(hostname -s)
cpus=$(nproc)
mem=$(awk '/MemTotal/ { print int($2 / 1024 * 0.8) }' /proc/meminfo)
port=${MINISLURM_PORT:-16817}
cat > "$conf" <<CONF
ClusterName=plmscope-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$D/munge-run/munge.socket
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool
SlurmctldPidFile=$D/slurmctld.pid
SlurmdPidFile=$D/slurmd.pid
SlurmctldLogFile=$D/log/slurmctld.log
SlurmdLogFile=$D/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
MinJobAge=600
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$conf"
/usr/sbin/slurmctld -f "$conf"
/usr/sbin/slurmd -f "$conf"
for _ in $(seq 1 60); do
  state=$(sinfo -h -N -o %t 2>/dev/null | head -n 1)
  [ "$state" = idle ] && { echo "export SLURM_CONF=$conf"; exit 0; }
  sleep 0.5
done
echo "minislurm: node not idle after 30 s (state '${state:-none}')" >&2
tail -n 5 "$D/log/slurmctld.log" "$D/log/slurmd.log" >&2 2>/dev/null || true
exit 1
