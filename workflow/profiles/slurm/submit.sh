#!/bin/sh
# submit.sh RULE THREADS MEM_MB RUNTIME_MIN GPUS JOBSCRIPT: sbatch one Snakemake job; prints its Slurm job id.
# $PLMSCOPE_SBATCH_ARGS adds site options (partition, account, qos), e.g. "-p gpu -A mylab".
set -eu
rule=$1 threads=$2 mem=$3 runtime=$4 gpus=$5 jobscript=$6
mkdir -p logs/slurm
gres=
[ "$gpus" -gt 0 ] 2>/dev/null && gres="--gres=gpu:$gpus"
# shellcheck disable=SC2086
exec sbatch --parsable --job-name="plm-$rule" --cpus-per-task="$threads" --mem="${mem}M" --time="$runtime" \
  --output="logs/slurm/$rule-%j.out" $gres ${PLMSCOPE_SBATCH_ARGS:-} "$jobscript"
