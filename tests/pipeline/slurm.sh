#!/bin/sh
# slurm.sh: the Snakemake workflow (workflow/) on a real one-node Slurm cluster started here
# (munged, slurmctld, slurmd on loopback; tests/cluster/minislurm.sh). 40 pdb70 chains in 4
# shards go through sbatch; the merged results must equal one single-process pipeline byte for
# byte; one shard's job is cancelled in Slurm and the rerun must repair that shard alone; a
# finished workflow reruns nothing. With PLMSCOPE_INSTALLED=PREFIX (CI: /usr, after installing
# the .deb that `make deb` builds) the tools and the workflow are the installed ones.
. tests/lib.sh
R=$PWD
case $BIN in /*) ;; *) BIN=$R/$BIN;; esac
WF=$R/workflow
if [ -n "${PLMSCOPE_INSTALLED:-}" ]; then
  BIN=$PLMSCOPE_INSTALLED/bin; WF=$PLMSCOPE_INSTALLED/share/plmscope/workflow
  v=$(cd / && /usr/bin/python3 -c 'import plmscope; print(plmscope.__version__)' 2>&1)
  [ -x "$BIN/attn" ] && [ -f "$WF/Snakefile" ] && [ "$v" = "$(cat VERSION)" ] &&
    pass "the installed package has the tools, the workflow and the Python package ($v) under $PLMSCOPE_INSTALLED" ||
    fail "installed package under $PLMSCOPE_INSTALLED: attn, $WF/Snakefile or python3 plmscope missing ($v)"
fi
if [ "$(id -u)" != 0 ]; then skip "slurm workflow: starting munged and slurmd needs root"; exit 0; fi
for p in snakemake slurmctld slurmd munged sbatch; do
  command -v $p >/dev/null 2>&1 || [ -x /usr/sbin/$p ] || { skip "slurm workflow: $p not installed (sh deps/install installs it)"; exit 0; }
done
need_shared data/structures/pdb70_subset500 "slurm workflow" || exit 0
need_shared fixtures/models "slurm workflow" || exit 0

S=$T/slurm; W=$T/work; mkdir -p "$S" "$W"
chmod 755 "$T"   # munged runs as the munge user and must reach its files below $T
if ! sh tests/cluster/minislurm.sh start "$S" > "$T/slurm.env" 2> "$T/slurm.err"; then
  fail "slurm workflow: the one-node cluster did not start: $(tail -n 4 "$T/slurm.err" | tr '\n' ' ')"
  sh tests/cluster/minislurm.sh stop "$S"; exit 0
fi
. "$T/slurm.env"
trap 'sh tests/cluster/minislurm.sh stop "$S"; rm -rf "$T"' EXIT
pass "a one-node Slurm cluster runs (munged, slurmctld, slurmd; sinfo: $(sinfo -h -o '%D node %t')); tools from $BIN"

M=$(cd "$SHARED/fixtures/models" && pwd)/esm2_t3_tiny_random.pt
ALN=$(cd "$SHARED/data/msa/gremlin" && pwd)/1whzA.id90cov82.cut.msa
"$BIN/structseq" --index "$SHARED/data/structures/pdb70_subset500/INDEX.tsv" --first 40 > "$W/in.fasta" 2>/dev/null
cat > "$W/config.yaml" <<EOF
inputs: [in.fasta]
model: $M
shards: 4
outdir: results
bin: $BIN
contacts: true
embeddings: true
npy: true
attn_options: ""
headstat: [aa]
headstat_options: "--min-arcs 10"
potts: [$ALN]
potts_options: "--preset gremlin --iters 20"
resources:
  attn:     {threads: 1, mem_mb: 500, runtime: 10, gpus: 0}
  headstat: {threads: 1, mem_mb: 500, runtime: 10, gpus: 0}
  potts:    {threads: 1, mem_mb: 500, runtime: 10, gpus: 0}
  merge:    {threads: 1, mem_mb: 200, runtime: 10, gpus: 0}
EOF
# the single-process pipeline the workflow must reproduce
(cd "$W" && "$BIN/seqread" in.fasta | "$BIN/attn" -m "$M" --threads 1 --contacts --mean > ref.tsr &&
  "$BIN/plmstream" rr -o ref_rr ref.tsr && "$BIN/plmstream" npy -o ref_npy ref.tsr &&
  "$BIN/seqread" in.fasta | "$BIN/attn" -m "$M" --threads 1 --attentions | "$BIN/headstat" -p aa --min-arcs 10 > ref_heads.tsv &&
  "$BIN/seqread" "$ALN" | "$BIN/potts" --preset gremlin --iters 20 --threads 1 --rr ref_potts.rr > ref_potts.tsr) 2> "$T/ref.err" ||
  fail "slurm workflow: the reference pipeline failed: $(head -c 300 "$T/ref.err")"

# first run: sbatch holds shard 3's job, and the test cancels it in Slurm while the others run
mkdir -p "$T/hold"
cat > "$T/hold/sbatch" <<'EOF'
#!/bin/sh
for last; do :; done
if grep -q 'shards/3.tsr' "$last"; then exec /usr/bin/sbatch --hold "$@"; fi
exec /usr/bin/sbatch "$@"
EOF
chmod +x "$T/hold/sbatch"
smk() { (cd "$W" && snakemake -s "$WF/Snakefile" --profile "$WF/profiles/slurm" --configfile config.yaml "$@"); }
PATH=$T/hold:$PATH smk > "$T/run1.log" 2>&1 &
smk_pid=$!
held=
for _ in $(seq 1 240); do
  held=$(squeue -h -t PD -o '%i %r' | awk '$2 == "JobHeldUser" { print $1 }' | head -n 1)
  [ -n "$held" ] && break; sleep 0.5
done
if [ -z "$held" ]; then fail "slurm workflow: shard 3's job never reached Slurm held: $(tail -n 5 "$T/run1.log" | tr '\n' ' ')"; kill $smk_pid; exit 0; fi
scancel "$held"
wait $smk_pid; rc1=$?
state=$(scontrol show job "$held" | sed -n 's/.*JobState=\([A-Z]*\).*/\1/p')
jobs1=$(grep -c '^Submitted job .* with external jobid' "$T/run1.log")
if [ $rc1 -ne 0 ] && [ "$state" = CANCELLED ] && [ -f "$W/results/shards/1.tsr" ] && [ -f "$W/results/shards/4.tsr" ] && [ ! -e "$W/results/shards/3.tsr" ]; then
  pass "slurm workflow: $jobs1 jobs through sbatch; shard 3's job cancelled in Slurm ($held $state) fails the run, the other shards finish"
else
  fail "slurm workflow first run: exit $rc1, job $held $state, shards: $(ls "$W/results/shards" 2>/dev/null | tr '\n' ' ') $(tail -n 5 "$T/run1.log" | tr '\n' ' ')"
fi

# the rerun repairs shard 3 alone (and what depends on it)
before=$(ls -l --time-style=+%s.%N "$W/results/shards/1.tsr" "$W/results/shards/2.tsr" "$W/results/shards/4.tsr" | awk '{ print $6 }')
smk > "$T/run2.log" 2>&1; rc2=$?
after=$(ls -l --time-style=+%s.%N "$W/results/shards/1.tsr" "$W/results/shards/2.tsr" "$W/results/shards/4.tsr" | awk '{ print $6 }')
shards2=$(grep -A2 '^rule attn_shard:' "$T/run2.log" | grep -o 'shards/[0-9]*.tsr' | sort -u | tr '\n' ' ')
if [ $rc2 -eq 0 ] && [ "$before" = "$after" ] && [ "$shards2" = "shards/3.tsr " ]; then
  pass "slurm workflow rerun: only shard 3's attn job runs again ($(grep -c '^Submitted job .* with external jobid' "$T/run2.log") jobs), the finished shards stay"
else
  fail "slurm workflow rerun: exit $rc2, attn jobs for '$shards2', shard files changed: $([ "$before" = "$after" ] && echo no || echo yes); $(tail -n 5 "$T/run2.log" | tr '\n' ' ')"
fi

# the merged results equal the single-process pipeline's
same() { cmp -s "$W/$1" "$W/$2" && pass "slurm workflow: $2 equals the single-process $1 byte for byte" || fail "slurm workflow: $2 differs from $1"; }
same ref.tsr results/all.tsr
same ref_heads.tsv results/headstat.tsv
same ref_potts.tsr results/potts/1whzA.tsr
same ref_potts.rr results/potts/1whzA.rr
for d in rr npy; do
  n=$(ls "$W/ref_$d" | wc -l)
  diff -r -x .snakemake_timestamp "$W/ref_$d" "$W/results/$d" > /dev/null && [ "$n" -ge 40 ] &&
    pass "slurm workflow: results/$d equals the single-process plmstream $d ($n files)" || fail "slurm workflow: results/$d differs from plmstream $d"
done
ls "$W/results/headstat/figures/"*.png > /dev/null 2>&1 && pass "slurm workflow: headstat figures drawn from the merged state" || fail "slurm workflow: no headstat figures"

# a finished workflow reruns nothing
smk > "$T/run3.log" 2>&1 && grep -q 'Nothing to be done' "$T/run3.log" &&
  pass "slurm workflow: a finished workflow reruns nothing" || fail "slurm workflow third run: $(tail -n 3 "$T/run3.log" | tr '\n' ' ')"
# every job was Slurm's: the cluster saw each one the logs submitted
seen=$(scontrol show jobs | grep -c 'JobName=plm-')
submitted=$(cat "$T/run1.log" "$T/run2.log" | grep -c '^Submitted job .* with external jobid')
[ "$seen" -eq "$submitted" ] && [ "$seen" -ge 14 ] && pass "slurm workflow: Slurm ran all $seen jobs Snakemake submitted" ||
  fail "slurm workflow: Slurm knows $seen plm- jobs, Snakemake submitted $submitted"
