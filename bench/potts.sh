#!/bin/sh
# potts.sh: potts(1) time and peak memory, and the same fit beside plmc.
#
# Table 1, by alignment size (N sequences x L focus columns), on 1 and 2 gradient threads:
# 1whzA (662 x 65, GREMLIN preset, 100 iterations) and DHFR (plmc preset, focus DYR_ECOLI)
# whole and cut to its first 500, 1000 and 2000 sequences with seqread --first. DHFR fits stop
# after POTTS_BENCH_ITERS L-BFGS iterations (default 10), so "s/iter" (wall time over
# iterations, the weights and setup included) is the figure to compare across sizes.
#
# Table 2, potts against plmc (github.com/debbiemarkslab/plmc) on plmc's own example, the
# command of its README: "plmc -c DHFR.couplings -le 16.0 -lh 0.01 -m 100 -g -f DYR_ECOLI
# DHFR.a2m" against "potts --preset plmc --focus DYR_ECOLI --tsv ...", both on
# POTTS_BENCH_THREADS threads (default 2; OMP_NUM_THREADS for plmc), the whole 100-iteration
# fits, POTTS_BENCH_ROUNDS rounds (default 2) alternating the two tools so a busy machine
# slows both alike. plmc is $PLMC (a binary), else built from $PLMC_SRC (a checkout of
# plmc; built in a scratch copy with "make all-openmp32", its float OpenMP build, or
# $PLMC_TARGET), else "plmc" on PATH; with none of those the table is skipped, saying so.
# Its last line compares the two tools' APC scores over the 12561 pairs (Pearson, max |diff|).
#
# Wall clock, and CPU seconds (user + system, a steadier figure on a shared machine); peak memory is the process's maximum resident set, from GNU time, or from
# python3's resource module where /usr/bin/time is absent. Run by `make bench`.
# Environment: BUILD, SHARED, PYTHON, POTTS_BENCH_ITERS, POTTS_BENCH_THREADS,
# POTTS_BENCH_ROUNDS, PLMC, PLMC_SRC, PLMC_TARGET, POTTS_BENCH_ONLY (sizes or plmc: one table).
BUILD=${BUILD:-build}
BIN=$BUILD/bin
SHARED=${SHARED:-../shared}
PYTHON=${PYTHON:-python3}
ITERS=${POTTS_BENCH_ITERS:-10}
THREADS=${POTTS_BENCH_THREADS:-2}
ROUNDS=${POTTS_BENCH_ROUNDS:-2}
GREM=$SHARED/data/msa/gremlin/1whzA.id90cov82.cut.msa
DHFR=$SHARED/data/msa/plmc/example/protein/DHFR.a2m
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT

for tool in potts seqread plmstream; do
  [ -x "$BIN/$tool" ] || { echo "potts bench: $BIN/$tool not built, skipped"; exit 0; }
done
[ -f "$GREM" ] && [ -f "$DHFR" ] || { echo "potts bench: $SHARED/data/msa absent, skipped"; exit 0; }

# measure CMD...: run it (stdout to $T/out, stderr to $T/err), print "seconds peakKB", and
# leave the CPU seconds (user + system) in $T/cpu where GNU time can tell
if [ -x /usr/bin/time ]; then
  measure() {
    t0=$(date +%s.%N)
    /usr/bin/time -f "%M %U %S" -o "$T/time" "$@" > "$T/out" 2>"$T/err" || return 1
    t1=$(date +%s.%N)
    tail -n 1 "$T/time" | awk '{ printf "%.1f\n", $2 + $3 }' > "$T/cpu"
    echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') $(tail -n 1 "$T/time" | cut -d ' ' -f 1)"
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

# ---------------------------------------------------------------- by size
sizes() {
  for n in 500 1000 2000; do "$BIN/seqread" --first $n "$DHFR" > "$T/DHFR_$n.tsr" || return; done
  printf '%-10s %5s %4s %-8s %2s | %8s %6s %8s %7s | %7s\n' alignment N L preset j seconds iters "s/iter" peakMB speedup
  row 1whzA gremlin
  for name in DHFR_500 DHFR_1000 DHFR_2000 DHFR; do row "$name" plmc --focus DYR_ECOLI --iters "$ITERS"; done
}
# row NAME PRESET ITER-OPTIONS...: the fit on 1 then 2 threads
row() {
  name=$1 preset=$2; shift 2
  extra=$*
  N=$("$BIN/plmstream" ls "$T/$name.tsr" | wc -l)
  t1=""
  for j in 1 2; do
    set -- $(measure "$BIN/potts" -v --preset "$preset" --threads $j $extra "$T/$name.tsr")
    [ $# -eq 2 ] || { echo "potts bench: $name --threads $j failed: $(tail -n 1 "$T/err")"; return; }
    L=$("$BIN/plmstream" ls "$T/out" | cut -f 3)
    it=$(sed -n 's/.* after \([0-9]*\) iterations.*/\1/p' "$T/err" | tail -n 1)
    : "${t1:=$1}"
    awk -v name="$name" -v N="$N" -v L="$L" -v p="$preset" -v j=$j -v s="$1" -v kb="$2" -v it="${it:-0}" -v t1="$t1" 'BEGIN {
      printf "%-10s %5d %4d %-8s %2d | %8.2f %6d %8.3f %7.0f | %6.2fx\n", name, N, L, p, j, s, it, it ? s / it : 0, kb / 1024, t1 / s }'
  done
}

# ---------------------------------------------------------------- beside plmc
# find_plmc: the plmc binary's path on stdout, or a reason on stderr and status 1
find_plmc() {
  if [ -n "$PLMC" ]; then
    [ -x "$PLMC" ] && { echo "$PLMC"; return 0; }
    echo "PLMC=$PLMC is not an executable" >&2; return 1
  fi
  if [ -n "$PLMC_SRC" ]; then
    [ -f "$PLMC_SRC/makefile" ] && [ -d "$PLMC_SRC/src" ] || { echo "PLMC_SRC=$PLMC_SRC is not a plmc checkout" >&2; return 1; }
    mkdir -p "$T/plmc" && cp -R "$PLMC_SRC/makefile" "$PLMC_SRC/src" "$T/plmc/" && mkdir -p "$T/plmc/bin" &&
      (cd "$T/plmc" && make "${PLMC_TARGET:-all-openmp32}") > "$T/plmc.log" 2>&1 ||
      { echo "building plmc from $PLMC_SRC failed: $(tail -n 1 "$T/plmc.log")" >&2; return 1; }
    echo "$T/plmc/bin/plmc"; return 0
  fi
  command -v plmc 2>/dev/null && return 0
  echo "no plmc: set PLMC=/path/to/plmc or PLMC_SRC=/path/to/plmc-checkout" >&2
  return 1
}

peer() {
  plmc=$(find_plmc) || { echo "potts bench: beside plmc skipped: $(find_plmc 2>&1 >/dev/null)"; return; }
  echo "DHFR, plmc's README command (100 iterations), $THREADS threads; plmc: $plmc${PLMC_SRC:+ (make ${PLMC_TARGET:-all-openmp32})}"
  printf '%-6s %5s | %8s %8s %6s %7s\n' tool round seconds cpu_s iters peakMB
  r=1
  while [ "$r" -le "$ROUNDS" ]; do
    set -- $(OMP_NUM_THREADS=$THREADS measure "$plmc" -c "$T/plmc.cpl" -le 16.0 -lh 0.01 -m 100 -g -f DYR_ECOLI "$DHFR")
    if [ $# -eq 2 ]; then
      it=$(awk '$1 ~ /^[0-9]+$/ { n = $1 } END { print n + 0 }' "$T/err")
      awk -v r=$r -v s="$1" -v kb="$2" -v it="$it" -v c="$(cat "$T/cpu" 2>/dev/null)" 'BEGIN {
        printf "%-6s %5d | %8.2f %8s %6d %7.0f\n", "plmc", r, s, c == "" ? "-" : c, it, kb / 1024 }'
    else echo "potts bench: plmc failed: $(tail -n 1 "$T/err")"; fi
    set -- $(measure "$BIN/potts" -v --preset plmc --focus DYR_ECOLI --threads "$THREADS" --tsv "$T/potts.cpl" "$T/DHFR.tsr")
    if [ $# -eq 2 ]; then
      it=$(sed -n 's/.* after \([0-9]*\) iterations.*/\1/p' "$T/err" | tail -n 1)
      awk -v r=$r -v s="$1" -v kb="$2" -v it="${it:-0}" -v c="$(cat "$T/cpu" 2>/dev/null)" 'BEGIN {
        printf "%-6s %5d | %8.2f %8s %6d %7.0f\n", "potts", r, s, c == "" ? "-" : c, it, kb / 1024 }'
    else echo "potts bench: potts failed: $(tail -n 1 "$T/err")"; fi
    r=$((r + 1))
  done
  [ -s "$T/plmc.cpl" ] && [ -s "$T/potts.cpl" ] || return
  awk 'NR == FNR { s[$1 "_" $3] = $6; next } ($1 "_" $3) in s { a = s[$1 "_" $3]; b = $6; n++
         sa += a; sb += b; saa += a * a; sbb += b * b; sab += a * b; d = a > b ? a - b : b - a; if (d > m) m = d }
       END { if (n) printf "scores of %d pairs: Pearson %.5f, max |diff| %.4f (potts vs plmc)\n", n,
               (n * sab - sa * sb) / sqrt((n * saa - sa * sa) * (n * sbb - sb * sb)), m }' "$T/potts.cpl" "$T/plmc.cpl"
}

case ${POTTS_BENCH_ONLY:-all} in
  sizes) sizes ;;
  plmc)  peer ;;
  *)     sizes; echo; peer ;;
esac
