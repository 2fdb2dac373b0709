#!/bin/sh
# bert.sh: attn(1) on random BERT models of the TapeBert (12 layers x 768, 12 heads) and ProtBert
# (30 x 1024, 16 heads) shapes, written by mkmodel --arch bert (plm_bert_WriteRandom): seconds per
# protein, peak resident memory and achieved GFLOP/s for L = 64 .. 1024 residues, all attention maps.
# Rows line up with bench/attn.sh's ESM rows (same lengths, threads and FLOP count).
#
# Time per protein is (time for 1+R records - time for 1 record) / R, so model loading is left
# out. GFLOP/s counts the encoder's multiply-adds: per layer 2T(4D^2 + 2DF) + 4T^2 D, T = L + 2.
# Run by `make bench`. Environment: BUILD; BERT_BENCH_MODELS and BERT_BENCH_LENGTHS narrow the
# grid. Models are written once under $BUILD/bench-models.
BUILD=${BUILD:-build}
BIN=$BUILD/bin
MODELS=${BERT_BENCH_MODELS:-"tape_bert protbert"}
LENGTHS=${BERT_BENCH_LENGTHS:-"64 128 256 512 1024"}
MDIR=$BUILD/bench-models
mkdir -p "$MDIR" && T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT

for tool in attn seqread mkmodel; do
  [ -x "$BIN/$tool" ] || { echo "bert bench: $BIN/$tool not built, skipped"; exit 0; }
done
"$BIN/mkmodel" --help 2>&1 | grep -q -- '--arch' || { echo "bert bench: mkmodel has no --arch bert, skipped"; exit 0; }
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "bert bench: /usr/bin/time absent, skipped"; exit 0; }

repeats() { case $1 in 64|128) echo 5 ;; 256) echo 3 ;; 512) echo 2 ;; *) echo 1 ;; esac; }
shape() { case $1 in tape_bert) echo "12 768 12" ;; protbert) echo "30 1024 16" ;; esac; }

# FASTA with N copies of one length-L protein: residue i is the (i * 7 mod 20)th amino acid
fasta() {
  awk -v L="$1" -v n="$2" 'BEGIN { a = "ACDEFGHIKLMNPQRSTVWY"; s = "";
    for (i = 0; i < L; i++) s = s substr(a, (i * 7) % 20 + 1, 1);
    for (k = 0; k < n; k++) printf ">p%d_%d\n%s\n", L, k, s }'
}

# seconds and peak KB of: attn -m MODEL --attentions < STREAM
timed() {
  "$TIME" -f "%e %M" -o "$T/time" "$BIN/attn" -m "$1" --threads 2 --attentions "$2" > /dev/null 2>"$T/attn.err" ||
    { echo "attn failed: $(head -c 300 "$T/attn.err")" >&2; echo "nan 0"; return; }
  cat "$T/time"
}

printf '%-10s %5s | %9s %8s %7s\n' model L seconds peakMB GFLOP/s
for model in $MODELS; do
  set -- $(shape "$model")
  [ $# -eq 3 ] || { echo "bert bench: unknown shape $model"; continue; }
  nl=$1 D=$2 H=$3 F=$(($2 * 4))
  [ -f "$MDIR/$model/model.safetensors" ] || "$BIN/mkmodel" --arch bert --shape "${nl}x${D}x${H}" --seed 1 -o "$MDIR/$model" ||
    { echo "bert bench: mkmodel $model failed"; continue; }
  for L in $LENGTHS; do
    R=$(repeats "$L")
    fasta "$L" 1 | "$BIN/seqread" > "$T/one.tsr"
    fasta "$L" $((R + 1)) | "$BIN/seqread" > "$T/many.tsr"
    set -- $(timed "$MDIR/$model" "$T/one.tsr") $(timed "$MDIR/$model" "$T/many.tsr")
    awk -v t1="$1" -v t2="$3" -v kb="$4" -v R="$R" -v L="$L" -v nl="$nl" -v D="$D" -v F="$F" -v model="$model" 'BEGIN {
      T = L + 2; per = (t2 - t1) / R; if (per <= 0) per = t2 / (R + 1)
      flops = nl * (2 * T * (4 * D * D + 2 * D * F) + 4 * T * T * D)
      printf "%-10s %5d | %8.3fs %8.0f %7.1f\n", model, L, per, kb / 1024, flops / per / 1e9 }'
  done
done
