#!/bin/sh
# gemm.sh: the CPU backend's two sgemm paths side by side ($PLMSCOPE_GEMM: OpenBLAS as the
# environment configures it, e.g. OPENBLAS_CORETYPE=Haswell, vs oneDNN, which picks AVX-512 by
# cpuid): attn --contacts on a random ESM-2 35M-shaped model (mkmodel(1)), 2 threads, for single
# proteins of L = 64 .. 512 and for 120 short proteins (L 30 .. 128). Rows alternate between the
# two paths, best of BENCH_REPS (3) runs each, so a busy machine hurts both alike.
# Columns: case, seconds with openblas, seconds with dnnl, openblas/dnnl (above 1: oneDNN faster).
# Run by `make bench`. Environment: BUILD.
BUILD=${BUILD:-build}; BIN=$BUILD/bin; REPS=${BENCH_REPS:-3}
MDIR=$BUILD/bench-models; model=esm2_t12_35M
for tool in attn seqread mkmodel; do [ -x "$BIN/$tool" ] || { echo "gemm bench: $BIN/$tool not built, skipped"; exit 0; }; done
mkdir -p "$MDIR" && T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
[ -f "$MDIR/$model/model.safetensors" ] || "$BIN/mkmodel" --shape "$model" --seed 1 -o "$MDIR/$model" >/dev/null ||
  { echo "gemm bench: mkmodel $model failed"; exit 1; }
printf '>p\nM\n' > "$T/x.fa"
"$BIN/seqread" "$T/x.fa" > "$T/x.tsr"
if ! PLMSCOPE_GEMM=dnnl "$BIN/attn" -m "$MDIR/$model" --backend cpu --contacts "$T/x.tsr" >/dev/null 2>"$T/err"; then
  echo "gemm bench: no oneDNN path ($(head -c 200 "$T/err")), skipped"; exit 0
fi
awk 'BEGIN { srand(7); a = "ACDEFGHIKLMNPQRSTVWY"
  for (L = 64; L <= 512; L *= 2) { f = "'"$T"'/L" L ".fa"; printf ">L%d\n", L > f; for (i = 0; i < L; i++) printf "%s", substr(a, int(rand() * 20) + 1, 1) > f; print "" > f }
  f = "'"$T"'/short.fa"; for (k = 0; k < 120; k++) { L = 30 + int(rand() * 99); printf ">s%d\n", k > f
    for (i = 0; i < L; i++) printf "%s", substr(a, int(rand() * 20) + 1, 1) > f; print "" > f } }'
pair() {   # CASE: "openblas_s dnnl_s", the best wall seconds of REPS runs of each, run alternately
  bo=""; bd=""
  for r in $(seq "$REPS"); do
    for g in openblas dnnl; do
      s=$(date +%s.%N)
      PLMSCOPE_GEMM=$g "$BIN/attn" -m "$MDIR/$model" --backend cpu --threads 2 --contacts "$T/$1.tsr" >/dev/null || return 1
      t=$(echo "$s $(date +%s.%N)" | awk '{ print $2 - $1 }')
      if [ $g = openblas ]; then bo=$(echo "$t $bo" | awk '{ print ($2 == "" || $1 < $2) ? $1 : $2 }')
      else bd=$(echo "$t $bd" | awk '{ print ($2 == "" || $1 < $2) ? $1 : $2 }'); fi
    done
  done
  echo "$bo $bd"
}
echo "# $model, attn --contacts --threads 2, OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}; best of $REPS, paths interleaved"
printf '%-22s %10s %10s %10s\n' case openblas_s dnnl_s ratio
for c in L64 L128 L256 L512 short; do
  "$BIN/seqread" "$T/$c.fa" > "$T/$c.tsr"
  p=$(pair "$c") || { echo "$c: attn failed"; continue; }
  o=${p% *}; d=${p#* }
  label=$c; [ "$c" = short ] && label="120 x L30-128"
  printf '%-22s %10.3f %10.3f %10.2f\n' "$label" "$o" "$d" "$(echo "$o $d" | awk '{ print $1 / $2 }')"
done
