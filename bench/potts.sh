#!/bin/sh
# potts.sh: potts(1) time and peak memory by alignment size (N sequences x L focus columns),
# on 1 and 2 gradient threads (-j): 1whzA (662 x 65, GREMLIN preset, fitted to convergence)
# and DHFR (plmc preset, focus DYR_ECOLI) whole and cut to its first 500, 1000 and 2000
# sequences with seqread --first. DHFR fits stop after POTTS_BENCH_ITERS L-BFGS iterations
# (default 10; the whole fit's 100 take minutes), so "s/iter" (wall time over iterations, the
# weights and setup included) is the figure to compare across sizes. Wall clock: on a machine
# shared with other work every row suffers. Peak memory is the process's maximum resident set,
# from GNU time, or from python3's resource module where /usr/bin/time is absent.
# Run by `make bench`. Environment: BUILD, SHARED, PYTHON, POTTS_BENCH_ITERS.
BUILD=${BUILD:-build}
BIN=$BUILD/bin
SHARED=${SHARED:-../shared}
PYTHON=${PYTHON:-python3}
ITERS=${POTTS_BENCH_ITERS:-10}
GREM=$SHARED/data/msa/gremlin/1whzA.id90cov82.cut.msa
DHFR=$SHARED/data/msa/plmc/example/protein/DHFR.a2m
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT

for tool in potts seqread plmstream; do
  [ -x "$BIN/$tool" ] || { echo "potts bench: $BIN/$tool not built, skipped"; exit 0; }
done
[ -f "$GREM" ] && [ -f "$DHFR" ] || { echo "potts bench: $SHARED/data/msa absent, skipped"; exit 0; }

# measure CMD...: run it (stdout to $T/out, stderr to $T/err), print "seconds peakKB"
if [ -x /usr/bin/time ]; then
  measure() {
    t0=$(date +%s.%N)
    /usr/bin/time -f "%M" -o "$T/time" "$@" > "$T/out" 2>"$T/err" || return 1
    t1=$(date +%s.%N)
    echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') $(tail -n 1 "$T/time")"
  }
elif "$PYTHON" -c 'import resource' 2>/dev/null; then
  measure() {
    "$PYTHON" -c 'import resource, subprocess, sys, time
t = time.perf_counter()
with open(sys.argv[1], "wb") as out, open(sys.argv[2], "wb") as err:
    rc = subprocess.call(sys.argv[3:], stdout=out, stderr=err)
t = time.perf_counter() - t
print("%.2f %d" % (t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)) if rc == 0 else sys.exit(1)' "$T/out" "$T/err" "$@"
  }
else
  echo "potts bench: neither /usr/bin/time nor python3 to measure with, skipped"; exit 0
fi

"$BIN/seqread" "$GREM" > "$T/1whzA.tsr" && "$BIN/seqread" "$DHFR" > "$T/DHFR.tsr" || { echo "potts bench: seqread failed"; exit 0; }
for n in 500 1000 2000; do "$BIN/seqread" --first $n "$DHFR" > "$T/DHFR_$n.tsr" || exit 0; done

printf '%-10s %5s %4s %-8s %2s | %8s %6s %8s %7s | %7s\n' alignment N L preset j seconds iters "s/iter" peakMB speedup
# row NAME PRESET ITER-OPTIONS...: the fit on 1 then 2 threads
row() {
  name=$1 preset=$2; shift 2
  extra=$*
  N=$("$BIN/plmstream" ls "$T/$name.tsr" | wc -l)
  t1=""
  for j in 1 2; do
    set -- $(measure "$BIN/potts" -v --preset "$preset" -j $j $extra "$T/$name.tsr")
    [ $# -eq 2 ] || { echo "potts bench: $name -j $j failed: $(tail -n 1 "$T/err")"; return; }
    L=$("$BIN/plmstream" ls "$T/out" | cut -f 3)
    it=$(sed -n 's/.* after \([0-9]*\) iterations.*/\1/p' "$T/err" | tail -n 1)
    : "${t1:=$1}"
    awk -v name="$name" -v N="$N" -v L="$L" -v p="$preset" -v j=$j -v s="$1" -v kb="$2" -v it="${it:-0}" -v t1="$t1" 'BEGIN {
      printf "%-10s %5d %4d %-8s %2d | %8.2f %6d %8.3f %7.0f | %6.2fx\n", name, N, L, p, j, s, it, it ? s / it : 0, kb / 1024, t1 / s }'
  done
}
row 1whzA gremlin
for name in DHFR_500 DHFR_1000 DHFR_2000 DHFR; do row "$name" plmc -f DYR_ECOLI -m "$ITERS"; done
