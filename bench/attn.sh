#!/bin/sh
# attn.sh: attn(1) on random ESM-2 models of the published 8M, 35M and 150M shapes (mkmodel(1)):
# seconds per protein, peak resident memory and achieved GFLOP/s for L = 64 .. 1024 residues,
# contacts only and all attention maps, beside a plain-PyTorch ESM-2 (bench/esm_torch.py) that
# first proves itself on the golden outputs of esm2_t3_tiny_random. Both run on 2 threads.
#
# plmscope's time per protein is (time for 1+R records - time for 1 record) / R, so model
# loading and first-touch page faults are left out; torch's is the mean of R runs (one warm-up
# run before the first length), and its peak memory is its process's peak so far (lengths run in
# ascending order). Timings are wall clock: on a machine shared with other work both suffer.
# GFLOP/s counts the encoder's multiply-adds: per layer 2T(4D^2 + 2DF) + 4T^2 D, T = L + 2.
# Run by `make bench`. Environment: BUILD, SHARED, PYTHON; ATTN_BENCH_MODELS and
# ATTN_BENCH_LENGTHS narrow the grid. Models are written once under $BUILD/bench-models.
BUILD=${BUILD:-build}
BIN=$BUILD/bin
SHARED=${SHARED:-../shared}
PYTHON=${PYTHON:-python3}
MODELS=${ATTN_BENCH_MODELS:-"esm2_t6_8M esm2_t12_35M esm2_t30_150M"}
LENGTHS=${ATTN_BENCH_LENGTHS:-"64 128 256 512 1024"}
MDIR=$BUILD/bench-models
mkdir -p "$MDIR" && T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT

for tool in attn seqread mkmodel; do
  [ -x "$BIN/$tool" ] || { echo "attn bench: $BIN/$tool not built, skipped"; exit 0; }
done
"$PYTHON" -c 'import numpy' 2>/dev/null || { echo "attn bench: python3 with numpy absent, skipped"; exit 0; }
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "attn bench: /usr/bin/time absent, skipped"; exit 0; }

torch=no
if "$PYTHON" -c 'import torch' 2>/dev/null; then
  if "$PYTHON" bench/esm_torch.py check "$SHARED"; then torch=yes; else echo "attn bench: the torch baseline disagrees with the golden outputs: not timed"; fi
else
  echo "attn bench: PyTorch absent: plmscope only"
fi

repeats() { case $1 in 64) echo 10 ;; 128) echo 6 ;; 256) echo 4 ;; 512) echo 2 ;; *) echo 1 ;; esac; }
shape() { case $1 in esm2_t6_8M) echo "6 320 20" ;; esm2_t12_35M) echo "12 480 20" ;; esm2_t30_150M) echo "30 640 20" ;; esm2_t33_650M) echo "33 1280 20" ;; esac; }

# FASTA with N copies of the length-L protein torch also uses (numpy's default_rng(L))
fasta() {
  "$PYTHON" -c 'import sys, numpy as np
L, n = int(sys.argv[1]), int(sys.argv[2])
s = "".join(np.random.default_rng(L).choice(list("ACDEFGHIKLMNPQRSTVWY"), L))
sys.stdout.write("".join(">p%d_%d\n%s\n" % (L, i, s) for i in range(n)))' "$1" "$2"
}

# seconds (wall clock, ns resolution) and peak KB of: attn -m MODEL MODE-OPTION STREAM
timed() {
  t0=$(date +%s.%N)
  "$TIME" -f "%M" -o "$T/time" "$BIN/attn" -m "$1" --threads 2 "$2" "$3" > /dev/null 2>"$T/attn.err" ||
    { echo "attn failed: $(head -c 300 "$T/attn.err")" >&2; echo "nan 0"; return; }
  t1=$(date +%s.%N)
  echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }') $(tail -n 1 "$T/time")"
}

printf '%-14s %5s %-10s | %9s %8s %7s | %9s %8s | %7s\n' model L mode "plmscope" "peakMB" "GFLOP/s" "torch" "peakMB" speedup
for model in $MODELS; do
  set -- $(shape "$model")
  [ $# -eq 3 ] || { echo "attn bench: unknown shape $model"; continue; }
  nl=$1 D=$2 F=$(($2 * 4))
  [ -f "$MDIR/$model/model.safetensors" ] || "$BIN/mkmodel" --shape "$model" --seed 1 -o "$MDIR/$model" ||
    { echo "attn bench: mkmodel $model failed"; continue; }
  for mode in contacts attentions; do
    runs=""
    for L in $LENGTHS; do runs="$runs $L:$(repeats "$L")"; done
    : > "$T/torch"
    [ $torch = yes ] && "$PYTHON" bench/esm_torch.py time "$MDIR/$model" "$mode" $runs > "$T/torch" 2>/dev/null
    for L in $LENGTHS; do
      R=$(repeats "$L")
      fasta "$L" 1 | "$BIN/seqread" > "$T/one.tsr"
      fasta "$L" $((R + 1)) | "$BIN/seqread" > "$T/many.tsr"
      set -- $(timed "$MDIR/$model" --$mode "$T/one.tsr") $(timed "$MDIR/$model" --$mode "$T/many.tsr")
      t1=$1 t2=$3 kb=$4
      set -- $(awk -v L="$L" '$1 == L { print $2, $3 }' "$T/torch")
      awk -v t1="$t1" -v t2="$t2" -v kb="$kb" -v R="$R" -v L="$L" -v nl="$nl" -v D="$D" -v F="$F" \
          -v tt="${1:-nan}" -v tkb="${2:-0}" -v model="$model" -v mode="$mode" 'BEGIN {
        T = L + 2; per = (t2 - t1) / R; if (per <= 0) per = t2 / (R + 1)
        flops = nl * (2 * T * (4 * D * D + 2 * D * F) + 4 * T * T * D)
        sp = (tt == "nan") ? "-" : sprintf("%.2fx", tt / per)
        ts = (tt == "nan") ? "-" : sprintf("%.3fs", tt); tm = (tkb > 0) ? sprintf("%.0f", tkb / 1024) : "-"
        printf "%-14s %5d %-10s | %8.3fs %8.0f %7.1f | %9s %8s | %7s\n", model, L, mode, per, kb / 1024, flops / per / 1e9, ts, tm, sp }'
    done
  done
done
