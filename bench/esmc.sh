#!/bin/sh
# esmc.sh: attn(1) on random ESM C models of the published 300M and 600M shapes (mkmodel --arch
# esmc): seconds per protein and peak resident memory for L = 64 .. 512 residues, all attention
# maps (--attentions, what ESM C's own code cannot return) and the final embeddings
# (--embeddings --mean), on the CPU backend, beside a plain-PyTorch ESM C (bench/esmc_torch.py)
# that first proves itself on the golden outputs of esmc_t3_tiny_random. Both use 2 threads.
#
# Columns: model, L, mode; cpu: s per protein, peak MB; torch: s per protein, peak MB, speedup =
# torch seconds / plmscope seconds ("-": not run, e.g. without torch). plmscope's time per protein
# is (time for 1+R records - time for 1 record) / R (model loading left out); torch's the mean of
# R runs after a warm-up. Timings are wall clock: a busy machine slows every column.
#
# Run by `make bench`. Environment: BUILD, SHARED, PYTHON; ESMC_BENCH_MODELS (esmc_300m
# esmc_600m) and ESMC_BENCH_LENGTHS (64 128 256 512) narrow the grid. The 600M model needs about
# 2.5 GB for its float32 weights. Models are written once under $BUILD/bench-models.
BUILD=${BUILD:-build}
BIN=$BUILD/bin
SHARED=${SHARED:-../shared}
PYTHON=${PYTHON:-python3}
MODELS=${ESMC_BENCH_MODELS:-"esmc_300m esmc_600m"}
LENGTHS=${ESMC_BENCH_LENGTHS:-"64 128 256 512"}
MDIR=$BUILD/bench-models
mkdir -p "$MDIR" && T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT

for tool in attn seqread mkmodel; do
  [ -x "$BIN/$tool" ] || { echo "esmc bench: $BIN/$tool not built, skipped"; exit 0; }
done
"$PYTHON" -c 'import numpy' 2>/dev/null || { echo "esmc bench: python3 with numpy absent, skipped"; exit 0; }
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "esmc bench: /usr/bin/time absent, skipped"; exit 0; }

torch=no
if "$PYTHON" -c 'import torch' 2>/dev/null; then
  if "$PYTHON" bench/esmc_torch.py check "$SHARED"; then torch=yes; else echo "esmc bench: the torch baseline disagrees with the golden outputs: not timed"; fi
else
  echo "SKIP esmc bench torch column: PyTorch absent, plmscope only"
fi

repeats() { case $1 in 64) echo 4 ;; 128) echo 3 ;; 256) echo 2 ;; *) echo 1 ;; esac; }
fasta() {
  "$PYTHON" -c 'import sys, numpy as np
L, n = int(sys.argv[1]), int(sys.argv[2])
s = "".join(np.random.default_rng(L).choice(list("ACDEFGHIKLMNPQRSTVWY"), L))
sys.stdout.write("".join(">p%d_%d\n%s\n" % (L, i, s) for i in range(n)))' "$1" "$2"
}
# seconds and peak KB of one attn run, "nan 0" when it fails
timed() {
  t0=$(date +%s.%N)
  "$TIME" -f "%M" -o "$T/time" "$BIN/attn" -m "$1" --threads 2 --backend cpu $2 "$3" > /dev/null 2>"$T/attn.err" ||
    { echo "attn failed: $(head -c 300 "$T/attn.err")" >&2; echo "nan 0"; return; }
  t1=$(date +%s.%N)
  echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }') $(tail -n 1 "$T/time")"
}
per_protein() {
  set -- $(timed "$1" "$2" "$T/one.tsr") $(timed "$1" "$2" "$T/many.tsr")
  awk -v t1="$1" -v t2="$3" -v kb="$4" -v R="$R" 'BEGIN {
    if (t1 == "nan" || t2 == "nan") { print "nan 0"; exit }
    per = (t2 - t1) / R; if (per <= 0) per = t2 / (R + 1); printf "%.6f %d\n", per, kb }'
}
row() {
  awk -v model="$1" -v L="$2" -v mode="$3" -v ct="$4" -v ckb="$5" -v tt="$6" -v tkb="$7" '
  function s(t) { return t == "nan" || t == "" ? "-" : sprintf("%.3fs", t) }
  function mb(kb, t) { return t == "nan" || t == "" || kb <= 0 ? "-" : sprintf("%.0f", kb / 1024) }
  BEGIN {
    if (model == "") { printf "%-10s %5s %-11s | %9s %7s | %9s %7s %7s\n", "model", "L", "mode", "cpu", "peakMB", "torch", "peakMB", "speedup"; exit }
    printf "%-10s %5d %-11s | %9s %7s | %9s %7s %7s\n", model, L, mode, s(ct), mb(ckb, ct), s(tt), mb(tkb, tt),
           (ct == "nan" || tt == "nan" || tt == "") ? "-" : sprintf("%.2fx", tt / ct) }'
}

row
for model in $MODELS; do
  [ -f "$MDIR/$model.safetensors" ] || "$BIN/mkmodel" --arch esmc --shape "$model" --seed 1 -o "$MDIR/$model.safetensors" ||
    { echo "esmc bench: mkmodel $model failed"; continue; }
  for mode in attentions embeddings; do
    runs=""
    for L in $LENGTHS; do runs="$runs $L:$(repeats "$L")"; done
    : > "$T/torch"
    [ $torch = yes ] && "$PYTHON" bench/esmc_torch.py time "$MDIR/$model.safetensors" "$mode" $runs > "$T/torch" 2>/dev/null
    opt="--attentions"
    [ $mode = embeddings ] && opt="--embeddings --mean"
    for L in $LENGTHS; do
      R=$(repeats "$L")
      fasta "$L" 1 | "$BIN/seqread" > "$T/one.tsr"
      fasta "$L" $((R + 1)) | "$BIN/seqread" > "$T/many.tsr"
      c=$(per_protein "$MDIR/$model.safetensors" "$opt")
      t=$(awk -v L="$L" '$1 == L { print $2, $3 }' "$T/torch")
      row "$model" "$L" "$mode" $c ${t:-nan 0}
    done
  done
done
