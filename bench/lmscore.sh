#!/bin/sh
# lmscore.sh: the pseudo-perplexity of one 300-residue protein (lmscore, every residue masked in
# turn) with the masked copies batched (--batch-tokens 1024, the default, and 8192) against one
# masked pass at a time (--batch-tokens 1), in the same run, interleaved, on a random ESM-2 of the
# 8M shape (mkmodel(1); LMSCORE_BENCH_SHAPE=esm2_t12_35M for the larger one), 2 threads. Columns:
# mode, seconds (best of LMSCORE_BENCH_REPEATS, default 2), masked passes per second, PLL, speedup
# over one at a time. The same computation in PyTorch (bench/esm_torch.py pppl: fair-esm's
# predict.py loop, one masked forward each) runs where torch is installed, else "SKIP: no torch".
# Run by `make bench`. Environment: BUILD, SHARED, PYTHON.
BUILD=${BUILD:-build}
BIN=$BUILD/bin
PYTHON=${PYTHON:-python3}
SHAPE=${LMSCORE_BENCH_SHAPE:-esm2_t6_8M}
REPEATS=${LMSCORE_BENCH_REPEATS:-2}
L=300
MODEL=$BUILD/bench-models/$SHAPE
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
for tool in lmscore seqread mkmodel; do
  [ -x "$BIN/$tool" ] || { echo "lmscore bench: $BIN/$tool not built, skipped"; exit 0; }
done
mkdir -p "$BUILD/bench-models"
[ -f "$MODEL/model.safetensors" ] || "$BIN/mkmodel" --shape "$SHAPE" --seed 1 -o "$MODEL" >/dev/null ||
  { echo "lmscore bench: mkmodel failed"; exit 1; }
SEQ=$(awk -v L=$L 'BEGIN { srand(300); a = "ACDEFGHIKLMNPQRSTVWY"; for (i = 0; i < L; i++) printf "%s", substr(a, int(rand() * 20) + 1, 1) }')
printf '>p300\n%s\n' "$SEQ" | "$BIN/seqread" > "$T/p.tsr" || exit 1

now() { date +%s.%N; }
run() {   # BATCH_TOKENS -> "seconds pll"
  t0=$(now)
  "$BIN/lmscore" -m "$MODEL" --threads 2 --batch-tokens "$1" --tsv "$T/s.tsv" "$T/p.tsr" > /dev/null || return 1
  t1=$(now)
  echo "$t0 $t1 $(tail -n 1 "$T/s.tsv" | cut -f4)" | awk '{ printf "%.3f %s\n", $2 - $1, $3 }'
}
echo "lmscore bench: pseudo-perplexity of a $L-residue protein, $SHAPE (random weights), 2 threads; best of $REPEATS, interleaved"
: > "$T/times"
for r in $(seq "$REPEATS"); do
  for b in 1 1024 8192; do echo "$b $(run $b)" >> "$T/times" || exit 1; done
done
printf 'mode\tseconds\tpasses/s\tpll\tspeedup\n'
awk -v L=$L '{ if (!($1 in best) || $2 < best[$1]) { best[$1] = $2; pll[$1] = $3 } }
  END { one = best[1]
        split("1 1024 8192", order, " ")
        for (k = 1; k <= 3; k++) { b = order[k]
          printf "%s\t%.2f\t%.1f\t%s\t%.2fx\n", (b == 1 ? "one at a time" : "batch-tokens " b), best[b], L / best[b], pll[b], one / best[b] } }' "$T/times"
if "$PYTHON" -c 'import torch' 2>/dev/null; then
  "$PYTHON" bench/esm_torch.py pppl "$MODEL" "$SEQ" | awk '{ printf "torch (fair-esm predict.py loop)\t%s\t%.1f\t%s\n", $1, 300 / $1, $2 }'
else
  echo "SKIP: no torch (the fair-esm side needs PyTorch; this machine has none)"
fi
