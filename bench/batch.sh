#!/bin/sh
# batch.sh: attn's batched forward passes (--batch-tokens 1024, the default; BATCH_BENCH_TOKENS) against its own
# one-protein-at-a-time path (--batch-tokens 1), in the same run, interleaved, on a random ESM-2 of
# the 35M shape (mkmodel(1)), 2 threads, over three sets:
#   short     120 generated proteins, L 30-128 (where batching must gain most)
#   pdb70     the chains of ../shared/data/structures/pdb70_subset500 (L 30-300), via structseq
#   longtail  generated UniProt-like lengths (log-normal, median ~300, clipped to 50-2000)
# for --contacts, --repr 12 --mean and --attentions (short set only: the maps of a batch are held
# until it is written, so it runs with --batch-tokens 1024).
# Columns: set, mode, proteins, then for one-at-a-time and batched: proteins/s, peak MB (resident),
# GFLOP/s (the encoder's multiply-adds: per layer 2T(4D^2 + 2DF) + 4T^2 D, T = L + 2), and the
# speedup batched / one-at-a-time; with BATCH_BENCH_REPS > 1 each row is the best of that many
# rounds (the two sides alternate in every round) and "spread" the lowest and highest speedup of a
# round, which says how much a busy machine moved the numbers. A row "opencl" then compares the two
# paths the same way on the OpenCL backend (pocl on a machine without a GPU: the first
# BATCH_BENCH_OPENCL_N (20) proteins of the short set, --contacts; 0 skips it). Then the sgemm limit of
# this machine at the shapes of the position-wise layers (bench/sgemm_limit.c), for OpenBLAS and for
# oneDNN (what attn uses under PLMSCOPE_GEMM=auto where the CPU has AVX-512): M = a typical
# protein's T, and M = 1024, 4096 (batches).
# Last, where torch imports (Debian's python3-torch), fair-esm's own batching: esm-extract's loop
# (FastaBatchedDataset batches of 4096 tokens, padded; `--include contacts` or `mean`) on
# bench/esm_extract_torch.py's plain-torch ESM-2 (fair-esm itself is not a Debian package), which
# first checks a padded batch against the golden outputs: proteins/s, peak MB, and attn's batched
# proteins/s over it.
# Run by `make bench`. Environment: BUILD, SHARED, PYTHON; BATCH_BENCH_SETS narrows the sets,
# BATCH_BENCH_TOKENS the batch size (default 1024), BATCH_BENCH_N caps the proteins per set (default: short 120, pdb70 500, longtail 100),
# BATCH_BENCH_REPS the rounds (default 1), BATCH_BENCH_OPENCL_N the OpenCL row's proteins.
BUILD=${BUILD:-build}
BIN=$BUILD/bin
SHARED=${SHARED:-../shared}
PYTHON=${PYTHON:-python3}
SETS=${BATCH_BENCH_SETS:-"short pdb70 longtail"}
MDIR=$BUILD/bench-models
MODEL=$MDIR/esm2_t12_35M
D=480 F=1920 NL=12
mkdir -p "$MDIR" && T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
for tool in attn seqread mkmodel structseq plmstream; do
  [ -x "$BIN/$tool" ] || { echo "batch bench: $BIN/$tool not built, skipped"; exit 0; }
done
[ -x /usr/bin/time ] || { echo "batch bench: /usr/bin/time absent, skipped"; exit 0; }
[ -f "$MODEL/model.safetensors" ] || "$BIN/mkmodel" --shape esm2_t12_35M --seed 1 -o "$MODEL" >/dev/null ||
  { echo "batch bench: mkmodel failed"; exit 1; }

# the sets, as FASTA
gen() {  # gen N LO HI lognormal|uniform SEED
  "$PYTHON" -c '
import math, random, sys
n, lo, hi, kind, seed = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
r = random.Random(seed)
for i in range(n):
    L = r.randint(lo, hi) if kind == "uniform" else min(hi, max(lo, int(r.lognormvariate(math.log(300), 0.8))))
    print(">p%d\n%s" % (i, "".join(r.choice("ACDEFGHIKLMNPQRSTVWY") for _ in range(L))))' "$@"
}
for set in $SETS; do
  case $set in
  short)    gen "${BATCH_BENCH_N:-120}" 30 128 uniform 3 > "$T/$set.fa" ;;
  longtail) gen "${BATCH_BENCH_N:-100}" 50 2000 lognormal 4 > "$T/$set.fa" ;;
  pdb70)    "$BIN/structseq" "$SHARED"/data/structures/pdb70_subset500/*.pdb.gz 2>/dev/null |
              awk -v n="${BATCH_BENCH_N:-500}" '/^>/ { k++ } k <= n' > "$T/$set.fa" ;;
  esac
  "$BIN/seqread" "$T/$set.fa" > "$T/$set.tsr" || { echo "batch bench: $set: seqread failed"; exit 1; }
done

flops() {  # the encoder's GFLOP over a FASTA's proteins
  awk -v D=$D -v F=$F -v NL=$NL '/^>/ { if (s != "") n[++k] = length(s); s = ""; next } { s = s $0 }
    END { if (s != "") n[++k] = length(s); for (i = 1; i <= k; i++) { t = n[i] + 2; g += NL * (2 * t * (4 * D * D + 2 * D * F) + 4 * t * t * D) } printf "%.3f", g / 1e9 }' "$1"
}
run() {  # run SET BATCHTOKENS OPTIONS... -> "seconds peakKB"
  set_=$1 bt=$2; shift 2
  /usr/bin/time -f "%e %M" -o "$T/time" "$BIN/attn" -m "$MODEL" --backend "$BACKEND" --threads 2 --batch-tokens "$bt" "$@" "$T/$set_.tsr" > /dev/null 2>"$T/err" ||
    { echo "fail 0"; return; }
  cat "$T/time"
}
row() {  # row SET LABEL BATCHTOKENS OPTIONS...: REPS rounds of one-at-a-time then batched, one line
  set_=$1 label=$2 bt_=$3; shift 3
  n=$(grep -c '^>' "$T/$set_.fa"); g=$(flops "$T/$set_.fa")
  : > "$T/rounds"
  for r in $(seq "$REPS"); do
    echo "$(run "$set_" 1 "$@") $(run "$set_" "$bt_" "$@")" >> "$T/rounds"
  done
  awk -v set="$set_" -v mode="$label" -v n="$n" -v g="$g" '
    $1 == "fail" || $3 == "fail" { failed = 1 }
    { if (s1 == "" || $1 < s1) s1 = $1; if (sb == "" || $3 < sb) sb = $3
      if ($2 > m1) m1 = $2; if ($4 > mb) mb = $4
      if ($3 > 0) { x = $1 / $3; if (lo == "" || x < lo) lo = x; if (hi == "" || x > hi) hi = x } }
    END {
      if (failed) { printf "%-9s %-10s %5d | failed\n", set, mode, n; exit }
      printf "%-9s %-10s %5d | %8.2f %7.0f %7.1f | %8.2f %7.0f %7.1f | %.2fx", set, mode, n,
             n / s1, m1 / 1024, g / s1, n / sb, mb / 1024, g / sb, s1 / sb
      if (NR > 1) printf "  (%.2f-%.2f)", lo, hi
      printf "\n"
      printf "%s %s %.4f\n", set, mode, n / sb >> batched }' batched="$T/batched" "$T/rounds"
}

backend() {  # the backend= line attn writes for BACKEND, or nothing when it cannot run
  "$BIN/attn" -m "$MODEL" --backend "$1" --threads 2 --contacts "$T/one.tsr" 2>/dev/null | "$BIN/plmstream" ls -l 2>/dev/null |
    tr '\t' '\n' | sed -n 's/^backend=//p' | head -n 1
}
printf '>one\nMKTAYIAKQRQISFVKSHFSRQ\n' > "$T/one.fa" && "$BIN/seqread" "$T/one.fa" > "$T/one.tsr"
REPS=${BATCH_BENCH_REPS:-1} BACKEND=cpu
: > "$T/batched"           # "set mode proteins/s" of each batched row, for the torch rows
echo "# attn batched (--batch-tokens ${BATCH_BENCH_TOKENS:-1024}) vs one at a time (1): esm2_t12_35M shape, $(backend cpu), best of $REPS, $(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1 /proc/loadavg 2>/dev/null)"
printf "%-9s %-10s %5s | %8s %7s %7s | %8s %7s %7s | %s\n" set mode n "1:prot/s" "peakMB" "GFLOP/s" "B:prot/s" "peakMB" "GFLOP/s" "speedup (spread)"
for set in $SETS; do
  for mode in contacts mean attentions; do
    case $mode in
    contacts)   row "$set" "$mode" "${BATCH_BENCH_TOKENS:-1024}" --contacts ;;
    mean)       row "$set" "$mode" "${BATCH_BENCH_TOKENS:-1024}" --repr 12 --mean ;;
    attentions) [ "$set" = short ] && row "$set" "$mode" 1024 --attentions ;;
    esac
  done
done

# OpenCL: the same comparison on a few short proteins (pocl runs on the CPU, slowly)
NCL=${BATCH_BENCH_OPENCL_N:-20}
if [ "$NCL" -gt 0 ] && [ -f "$T/short.fa" ]; then
  awk -v n="$NCL" '/^>/ { k++ } k <= n' "$T/short.fa" > "$T/cl.fa" && "$BIN/seqread" "$T/cl.fa" > "$T/cl.tsr"
  BACKEND=opencl dev=$(backend opencl)
  if [ -n "$dev" ]; then
    echo "# OpenCL backend ($dev): the first $NCL proteins of the short set, --contacts"
    row cl opencl 1024 --contacts
  else echo "# OpenCL: attn --backend opencl cannot run here, row skipped"; fi
fi

# the sgemm limit at the position-wise shapes (QKV/out: N = K = D; FFN: N = F, K = D), for each library
CFL=$(sed -n 's/^DEP_CFLAGS *= *//p' config.mk 2>/dev/null) LIBS=$(sed -n 's/^DEP_LIBS *= *//p' config.mk 2>/dev/null)
DNNL=$(sed -n 's/^HAVE_DNNL *= *1/-DWITH_DNNL/p' config.mk 2>/dev/null)
if cc -O2 $DNNL -o "$T/sgemm_limit" bench/sgemm_limit.c $CFL $LIBS 2>"$T/cc"; then
  echo "# sgemm limit on this machine (2 threads; OpenBLAS with OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}): library M N K GFLOP/s"
  for lib in openblas ${DNNL:+dnnl}; do
    for M in 100 1024 4096; do
      OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2 "$T/sgemm_limit" $M $D $D 1 $lib
      OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2 "$T/sgemm_limit" $M $F $D 1 $lib
    done
  done
else echo "# sgemm limit: could not compile bench/sgemm_limit.c: $(head -c 200 "$T/cc")"; fi
# fair-esm's batching, in PyTorch: esm-extract's loop over the same sets
if ! "$PYTHON" -c 'import torch' 2>/dev/null; then
  echo "# fair-esm's batching (esm-extract) not run: torch is not installed on this machine"
elif ! "$PYTHON" bench/esm_extract_torch.py check "$SHARED" > "$T/check" 2>&1; then
  echo "# fair-esm's batching (esm-extract) not timed: its baseline disagrees with the golden outputs: $(tail -n 1 "$T/check")"
else
  echo "# fair-esm's batching in PyTorch (bench/esm_extract_torch.py: esm-extract's 4096-token batches; $(tail -n 1 "$T/check"))"
  printf "%-9s %-10s %5s | %8s %7s | %s\n" set mode n "prot/s" "peakMB" "attn batched / torch"
  for set in $SETS; do
    for mode in contacts mean; do
      if "$PYTHON" bench/esm_extract_torch.py time "$MODEL" "$T/$set.fa" "$mode" > "$T/torch" 2>"$T/err"; then
        awk -v set="$set" -v mode="$mode" -v f="$T/batched" '
          BEGIN { while ((getline l < f) > 0) { split(l, a, " "); b[a[1] " " a[2]] = a[3] } }
          { ps = $1 / $2; printf "%-9s %-10s %5d | %8.2f %7.0f | %s\n", set, mode, $1, ps, $3 / 1024,
            (set " " mode) in b ? sprintf("%.1fx", b[set " " mode] / ps) : "-" }' "$T/torch"
      else echo "$set $mode: esm_extract_torch.py failed: $(tail -n 1 "$T/err")"; fi
    done
  done
fi
