#!/bin/sh
# status.sh JOBID: a Slurm job's state as Snakemake wants it: running, success or failed.
# scontrol knows jobs for MinJobAge after they end; sacct (where accounting runs) after that.
id=${1%%;*}
state=$(scontrol show job "$id" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' | head -n 1)
[ -n "$state" ] || state=$(sacct -n -X -P -j "$id" -o State 2>/dev/null | head -n 1 | cut -d' ' -f1)
case $state in
  COMPLETED) echo success ;;
  PENDING|RUNNING|CONFIGURING|COMPLETING|SUSPENDED|REQUEUED|RESIZING|STAGE_OUT|SIGNALING|"") echo running ;;
  *) echo failed ;;
esac
